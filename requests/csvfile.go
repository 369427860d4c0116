package requests

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/partnerlink/partnerlink/partnerships"
)

// ErrBadCSV: ReadCSV cannot use the file as a whole (header row, a row the CSV
// reader cannot read, too many rows); nothing in it is used.
var ErrBadCSV = errors.New("requests: unusable CSV file")

// MaxFileRows is the most rows (after the header) ReadCSV reads from one file.
const MaxFileRows = 100000

// timeBoundColumns are the CSV columns only ReadCSV accepts.
var timeBoundColumns = map[string]string{
	"duration": "duration", "auto_extend": "auto_extend",
}

// ReadCSV reads a file of invitation requests given to `partnerlink invite --csv`:
// the same format as a CSV attachment to a request email (see the package
// documentation), UTF-8 or Windows-1252, with two more optional columns:
//
//	duration      how long the relationship lasts once accepted: 720h, 30d or 30
//	              (days), 1 day to 2 years; empty: open-ended
//	auto_extend   true/yes/1 extends the relationship by 180 days at each end; needs a
//	              duration and no global_admin role; empty: false
//
// Roles may be separated by ";" or "|". A row repeating the customer and type of
// an earlier row is refused. name is the file's name in messages. Every row is
// either in Requests or explained in Errors (with its row, the header being row
// 1); a file that cannot be used as a whole gives an error wrapping ErrBadCSV.
func ReadCSV(name string, data []byte) (Parsed, error) {
	reqs, errs, fileErr := readCSV(attachment{name: name, data: data},
		csvOptions{maxRows: MaxFileRows, timeBound: true, stopBad: true})
	if fileErr != nil {
		return Parsed{}, fmt.Errorf("%w: %s", ErrBadCSV, fileErr.Text)
	}
	p := Parsed{Requests: reqs, Errors: errs}
	emails := map[int]string{}
	for _, r := range reqs {
		emails[r.Line] = r.CustomerEmail
	}
	dedupe(&p)
	for i, e := range p.Errors {
		if e.Email == "" {
			p.Errors[i].Email = emails[e.Line]
		}
	}
	slices.SortStableFunc(p.Errors, func(a, b LineError) int { return cmp.Compare(a.Line, b.Line) })
	return p, nil
}

// checkTimeBound validates the duration and auto_extend columns, calling fail for
// each that is wrong. rolesBad: the roles were refused, so whether they include
// global_admin is unknown.
func checkTimeBound(f fields, req *Request, rolesBad bool, fail func(key, format string, args ...any)) {
	rawD, rawA := strings.TrimSpace(f.values["duration"]), strings.TrimSpace(f.values["auto_extend"])
	d, err := partnerships.ParseDuration(rawD)
	if err == nil && d != 0 && (d < partnerships.MinDuration || d > partnerships.MaxDuration) {
		err = errors.New("out of range")
	}
	if err != nil {
		fail("duration", "duration %q must be 1 day to 2 years: 720h, 30d or a number of days such as 30", clip(rawD))
		return
	}
	req.Duration = d
	switch strings.ToLower(rawA) {
	case "", "false", "no", "0", "n":
	case "true", "yes", "1", "y":
		req.AutoExtend = true
	default:
		fail("auto_extend", "auto_extend %q must be true or false", clip(rawA))
		return
	}
	if !req.AutoExtend || rolesBad {
		return
	}
	granted := req.Roles
	if granted == nil && req.Type != "" {
		granted = req.Type.Roles()
	}
	switch {
	case d == 0:
		fail("auto_extend", "auto_extend needs a duration: an open-ended relationship has no end to extend")
	case slices.Contains(granted, partnerships.GlobalAdmin):
		fail("auto_extend", "auto_extend is not allowed with the global_admin role: leave out global_admin (roles) or auto_extend")
	}
}

// Check validates one request given as text under the CSV column names
// (customer_email, relationship_type, roles, locale, message, duration,
// auto_extend), as `partnerlink invite` takes it from its flags, by the same rules
// as a CSV row. It returns the request or what is wrong with it.
func Check(values map[string]string) (Request, error) {
	f := fields{values: map[string]string{}, lines: map[string]int{}}
	for k, v := range values {
		canon, ok := csvColumns[k]
		if !ok {
			canon, ok = timeBoundColumns[k]
		}
		if !ok {
			return Request{}, fmt.Errorf("requests: unknown field %q", k)
		}
		f.values[canon] = v
	}
	req, errs := check(0, f)
	if len(errs) > 0 {
		texts := make([]string, len(errs))
		for i, e := range errs {
			texts[i] = e.text
		}
		return Request{}, errors.New(strings.Join(texts, "; "))
	}
	return req, nil
}
