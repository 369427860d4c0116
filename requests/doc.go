// Package requests reads a partner's request for invitations sent by email: Parse
// finds the requests in a message and checks each one the way the partner API
// does; Inspect reports who sent it and how that can be trusted. The package is
// pure: it reads bytes and does no I/O. The inbox looks the partner up
// (partnerships.Store.PartnerByContact, PartnerByRequestSecret), creates the
// invitations and queues the reply.
//
// # Requesting invitations by email
//
// Send a plain-text (or HTML) email to partnerlink's inbox. The subject must start
// with "Invite" (any case), for example "Invite Fabrikam". Replies and forwards
// ("Re:", "Fwd:", "AW:", "WG:" …) and automatic replies are never requests.
//
// In the body, write one request per block of "key: value" lines:
//
//	customer: admin@fabrikam.example
//	type: delegated_admin
//	roles: helpdesk_admin
//	locale: de
//	message: Hallo Ada,
//	wie besprochen die Einladung.
//
// Keys (any case; "customer email" and "customer-email" work too):
//
//	customer (or customer_email)   required; a plain address such as admin@fabrikam.example,
//	                               of a user the customer registered with partnerlink
//	type (or relationship_type)    required; one of reseller, delegated_admin,
//	                               reseller_delegated_admin, partner, advisor, mpsa,
//	                               line_of_business ("Delegated Admin" works too)
//	roles                          optional; comma-separated roles the type grants
//	                               (global_admin, helpdesk_admin, user_account,
//	                               purchase_visibility, application_admin); "none" for
//	                               none; left out or "all": all the type grants
//	locale                         optional; en (default) or de: the invitation's language
//	message                        optional; at most 2000 characters. The message goes
//	                               on until the next blank line, so it may span several
//	                               lines: put it last in its block.
//
// Several requests go in one email as several blocks, separated by a blank line or a
// line of three or more dashes ("---"). Blocks without any of these keys (a
// greeting, a sign-off) are ignored; reading stops at a signature line "-- " and
// quoted lines ("> …") are skipped. Inside a request block, a line "word: …" with an
// unknown key is an error, so typing mistakes are reported, not ignored.
//
// For many invitations, attach a CSV file (text/csv, or a name ending in .csv),
// UTF-8 (Excel's Windows-1252 works too), comma-separated, with this header row:
//
//	customer_email,relationship_type,roles,locale,message
//	admin@fabrikam.example,delegated_admin,global_admin;helpdesk_admin,de,Hallo Ada
//	it@northwind.example,reseller,,en,
//
// roles are separated by ";" in CSV. The columns may come in any order; roles,
// locale and message may be left out. A file may have at most 500 rows; a longer
// file is refused as a whole. Body and attachments may be combined.
//
// Every request is checked on its own. partnerlink answers with one email listing
// the invitations it created and, for every line it could not use, the line (body)
// or row (CSV) and why, for example:
//
//	line 7: type "boss" is not one of reseller, delegated_admin, …
//	invites.csv row 3: customer "nobody" is not a plain email address such as admin@contoso.com
//
// For an HTML-only email the line numbers count the lines of its text as
// partnerlink reads it (one line per paragraph).
//
// # Who may send requests
//
// A request counts only if its sender is the partner, shown one of two ways:
//
//   - The From address (exactly one address, no display name that looks like an
//     address) is the partner's registered contact address, and the message passed
//     DKIM (header.d or header.i aligned with the From domain) or SPF (smtp.mailfrom
//     aligned with the From domain), as recorded in Authentication-Results headers
//     added by partnerlink's own mail servers (the trusted authserv-ids). Only the
//     Authentication-Results headers at the top of the message, above the first one
//     from any other server, count: everything below may have come with the mail.
//     The receiving server must remove Authentication-Results headers that claim its
//     authserv-id from incoming mail (RFC 8601, section 5). Alignment is relaxed:
//     the domains are equal, or one is a subdomain of the other (the shorter one
//     having at least two labels).
//   - Or the email was sent to the partner's secret address requests+<secret>@…
//     (partnerlink's inbox address with "+<secret>" added to its local part), which
//     partnerlink gives the partner (partnerlink shows the secret once; asking for
//     it again issues a new one).
//
// Automatic mail (Auto-Submitted other than "no"; Precedence bulk, junk or list;
// X-Autoreply, X-Autorespond, List-Id headers; "Out of office", "Automatic reply",
// "Abwesend" subjects) and partnerlink's own mail (X-Partnerlink-Loop, or From the
// inbox address) are never requests and are never answered.
//
// Limits: a message of at most 10 MiB, at most 50 MIME parts, nested at most 5
// deep. Attached messages (message/rfc822) are not read.
package requests
