package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

func runPreview(_ context.Context, args []string, stdout, _ io.Writer) error {
	f := newFlags("preview", "Renders an email template with sample data so a person can look at it.", stdout)
	kind := f.fs.String("kind", string(templates.KindInvitation), fmt.Sprintf("message kind: %v", templates.Kinds()))
	typ := f.fs.String("type", string(partnerships.DelegatedAdmin), fmt.Sprintf("relationship type: %v", partnerships.Types()))
	locale := f.fs.String("locale", templates.DefaultLocale, fmt.Sprintf("locale: %v", templates.Locales()))
	part := f.fs.String("part", "all", "what to print: subject, text, html or all")
	if _, err := f.parse(args); err != nil {
		return err
	}
	t, err := partnerships.ParseType(*typ)
	if err != nil {
		return configErrorf("--type: %v", err)
	}
	if !slices.Contains(templates.Kinds(), templates.Kind(*kind)) {
		return configErrorf("--kind %q: must be one of %v", *kind, templates.Kinds())
	}
	set, err := templates.New()
	if err != nil {
		return err
	}
	data, err := templates.Sample(templates.Kind(*kind), t)
	if err != nil {
		return err
	}
	msg, err := set.Render(templates.Kind(*kind), *locale, data)
	if err != nil {
		return configErrorf("%v", err)
	}
	switch *part {
	case "subject":
		fmt.Fprintln(stdout, msg.Subject)
	case "text":
		fmt.Fprint(stdout, msg.Text)
	case "html":
		fmt.Fprint(stdout, msg.HTML)
	case "all":
		fmt.Fprintf(stdout, "Subject: %s\n\n--- text ---\n%s\n--- html ---\n%s", msg.Subject, msg.Text, msg.HTML)
	default:
		return configErrorf("--part %q: must be subject, text, html or all", *part)
	}
	return nil
}
