package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/partnerlink/partnerlink/requests"
)

// rowRefusal is one CSV row that was not invited, and why.
type rowRefusal struct {
	line  int
	email string
	why   string
}

// bulkCounts are what a bulk run did so far.
type bulkCounts struct {
	total, done, invited, existed int
	refused                       []rowRefusal
}

// inviteCSV invites every row of the file in.csv. Each row's idempotency key is
// the digest of what it asks for (rowKey), so giving the same file again (after a
// crash, say) invites no row twice; rows invited before count as already invited.
func inviteCSV(ctx context.Context, cfg config, in inviteFlags, stdout, stderr io.Writer) error {
	data, err := os.ReadFile(in.csv)
	if err != nil {
		return configErrorf("--csv: %v", err)
	}
	parsed, err := requests.ReadCSV(filepath.Base(in.csv), data)
	if err != nil {
		return configErrorf("--csv %s: %s", in.csv, strings.TrimPrefix(err.Error(), requests.ErrBadCSV.Error()+": "))
	}
	iv, err := openInviter(ctx, cfg, in.partner)
	if err != nil {
		return err
	}
	defer iv.close()

	c := &bulkCounts{total: len(parsed.Requests) + len(parsed.Errors)}
	for _, e := range parsed.Errors {
		c.refused = append(c.refused, rowRefusal{line: e.Line, email: e.Email, why: rowText(e)})
	}
	c.done = len(parsed.Errors)
	p := newProgress(stderr, c.total)
	runErr := iv.inviteAll(ctx, parsed.Requests, in.dryRun, func(o rowOutcome) {
		c.add(o)
		p.update(c)
	})
	p.finish(c)

	slices.SortStableFunc(c.refused, func(a, b rowRefusal) int { return a.line - b.line })
	for _, r := range c.refused {
		if r.email != "" {
			fmt.Fprintf(stdout, "row %d (%s): %s\n", r.line, r.email, r.why)
		} else {
			fmt.Fprintf(stdout, "row %d: %s\n", r.line, r.why)
		}
	}
	fmt.Fprintln(stdout, summaryLine(c, in.dryRun, runErr != nil))
	if runErr != nil {
		return fmt.Errorf("stopped: %w; the rows counted above are done, and running the same file again invites only the rest", runErr)
	}
	if len(c.refused) > 0 {
		return &refusedError{msg: fmt.Sprintf("%s of %s rows refused", thousands(len(c.refused)), thousands(c.total))}
	}
	return nil
}

// rowText is a CSV row error without the "file row N: " prefix, which the
// listing says its own way.
func rowText(e requests.LineError) string {
	if _, rest, ok := strings.Cut(e.Text, fmt.Sprintf("row %d: ", e.Line)); ok {
		return rest
	}
	return e.Text
}

// rowKey is the idempotency key of a CSV row: the SHA-256 of everything the row
// asks for (the store adds the partner). Not the file's digest and the row's
// number: after a run that refused some rows the partner fixes them, or deletes
// them, and runs the file again, and the rows that were already invited must not
// be invited twice although the file (and its row numbers) changed. The store
// remembers a key for partnerships.IdempotencyTTL (30 days).
func rowKey(req requests.Request) string {
	roles := "all"
	if req.Roles != nil {
		names := make([]string, len(req.Roles))
		for i, r := range req.Roles {
			names[i] = string(r)
		}
		slices.Sort(names)
		roles = "[" + strings.Join(names, ",") + "]"
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{req.CustomerEmail, string(req.Type), roles, req.Locale, req.Message,
		strconv.FormatInt(int64(req.Duration), 10), strconv.FormatBool(req.AutoExtend)}, "\x00")))
	return "csv-row:" + hex.EncodeToString(sum[:])
}

// rowOutcome is what became of one row.
type rowOutcome struct {
	invited, existed bool
	refused          *rowRefusal
}

func (c *bulkCounts) add(o rowOutcome) {
	c.done++
	switch {
	case o.invited:
		c.invited++
	case o.existed:
		c.existed++
	case o.refused != nil:
		c.refused = append(c.refused, *o.refused)
	}
}

// bulkWorkers is how many rows a bulk run invites at once: each row is a few
// Redis round trips, so a handful in flight keeps Redis busy.
const bulkWorkers = 8

