// Package mailroom decides what each mail that arrives in partnerlink's inbox is
// and acts on it: a delivery status notification marks its invitation bounced and
// tells the partner; an abuse report (a recipient pressed "report spam")
// suppresses the address at once; a partner's request creates invitations and answers with what
// was created and what was wrong; anything else is rejected with the reason.
// It is the inbox.Handler that `partnerlink inbox` and `dev` run.
package mailroom
