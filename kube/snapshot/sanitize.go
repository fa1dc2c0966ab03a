package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// lastApplied is the annotation kubectl apply leaves; on a Secret or a
// ConfigMap it holds every value, so it is never captured there.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// cleanAll drops managedFields and redacts every item.
func cleanAll[T any](c *capturer, items []T) []T {
	for i := range items {
		if m, ok := any(&items[i]).(metav1.Object); ok {
			m.SetManagedFields(nil)
		}
		cleanValue(c, &items[i])
	}
	return items
}

// cleanValue removes secret values from v: first from the object itself
// (redact.Redactor.Object over its JSON form), then the text detectors run
// over that JSON as a second net, and the result is decoded back into v.
// Should the redacted text no longer decode, every string is redacted on
// its own instead.
func cleanValue[T any](c *capturer, v *T) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	var tree any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&tree); err != nil {
		return
	}
	n := 0
	if obj, ok := tree.(map[string]any); ok {
		n = c.red.Object(obj)
		if data, err = json.Marshal(obj); err != nil {
			return
		}
	}
	text, k := c.red.Redact(string(data))
	n += k
	if n == 0 {
		return
	}
	var fresh T
	if err := json.Unmarshal([]byte(text), &fresh); err == nil {
		*v = fresh
		c.f.Redactions += n
		return
	}
	n = 0
	tree = redactLeaves(c.red, tree, &n)
	data, err = json.Marshal(tree)
	if err == nil {
		if err = json.Unmarshal(data, &fresh); err == nil {
			*v = fresh
			c.f.Redactions += n
			return
		}
	}
	// A value that cannot be redacted in place is not kept at all.
	*v = *new(T)
	c.f.Gaps = append(c.f.Gaps, fmt.Sprintf("a %T was dropped because it could not be redacted: %v", v, err))
}

// redactLeaves redacts every string of a decoded JSON tree.
func redactLeaves(r Redactor, v any, n *int) any {
	switch t := v.(type) {
	case string:
		s, k := r.Redact(t)
		*n += k
		return s
	case []any:
		for i := range t {
			t[i] = redactLeaves(r, t[i], n)
		}
	case map[string]any:
		for k := range t {
			t[k] = redactLeaves(r, t[k], n)
		}
	}
	return v
}

// secretSizes keeps what a snapshot may hold of a Secret: metadata (without
// the last-applied annotation and managedFields), type, keys and sizes. It
// runs on each page as it arrives, so that no value outlives its page; the
// redactor runs over the result later (cleanAll).
func secretSizes(s *corev1.Secret) Secret {
	m := *s.ObjectMeta.DeepCopy()
	m.ManagedFields = nil
	delete(m.Annotations, lastApplied)
	out := Secret{Metadata: m, Type: s.Type}
	if len(s.Data) > 0 {
		out.Keys = make(map[string]int, len(s.Data))
		for k, v := range s.Data {
			out.Keys[k] = len(v)
		}
	}
	for k, v := range s.StringData {
		if out.Keys == nil {
			out.Keys = map[string]int{}
		}
		out.Keys[k] = len(v)
	}
	return out
}

// configMapSizes replaces every ConfigMap value by its size: configuration
// often embeds credentials no pattern recognises, and a snapshot leaves the
// cluster. Keys stay, so missing-key errors can still be explained. Like
// secretSizes, it runs on each page; the redactor runs later.
func configMapSizes(cm corev1.ConfigMap) corev1.ConfigMap {
	cm.ManagedFields = nil
	delete(cm.Annotations, lastApplied)
	for k, v := range cm.Data {
		cm.Data[k] = notCaptured(len(v))
	}
	if len(cm.BinaryData) > 0 {
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		for k, v := range cm.BinaryData {
			cm.Data[k] = notCaptured(len(v))
		}
		cm.BinaryData = nil
	}
	return cm
}

func notCaptured(n int) string { return fmt.Sprintf("<not captured: %d bytes>", n) }
