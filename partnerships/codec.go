package partnerships

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Encoding of values in Redis hashes: times as unix milliseconds ("0" for the zero
// time), lists as comma lists ("" for none). Role and type names never contain commas.

func msString(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func parseMS(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func joinList[T ~string](xs []T) string {
	ss := make([]string, len(xs))
	for i, x := range xs {
		ss[i] = string(x)
	}
	return strings.Join(ss, ",")
}

// splitList returns the elements of a comma list: never nil, so an empty list
// reads back the same as it was written.
func splitList[T ~string](s string) []T {
	out := []T{}
	for x := range strings.SplitSeq(s, ",") {
		if x != "" {
			out = append(out, T(x))
		}
	}
	return out
}

// fieldMap turns a flat [field, value, field, value …] script reply (HGETALL) into a map.
func fieldMap(v any) (map[string]string, error) {
	arr, ok := v.([]any)
	if !ok || len(arr)%2 != 0 {
		return nil, fmt.Errorf("partnerships: unexpected hash reply %T", v)
	}
	m := make(map[string]string, len(arr)/2)
	for i := 0; i < len(arr); i += 2 {
		k, ok1 := arr[i].(string)
		val, ok2 := arr[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("partnerships: unexpected hash reply element %T/%T", arr[i], arr[i+1])
		}
		m[k] = val
	}
	return m, nil
}
