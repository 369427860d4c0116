package templates

import "github.com/partnerlink/partnerlink/partnerships"

// kindSpec ties a kind's template directory to its typed model.
type kindSpec struct {
	kind Kind
	// prepare checks data — the kind's model, by value or pointer — and returns
	// the normalised value the templates execute on.
	prepare func(data any) (any, error)
	// sample returns realistic model data for previews.
	sample func(t partnerships.RelationshipType) (any, error)
}

// kindSpecs lists every kind. To add one: a directory with subject.<locale>.txt,
// body.<locale>.txt and body.<locale>.html for every locale, named in the
// go:embed line in set.go; a model type with prepare and sample functions; a
// Kind constant and a line here. TestEveryKindLocaleType and the golden test
// then cover it.
func kindSpecs() []kindSpec {
	return []kindSpec{
		{kind: KindInvitation, prepare: prepareInvitation, sample: sampleInvitation},
		{kind: KindRequestReply, prepare: prepareRequestReply, sample: sampleRequestReply},
		{kind: KindBounceNotice, prepare: prepareBounceNotice, sample: sampleBounceNotice},
		// Customer portal.
		{kind: KindSignInLink, prepare: prepareSignInLink, sample: sampleSignInLink},
		{kind: KindAgreementRequest, prepare: prepareAgreementRequest, sample: sampleAgreementRequest},
		// Scheduler (sched).
		{kind: KindReminder, prepare: prepareReminder, sample: sampleReminder},
		// Directory helper: notifications of relationship events, directory leads.
		{kind: KindNotification, prepare: prepareNotification, sample: sampleNotification},
		{kind: KindLead, prepare: prepareLead, sample: sampleLead},
	}
}

func specFor(k Kind) (kindSpec, bool) {
	for _, s := range kindSpecs() {
		if s.kind == k {
			return s, true
		}
	}
	return kindSpec{}, false
}
