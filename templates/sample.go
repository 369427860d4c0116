package templates

import (
	"fmt"

	"github.com/partnerlink/partnerlink/partnerships"
)

// Sample returns realistic model data of kind for a preview, for relationship type
// t (kinds that do not depend on a type ignore it). The data includes a customer
// name with markup and quotes, so a preview shows the escaping.
func Sample(kind Kind, t partnerships.RelationshipType) (any, error) {
	spec, ok := specFor(kind)
	if !ok {
		return nil, fmt.Errorf("%w: %q (have %v)", ErrUnknownKind, kind, Kinds())
	}
	return spec.sample(t)
}
