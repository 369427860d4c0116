package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/partnerlink/partnerlink/partnerships"
)

// subcommands dispatches "partnerlink <group> <verb>".
func subcommands(group string, verbs map[string]func(context.Context, []string, io.Writer) error) func(context.Context, []string, io.Writer) error {
	return func(ctx context.Context, args []string, stdout io.Writer) error {
		usage := fmt.Sprintf("usage: partnerlink %s <verb> [flags]; verbs: %s (partnerlink %s <verb> --help lists its flags)",
			group, strings.Join(slices.Sorted(maps.Keys(verbs)), " "), group)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, usage)
			return flag.ErrHelp
		}
		if len(args) == 0 || verbs[args[0]] == nil {
			return configErrorf("%s", usage)
		}
		return verbs[args[0]](ctx, args[1:], stdout)
	}
}

func runPartners(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return subcommands("partners", map[string]func(context.Context, []string, io.Writer) error{
		"add":             partnersAdd,
		"list":            partnersList,
		"request-address": partnersRequestAddress,
		"update":          partnersUpdate, // directory profile and webhook (directory)
	})(ctx, args, stdout)
}

func runCustomers(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return subcommands("customers", map[string]func(context.Context, []string, io.Writer) error{
		"add":      customersAdd,
		"add-user": customersAddUser,
		"list":     customersList,
	})(ctx, args, stdout)
}

// openStore opens the store for an operator command. Call it once every flag is
// checked, so that a usage error is reported as one (exit 2) without waiting for Redis.
func openStore(ctx context.Context, cfg config) (*partnerships.Store, func(), error) {
	rdb, _, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	return partnerships.NewStore(rdb), func() { rdb.Close() }, nil
}

// inputError reports the store's refusal of what the operator typed (a malformed
// email address, an unknown role) as a usage error; other errors stay as they are.
func inputError(err error) error {
	if errors.Is(err, partnerships.ErrInvalidInput) || errors.Is(err, partnerships.ErrInvalidRole) {
		return configErrorf("%v", err)
	}
	return err
}

func partnersAdd(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("partners add", "Registers a partner and prints its API key (shown only once).", stdout, "redis-url")
	name := f.fs.String("name", "", "the partner's organisation name (required)")
	email := f.fs.String("email", "", "the partner's contact email address (required)")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	if *name == "" || *email == "" {
		return configErrorf("--name and --email are required")
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	p, key, err := store.CreatePartner(ctx, *name, *email)
	if err != nil {
		return inputError(err)
	}
	fmt.Fprintf(stdout, "partner %s created: %s <%s>\nAPI key (shown only this once; keep it secret): %s\n", p.ID, p.Name, p.ContactEmail, key)
	return nil
}

func partnersList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("partners list", "Lists partners.", stdout, "redis-url")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	ps, err := store.Partners(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCONTACT\tCREATED")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.Name, p.ContactEmail, p.CreatedAt.UTC().Format("2006-01-02"))
	}
	return tw.Flush()
}

func customersAdd(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("customers add", "Registers a customer (tenant) with its first administrator.", stdout, "redis-url")
	name := f.fs.String("name", "", "the customer's organisation name (required)")
	domain := f.fs.String("domain", "", "the customer's primary domain, e.g. fabrikam.com")
	adminEmail := f.fs.String("admin-email", "", "email address of the first administrator (required)")
	adminName := f.fs.String("admin-name", "", "display name of the first administrator")
	adminRole := f.fs.String("admin-role", string(partnerships.GlobalAdmin), "role of the first administrator: global_admin or billing_admin")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	if *name == "" || *adminEmail == "" {
		return configErrorf("--name and --admin-email are required")
	}
	role, err := partnerships.ParseCustomerRole(*adminRole)
	if err != nil || !role.CanAccept() {
		return configErrorf("--admin-role %q: the first user must be global_admin or billing_admin", *adminRole)
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	c, err := store.CreateCustomer(ctx, *name, *domain, partnerships.CustomerUser{Email: *adminEmail, Name: *adminName, Role: role})
	if err != nil {
		return inputError(err)
	}
	fmt.Fprintf(stdout, "customer %s created: %s, first administrator %s (%s)\n", c.ID, c.Name, *adminEmail, role)
	return nil
}

func customersAddUser(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("customers add-user", "Adds a user with a role to a customer.", stdout, "redis-url")
	customer := f.fs.String("customer", "", "customer id (required)")
	email := f.fs.String("email", "", "the user's email address (required)")
	name := f.fs.String("name", "", "the user's display name")
	roleName := f.fs.String("role", string(partnerships.User), "global_admin, billing_admin, helpdesk_admin or user")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	if *customer == "" || *email == "" {
		return configErrorf("--customer and --email are required")
	}
	role, err := partnerships.ParseCustomerRole(*roleName)
	if err != nil {
		return configErrorf("--role: %v", err)
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	if err := store.AddCustomerUser(ctx, partnerships.CustomerUser{CustomerID: *customer, Email: *email, Name: *name, Role: role}); err != nil {
		return inputError(err)
	}
	fmt.Fprintf(stdout, "user %s added to customer %s as %s\n", *email, *customer, role)
	return nil
}

func customersList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("customers list", "Lists customers and their users.", stdout, "redis-url")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	cs, err := store.Customers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tUSER\tROLE")
	for _, c := range cs {
		users, err := store.CustomerUsers(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, u.Email, u.Role)
		}
	}
	return tw.Flush()
}

func partnersRequestAddress(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("partners request-address", "Prints a new secret address a partner can send invitation requests to by\n"+
		"email, without DKIM or SPF; the partner's previous secret address stops working.", stdout, "redis-url", "inbox-address")
	partner := f.fs.String("partner", "", "partner id (required)")
	cfg, err := f.parse(args, "redis-url", "inbox-address")
	if err != nil {
		return err
	}
	if *partner == "" {
		return configErrorf("--partner is required")
	}
	mc, err := mailroomConfig(cfg)
	if err != nil {
		return err
	}
	rdb, _, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	secret, err := partnerships.NewStore(rdb).RequestSecret(ctx, *partner)
	if err != nil {
		return err
	}
	local, domain, _ := strings.Cut(mc.Address, "@")
	fmt.Fprintf(stdout, "%s+%s@%s\n", local, secret, domain)
	return nil
}
