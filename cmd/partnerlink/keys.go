package main

import (
	"context"
	"fmt"
	"io"

	"github.com/partnerlink/partnerlink/tokens"
)

func runKeys(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return subcommands("keys", map[string]func(context.Context, []string, io.Writer) error{
		"generate": keysGenerate,
		"dkim":     keysDKIM, // deliver
	})(ctx, args, stdout)
}

func keysGenerate(_ context.Context, args []string, stdout io.Writer) error {
	f := newFlags("keys generate", "Prints a new token signing key for PARTNERLINK_TOKEN_KEYS. To rotate,\n"+
		"put the new key first and keep the old ones after it until their links have expired.", stdout)
	id := f.fs.String("id", "k1", "key id (1 to 16 letters, digits, _ or -)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	k, err := tokens.GenerateKey(*id)
	if err != nil {
		return configErrorf("--id: %v", err)
	}
	fmt.Fprintln(stdout, tokens.FormatKeys([]tokens.Key{k}))
	return nil
}
