package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/partnerlink/partnerlink/partnerships"
)

func runSuppressions(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return subcommands("suppressions", map[string]func(context.Context, []string, io.Writer) error{
		"list": suppressionsList,
		"lift": suppressionsLift,
	})(ctx, args, stdout)
}

func suppressionsList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("suppressions list", "Lists the addresses partnerlink sends nothing to: hard bounces and spam complaints.", stdout, "redis-url")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	list, err := store.Suppressions(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no suppressed addresses")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tSINCE\tWHY")
	for _, s := range list {
		why := s.Reason
		if why == "" {
			why = fmt.Sprintf("%d hard bounces", s.Bounces)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Email, s.Since.UTC().Format("2006-01-02 15:04 UTC"), why)
	}
	return tw.Flush()
}

func suppressionsLift(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("suppressions lift", "Lets a suppressed address receive invitations again: partnerlink suppressions lift <email>.", stdout, "redis-url")
	// The address is the one argument; flags may come before or after it.
	var email string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--redis-url" || a == "-redis-url":
			rest = append(rest, a)
			if i+1 < len(args) {
				rest = append(rest, args[i+1])
				i++
			}
		case len(a) > 0 && a[0] == '-':
			rest = append(rest, a)
		case email == "":
			email = a
		default:
			return configErrorf("unexpected argument %q: lift takes one address", a)
		}
	}
	cfg, err := f.parse(rest, "redis-url")
	if err != nil {
		return err
	}
	if email == "" {
		return configErrorf("the address to lift is required: partnerlink suppressions lift <email>")
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	switch err := store.LiftSuppression(ctx, email); {
	case errors.Is(err, partnerships.ErrNotFound):
		return configErrorf("%s is not suppressed", email)
	case err != nil:
		return inputError(err)
	}
	fmt.Fprintf(stdout, "suppression of %s lifted: invitations to it are sent again\n", email)
	return nil
}
