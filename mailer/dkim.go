package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"
)

// DKIMKey is one DKIM signing key: the private key and where its public half is
// published, <Selector>._domainkey.<Domain>.
type DKIMKey struct {
	Selector string
	Domain   string
	Signer   crypto.Signer // *rsa.PrivateKey (2048 bits or more) or ed25519.PrivateKey
}

// DKIM key types.
const (
	DKIMRSA     = "rsa"
	DKIMEd25519 = "ed25519"
)

// ErrDKIMKey reports a DKIM key that cannot be used.
var ErrDKIMKey = errors.New("mailer: dkim key")

var selectorPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// Type is DKIMRSA or DKIMEd25519.
func (k DKIMKey) Type() string {
	if _, ok := k.Signer.Public().(ed25519.PublicKey); ok {
		return DKIMEd25519
	}
	return DKIMRSA
}

// Validate checks the selector, the domain and the key.
func (k DKIMKey) Validate() error {
	if !selectorPattern.MatchString(strings.ToLower(k.Selector)) {
		return fmt.Errorf("%w: selector %q is not a DNS label", ErrDKIMKey, k.Selector)
	}
	if idDomain(k.Domain) != strings.ToLower(strings.TrimSuffix(k.Domain, ".")) || k.Domain == "" {
		return fmt.Errorf("%w: domain %q is not a host name", ErrDKIMKey, k.Domain)
	}
	switch pub := k.Signer.(type) {
	case *rsa.PrivateKey:
		if pub.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA key of %d bits: need at least 2048", ErrDKIMKey, pub.N.BitLen())
		}
	case ed25519.PrivateKey:
	case nil:
		return fmt.Errorf("%w: no key for selector %q", ErrDKIMKey, k.Selector)
	default:
		return fmt.Errorf("%w: %T is neither RSA nor Ed25519", ErrDKIMKey, k.Signer)
	}
	return nil
}

// Record returns the DNS TXT record value that publishes k's public key:
// "v=DKIM1; k=rsa; p=…" (k=ed25519 for an Ed25519 key).
func (k DKIMKey) Record() (string, error) {
	var p []byte
	switch pub := k.Signer.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrDKIMKey, err)
		}
		p = der
	case ed25519.PublicKey:
		p = pub // RFC 8463: the raw 32-byte key
	default:
		return "", fmt.Errorf("%w: %T is neither RSA nor Ed25519", ErrDKIMKey, pub)
	}
	return "v=DKIM1; k=" + k.Type() + "; p=" + base64.StdEncoding.EncodeToString(p), nil
}

// RecordName is the DNS name of k's TXT record, <selector>._domainkey.<domain>.
func (k DKIMKey) RecordName() string {
	return strings.ToLower(k.Selector) + "._domainkey." + strings.ToLower(strings.TrimSuffix(k.Domain, "."))
}

// ParseDKIMPrivateKey reads a PEM private key: PKCS#8 (RSA or Ed25519) or
// PKCS#1 RSA.
func ParseDKIMPrivateKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrDKIMKey)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDKIMKey, err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDKIMKey, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: %T cannot sign", ErrDKIMKey, k)
		}
		switch s.(type) {
		case *rsa.PrivateKey, ed25519.PrivateKey:
			return s, nil
		}
		return nil, fmt.Errorf("%w: %T is neither RSA nor Ed25519", ErrDKIMKey, k)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrDKIMKey, block.Type)
	}
}

// GenerateDKIMKey returns a new private key of type typ (DKIMRSA: 2048 bits, or
// DKIMEd25519) as PKCS#8 PEM.
func GenerateDKIMKey(typ string) ([]byte, error) {
	var key any
	var err error
	switch typ {
	case DKIMRSA:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case DKIMEd25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("%w: type %q: must be rsa or ed25519", ErrDKIMKey, typ)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDKIMKey, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDKIMKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// dkimHeaders are the fields signed (RFC 6376 section 5.4.1). From, Subject,
// To and Date are listed twice so that a copy added on the way breaks the
// signature (over-signing).
var dkimHeaders = []string{
	"From", "From", "Subject", "Subject", "To", "To", "Date", "Date", "Message-ID", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Auto-Submitted", "In-Reply-To", "References", "List-Unsubscribe", "List-Unsubscribe-Post",
	"Reply-To",
}

// sign adds a DKIM-Signature header to gm made with key. go-mail keeps the
// multipart boundaries of a rendered message, so the bytes sent later are the
// bytes signed here.
func sign(gm *gomail.Msg, key DKIMKey) error {
	var buf bytes.Buffer
	if _, err := gm.WriteTo(&buf); err != nil {
		return fmt.Errorf("mailer: dkim: render: %w", err)
	}
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain:                 strings.ToLower(key.Domain),
		Selector:               strings.ToLower(key.Selector),
		Signer:                 key.Signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             dkimHeaders,
	})
	if err != nil {
		return fmt.Errorf("mailer: dkim: %w", err)
	}
	if _, err := s.Write(buf.Bytes()); err != nil {
		s.Close()
		return fmt.Errorf("mailer: dkim: %w", err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("mailer: dkim: %w", err)
	}
	name, value, ok := strings.Cut(s.Signature(), ":")
	if !ok {
		return fmt.Errorf("mailer: dkim: signature %q has no field name", s.Signature())
	}
	gm.SetGenHeaderPreformatted(gomail.Header(name), strings.TrimSuffix(strings.TrimPrefix(value, " "), "\r\n"))
	return nil
}
