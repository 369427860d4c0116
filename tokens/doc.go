// Package tokens makes and checks the signed, expiring, purpose-bound and
// recipient-bound tokens that go into links emailed to people: invitation
// links, agreement links and sign-in links.
//
// A token proves only that this service issued the claims it carries and that
// they have not been altered. It does not enforce single use: the store records
// a token's ID when the link is used, and refuses a second use.
//
// # Keys
//
// A [Ring] holds one or more signing keys, newest first. The first key signs new
// tokens; every key verifies, so keys rotate without breaking links already sent:
// put the new key first, keep the old one until its last tokens have expired,
// then drop it. Keys are configured as "id1:base64secret,id2:base64secret"
// (see [ParseKeys], [FormatKeys] and [GenerateKey]). A key ID is 1 to 16
// characters of [A-Za-z0-9_-]; a secret is at least 32 bytes.
//
// # Determinism
//
// Signing is deterministic: the same claims signed by the same key give the
// same token string. A caller that stores a token's ID, IssuedAt and ExpiresAt
// can rebuild the very same link on a retried send by calling [Ring.Issue]
// again (as long as the signing key has not rotated in between).
//
// # Token format (version 1)
//
// A token is the unpadded base64url encoding (RFC 4648 §5, no '=') of the bytes
// below, so it can be put in a URL path or query without escaping. Integers are
// big-endian; a "len" is a single byte giving the length of the field after it.
//
//	offset  size      field
//	0       1         version, always 1 (any other value is rejected as malformed)
//	1       1         key ID length k, 1..16
//	2       k         key ID, [A-Za-z0-9_-]
//	        1         purpose length p, 1..255
//	        p         purpose (UTF-8), e.g. "invite"
//	        8         issued at, int64 Unix seconds (Issue accepts years 1970..9999)
//	        8         expires at, int64 Unix seconds
//	        16        token ID (Claims.ID is its 32-character lowercase hex form)
//	        1         subject length s, 1..255
//	        s         subject (UTF-8)
//	        1         recipient length r, 0..255
//	        r         recipient (UTF-8, trimmed and lowercased)
//	        32        HMAC-SHA256(secret of key ID, every byte above)
//
// The MAC covers the version byte and the key ID, so neither can be swapped
// without detection. Every field must be present with exactly the declared
// length and nothing may follow the MAC; the base64 must be canonical (the
// unused low bits of the last character are zero). A version-1 token is
// between 72 and 850 bytes, at most 1134 characters; [Ring.Verify] rejects any
// input longer than [MaxTokenLen] before decoding it, and decodes into
// fixed-size buffers, so no input can make it allocate more than its own size.
//
// # Verification
//
// [Ring.Verify] checks, in this order, and stops at the first failure:
//
//  1. format (length, alphabet, base64, version, field layout): [ErrMalformed]
//  2. the key ID is in the ring: [ErrUnknownKey]
//  3. the HMAC, compared in constant time: [ErrBadSignature]
//  4. the purpose is the one wanted: [ErrWrongPurpose]
//  5. the clock is before the expiry time: [ErrExpired]
//
// Errors wrap these sentinels with detail, except [ErrBadSignature], which is
// returned bare so that it says nothing about the expected MAC. Check them with
// [errors.Is]. Recipients are not checked by Verify: a caller that knows whom a
// link was sent to compares with [Claims.CheckRecipient] ([ErrWrongRecipient]).
package tokens
