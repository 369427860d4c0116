package templates

import (
	"reflect"
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/partnerships"
)

// evilInput is what an attacker puts in a partner name, customer name, message,
// lead text or user name: markup, and CR/LF followed by a header of their own.
const evilInput = "Evil <script>alert(1)</script> & \"co\"\r\nBcc: victim@evil.example\r\n\r\n<b>body</b>"

// stringFields returns setters for every string reachable in v (fields of
// structs, pointers to them, elements of slices), by path.
func stringFields(v reflect.Value, path string, out map[string]reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			out[path] = v
		}
	case reflect.Pointer:
		if !v.IsNil() {
			stringFields(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				stringFields(v.Field(i), path+"."+v.Type().Field(i).Name, out)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			stringFields(v.Index(i), path+"[]", out)
		}
	}
}

// TestAttackEveryKindEscapesEveryInput (issue 6 items 6 and 8): for every email
// kind, locale and string field of its model, one at a time, an input with markup
// and CR/LF-injected headers is either refused by the kind's validation or
// rendered with a single-line subject (no new header) and an HTML body in which
// the markup is escaped.
func TestAttackEveryKindEscapesEveryInput(t *testing.T) {
	set, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range kindSpecs() {
		for _, locale := range Locales() {
			sample, err := spec.sample(partnerships.DelegatedAdmin)
			if err != nil {
				t.Fatal(err)
			}
			probe := reflect.New(reflect.TypeOf(sample))
			probe.Elem().Set(reflect.ValueOf(sample))
			fields := map[string]reflect.Value{}
			stringFields(probe.Elem(), "", fields)
			if len(fields) == 0 {
				t.Fatalf("%s: model has no string field", spec.kind)
			}
			rendered := 0
			for path := range fields {
				data := reflect.New(reflect.TypeOf(sample))
				data.Elem().Set(deepCopy(reflect.ValueOf(sample)))
				one := map[string]reflect.Value{}
				stringFields(data.Elem(), "", one)
				one[path].SetString(evilInput)
				msg, err := set.Render(spec.kind, locale, data.Interface())
				if err != nil {
					continue // refused: nothing sent
				}
				rendered++
				if strings.ContainsAny(msg.Subject, "\r\n") || strings.Contains(strings.ToLower(msg.Subject), "\nbcc:") {
					t.Errorf("%s/%s %s: subject %q is not one line", spec.kind, locale, path, msg.Subject)
				}
				if strings.Contains(msg.HTML, "<script>") || strings.Contains(msg.HTML, "<b>body</b>") {
					t.Errorf("%s/%s %s: HTML body carries the input's markup unescaped", spec.kind, locale, path)
				}
			}
			if rendered == 0 {
				t.Errorf("%s/%s: every field refused the input; the test proves nothing", spec.kind, locale)
			}
		}
	}
}

// deepCopy copies v, slices and pointed-to structs included, so that setting a
// field of the copy leaves the sample alone.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Elem().Type())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	default:
		return v
	}
}