// inviteAll invites reqs with bulkWorkers at once, calling done (one call at a
// time) after each row. It stops at the first error that is not about a row
// (Redis down) and returns it.
func (iv *inviter) inviteAll(parent context.Context, reqs []requests.Request, dry bool, done func(rowOutcome)) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		mu     sync.Mutex
		runErr error
		wg     sync.WaitGroup
	)
	next := make(chan requests.Request)
	for range bulkWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for req := range next {
				o, err := iv.inviteRow(ctx, req, rowKey(req), dry)
				mu.Lock()
				if err != nil {
					if runErr == nil && ctx.Err() == nil {
						runErr = fmt.Errorf("row %d (%s): %w", req.Line, req.CustomerEmail, err)
					}
					cancel()
				} else {
					done(o)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, req := range reqs {
		select {
		case next <- req:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if runErr == nil {
		if err := parent.Err(); err != nil { // Ctrl-C, SIGTERM
			runErr = fmt.Errorf("interrupted: %w", err)
		}
	}
	return runErr
}

// inviteRow invites one row (or, dry, checks it). Only an error that is not
// about the row (Redis down) is returned.
func (iv *inviter) inviteRow(ctx context.Context, req requests.Request, key string, dry bool) (rowOutcome, error) {
	refused := func(why string) (rowOutcome, error) {
		return rowOutcome{refused: &rowRefusal{req.Line, req.CustomerEmail, why}}, nil
	}
	id, found, err := iv.store.IdempotentInvitation(ctx, iv.partner, req.CustomerEmail, key)
	if err != nil {
		return rowOutcome{}, err
	}
	if found {
		if !dry {
			inv, err := iv.store.Invitation(ctx, id)
			if err != nil {
				return rowOutcome{}, err
			}
			if err := iv.queue(ctx, inv); err != nil { // a crash may have come between storing and queueing
				return rowOutcome{}, err
			}
		}
		return rowOutcome{existed: true}, nil
	}
	if dry {
		why, err := iv.precheck(ctx, req)
		if err != nil {
			return rowOutcome{}, err
		}
		if why != "" {
			return refused(why)
		}
		return rowOutcome{invited: true}, nil
	}
	inv, err := iv.store.CreateInvitation(ctx, iv.newInvitation(req, key))
	if err != nil {
		if why := refusal(err, req.CustomerEmail); why != "" {
			return refused(why)
		}
		return rowOutcome{}, err
	}
	if err := iv.queue(ctx, inv); err != nil {
		return rowOutcome{}, err
	}
	return rowOutcome{invited: true}, nil
}

// summaryLine is the run's last line, e.g. "2,000 rows: 1,990 invited, 5 already
// invited, 5 refused (see above)".
func summaryLine(c *bulkCounts, dry, stopped bool) string {
	verb := "invited"
	if dry {
		verb = "would be invited"
	}
	s := fmt.Sprintf("%s rows: %s %s, %s already invited, %s refused", thousands(c.total),
		thousands(c.invited), verb, thousands(c.existed), thousands(len(c.refused)))
	if len(c.refused) > 0 {
		s += " (see above)"
	}
	if stopped {
		s += fmt.Sprintf(", %s not done (stopped)", thousands(c.total-c.done))
	}
	if dry {
		s += "; nothing was written (--dry-run)"
	}
	return s
}

// thousands writes n with commas between groups of three digits: 2,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// progress shows a bulk run's progress on stderr: a bar redrawn in place when
// stderr is a terminal, otherwise a line every few hundred rows.
type progress struct {
	w        io.Writer
	tty      bool
	total    int
	every    int // rows between lines when not a terminal
	lastDraw int
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total, every: max(500, total/10)}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(c *bulkCounts) {
	if p.tty {
		// Redraw at most every 1% so a fast run does not spend its time drawing.
		if c.done == p.total || c.done-p.lastDraw >= max(1, p.total/100) {
			p.lastDraw = c.done
			fmt.Fprintf(p.w, "\r%s", bar(c, p.total))
		}
		return
	}
	if c.done%p.every == 0 && c.done < p.total {
		fmt.Fprintf(p.w, "invite: %s of %s rows done (%s invited, %s already invited, %s refused)\n",
			thousands(c.done), thousands(p.total), thousands(c.invited), thousands(c.existed), thousands(len(c.refused)))
	}
}

func (p *progress) finish(c *bulkCounts) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\n", bar(c, p.total))
	}
}

// bar is one line: [#########-----------]  450/1,000  45%
func bar(c *bulkCounts, total int) string {
	const width = 30
	filled := width
	pct := 100
	if total > 0 {
		filled, pct = width*c.done/total, 100*c.done/total
	}
	return fmt.Sprintf("[%s%s] %s/%s %3d%%  %s refused", strings.Repeat("#", filled), strings.Repeat("-", width-filled),
		thousands(c.done), thousands(total), pct, thousands(len(c.refused)))
}
