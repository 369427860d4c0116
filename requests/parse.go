package requests

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// Request is one invitation a partner asks for.
type Request struct {
	File          string // the CSV attachment it came from; empty for the body
	Line          int    // its first line in the body, or its row in the CSV file (the header is row 1)
	CustomerEmail string // lowercased plain address
	Type          partnerships.RelationshipType
	Roles         []partnerships.Role // nil: all the type grants
	Locale        string              // "en" or "de"
	Message       string

	// A time-bound relationship, from the duration and auto_extend columns of a
	// CSV file read by ReadCSV (`partnerlink invite --csv`); email requests
	// leave them zero.
	Duration   time.Duration
	AutoExtend bool
}

// Parsed is what a request email holds: the usable requests and, for every other
// request, why not.
type Parsed struct {
	Requests []Request
	Errors   []LineError
}

// MaxCSVRows is the most rows (after the header) a CSV attachment may have.
const MaxCSVRows = 500

// Parse reads the requests in raw (see the package documentation for the format).
// It returns ErrNotARequest for a message that is not a request (subject,
// automatic reply) and ErrUnreadable for one it cannot read; otherwise every
// request is either in Requests or explained in Errors.
func Parse(raw []byte) (Parsed, error) {
	msg, err := readMessage(raw)
	if err != nil {
		return Parsed{}, err
	}
	subject := decodeHeader(msg.Header.Get("Subject"))
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(subject)), "invite") {
		return Parsed{}, fmt.Errorf("%w: subject %q does not start with \"Invite\"", ErrNotARequest, clip(subject))
	}
	if why := automatic(msg.Header, subject); why != "" {
		return Parsed{}, fmt.Errorf("%w: automatic message (%s)", ErrNotARequest, why)
	}
	w := &walker{}
	if err := w.walk(msg.Header, msg.Body, 0); err != nil {
		return Parsed{}, err
	}
	body := w.c.text
	if strings.TrimSpace(body) == "" && w.c.html != "" {
		body = htmlText(w.c.html)
	}
	var p Parsed
	parseBody(body, &p)
	for _, a := range w.c.csvs {
		parseCSV(a, &p)
	}
	dedupe(&p)
	slices.SortStableFunc(p.Errors, func(a, b LineError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	if len(p.Requests) == 0 && len(p.Errors) == 0 {
		p.Errors = append(p.Errors, lineError("", 0, "found no request: write lines such as \"customer: admin@example.com\" and \"type: reseller\", or attach a CSV file"))
	}
	return p, nil
}

// keyAliases maps normalised keys to the field they set.
var keyAliases = map[string]string{
	"customer": "customer", "customer_email": "customer", "email": "customer",
	"type": "type", "relationship_type": "type", "relationship": "type",
	"roles": "roles", "role": "roles",
	"locale": "locale", "language": "locale",
	"message": "message", "note": "message",
}

var keyLine = regexp.MustCompile(`^([A-Za-z][A-Za-z _-]{0,30}):(.*)$`)

type numbered struct {
	n    int
	text string
}

// parseBody reads the blocks of "key: value" lines in body.
func parseBody(body string, p *Parsed) {
	var block []numbered
	flush := func() {
		if len(block) > 0 {
			parseBlock(block, p)
			block = nil
		}
	}
	n := 0
	for line := range strings.Lines(body) {
		n++
		line = strings.TrimRight(line, "\n")
		t := strings.TrimSpace(strings.ReplaceAll(line, "\u00a0", " "))
		switch {
		case t == "--":
			flush()
			return // signature
		case t == "", strings.HasPrefix(t, ">"), len(t) >= 3 && strings.Trim(t, "-") == "":
			flush()
		default:
			block = append(block, numbered{n, t})
		}
	}
	flush()
}

// parseBlock reads one block; a block without any known key is not a request.
func parseBlock(block []numbered, p *Parsed) {
	f := fields{values: map[string]string{}, lines: map[string]int{}}
	var errs []fieldError
	inMessage := false
	for _, l := range block {
		if inMessage {
			f.values["message"] += "\n" + l.text
			continue
		}
		m := keyLine.FindStringSubmatch(l.text)
		if m == nil {
			continue // prose: a greeting, a sign-off
		}
		key, value := normalizeName(m[1]), strings.TrimSpace(m[2])
		canon, ok := keyAliases[key]
		if !ok {
			errs = append(errs, fieldError{l.n, fmt.Sprintf("unknown key %q; the keys are customer, type, roles, locale and message", clip(m[1]))})
			continue
		}
		if first, dup := f.lines[canon]; dup {
			errs = append(errs, fieldError{l.n, fmt.Sprintf("%s is given twice (first on line %d)", canon, first)})
			continue
		}
		f.values[canon], f.lines[canon] = value, l.n
		inMessage = canon == "message"
	}
	if len(f.lines) == 0 {
		return
	}
	start := block[0].n
	for _, l := range block {
		if keyLine.MatchString(l.text) {
			start = l.n
			break
		}
	}
	req, ferrs := check(start, f)
	for _, e := range append(errs, ferrs...) {
		p.Errors = append(p.Errors, lineError("", e.line, e.text))
	}
	if len(errs)+len(ferrs) == 0 {
		p.Requests = append(p.Requests, req)
	}
}

// csvColumns maps normalised CSV header names to fields.
var csvColumns = map[string]string{
	"customer_email": "customer", "customer": "customer", "email": "customer",
	"relationship_type": "type", "type": "type",
	"roles": "roles", "locale": "locale", "message": "message",
}

// parseCSV reads one CSV attachment.
func parseCSV(a attachment, p *Parsed) {
	reqs, errs, fileErr := readCSV(a, csvOptions{maxRows: MaxCSVRows})
	p.Requests = append(p.Requests, reqs...)
	p.Errors = append(p.Errors, errs...)
	if fileErr != nil {
		p.Errors = append(p.Errors, *fileErr)
	}
}

// csvOptions says which CSV format readCSV accepts.
type csvOptions struct {
	maxRows   int  // most rows after the header
	timeBound bool // the duration and auto_extend columns are allowed
	stopBad   bool // a row the CSV reader cannot read spoils the whole file
}

// readCSV reads one CSV file: the usable requests, the rows it could not use and,
// when the file as a whole cannot be used (header, too many rows), why.
func readCSV(a attachment, opts csvOptions) ([]Request, []LineError, *LineError) {
	fileFail := func(row int, format string, args ...any) ([]Request, []LineError, *LineError) {
		e := lineError(a.name, row, fmt.Sprintf(format, args...))
		return nil, nil, &e
	}
	columnNames := "customer_email, relationship_type, roles, locale, message"
	wantHeader := "customer_email,relationship_type,roles,locale,message"
	if opts.timeBound {
		columnNames += ", duration, auto_extend"
		wantHeader += ",duration,auto_extend"
	}
	text := toUTF8(a.data, "")
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return fileFail(0, "cannot read the header row: %v", csvError(err))
	}
	cols := map[string]int{}
	for i, h := range header {
		canon, ok := csvColumns[normalizeName(h)]
		if !ok && opts.timeBound {
			canon, ok = timeBoundColumns[normalizeName(h)]
		}
		if !ok {
			if strings.TrimSpace(h) != "" {
				return fileFail(1, "unknown column %q; the columns are %s", clip(h), columnNames)
			}
			continue
		}
		if _, dup := cols[canon]; dup {
			return fileFail(1, "column %q appears twice", clip(h))
		}
		cols[canon] = i
	}
	if _, ok := cols["customer"]; !ok {
		return fileFail(1, "the header row lacks customer_email (want %s)", wantHeader)
	}
	if _, ok := cols["type"]; !ok {
		return fileFail(1, "the header row lacks relationship_type (want %s)", wantHeader)
	}

	var reqs []Request
	var errs []LineError
	rows, row := 0, 1 // row: the spreadsheet's row number (a record, however many lines it spans)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		row++
		if err != nil {
			if opts.stopBad {
				return fileFail(row, "cannot read the row: %v", csvError(err))
			}
			errs = append(errs, lineError(a.name, row, fmt.Sprintf("cannot read the row: %v", csvError(err))))
			break // the reader cannot be trusted past a broken row
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // Excel's empty rows
		}
		rows++
		if rows > opts.maxRows {
			return fileFail(0, "has more than %d rows; nothing in it was used, split it into several files", opts.maxRows)
		}
		f := fields{values: map[string]string{}, lines: map[string]int{}}
		for canon, i := range cols {
			if i < len(rec) {
				f.values[canon] = rec[i]
			}
		}
		if rec := f.values["message"]; rec != "" {
			f.values["message"] = strings.TrimSpace(rec)
		}
		req, ferrs := check(row, f)
		for _, e := range ferrs {
			le := lineError(a.name, row, e.text)
			if opts.timeBound { // ReadCSV names the row's address
				le.Email = clip(f.values["customer"])
			}
			errs = append(errs, le)
		}
		if len(ferrs) == 0 {
			req.File = a.name
			reqs = append(reqs, req)
		}
	}
	if rows == 0 && len(errs) == 0 {
		return fileFail(0, "has no rows after the header")
	}
	return reqs, errs, nil
}

func csvError(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// dedupe refuses a request repeated in the same email (same customer and type).
func dedupe(p *Parsed) {
	type key struct {
		email string
		typ   partnerships.RelationshipType
	}
	seen := map[key]Request{}
	out := p.Requests[:0]
	for _, r := range p.Requests {
		k := key{r.CustomerEmail, r.Type}
		if first, dup := seen[k]; dup {
			le := lineError(r.File, r.Line,
				fmt.Sprintf("repeats the request for %s (%s) of %s", r.CustomerEmail, r.Type, position(first)))
			p.Errors = append(p.Errors, le)
			continue
		}
		seen[k] = r
		out = append(out, r)
	}
	p.Requests = out
}

func position(r Request) string {
	if r.File != "" {
		return fmt.Sprintf("%s row %d", r.File, r.Line)
	}
	return fmt.Sprintf("line %d", r.Line)
}
