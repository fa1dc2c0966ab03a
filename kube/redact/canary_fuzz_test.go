package redact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// canarySeeds are the seeds every go test run checks; go test -fuzz adds more.
var canarySeeds = []uint64{0, 1, 2, 3, 42, 1 << 32, 0xdeadbeef}

// FuzzCanaryObjects generates objects from a seed (kubetest.GenerateCanaries),
// and checks for each, and for the list of them all, that after JSON
// decoding, Object redaction, printing as YAML and as indented JSON and the
// text layer, no canary is left in any encoding and every ordinary value
// still is. Run it longer with
//
//	go test -run '^$' -fuzz FuzzCanaryObjects -fuzztime 10m ./kube/redact/
func FuzzCanaryObjects(f *testing.F) {
	fuzzCanaries(f, func(c *checker, r *redact.Redactor, seed uint64) {
		for _, obj := range c.set.Objects {
			ref := kubetest.Ref(obj)
			for format, text := range printRedacted(c.t, r, obj) {
				c.check(fmt.Sprintf("seed %d: %s of %s", seed, format, ref), text, ref)
			}
		}
		list := map[string]any{"apiVersion": "v1", "kind": "List", "items": toAny(c.set.Objects)}
		for format, text := range printRedacted(c.t, r, list) {
			c.check(fmt.Sprintf("seed %d: %s of the List of all objects", seed, format), text, "")
		}
	})
}

// FuzzCanaryEventText checks the text layer alone where it is the only net:
// the raw message of each generated event, and the raw event printed as
// YAML, keep no canary and keep the ordinary backend name.
func FuzzCanaryEventText(f *testing.F) {
	fuzzCanaries(f, func(c *checker, r *redact.Redactor, seed uint64) {
		for _, obj := range c.set.Objects {
			if obj["kind"] != "Event" {
				continue
			}
			ref := kubetest.Ref(obj)
			msg, _ := obj["message"].(string)
			y, err := yaml.Marshal(obj)
			if err != nil {
				c.t.Fatal(err)
			}
			for what, raw := range map[string]string{"message": msg, "raw YAML": string(y)} {
				text, _ := r.Redact(raw)
				c.check(fmt.Sprintf("seed %d: text layer over the %s of %s", seed, what, ref), text, ref)
			}
		}
	})
}

// fuzzCanaries seeds f with canarySeeds and, for each seed, runs check over
// the objects generated from it, then sums up what leaked or was lost.
func fuzzCanaries(f *testing.F, check func(c *checker, r *redact.Redactor, seed uint64)) {
	for _, s := range canarySeeds {
		f.Add(s)
	}
	r := redact.New()
	f.Fuzz(func(t *testing.T, seed uint64) {
		c := &checker{t: t, set: kubetest.GenerateCanaries(seed, kubetest.CanaryOptions{Namespace: "fuzz"})}
		check(c, r, seed)
		c.done(seed)
	})
}

// printRedacted decodes a copy of obj from JSON, redacts it as an object,
// prints it as YAML and as indented JSON, and runs the text layer over each.
func printRedacted(t *testing.T, r *redact.Redactor, obj map[string]any) map[string]string {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, numbers := range []bool{false, true} {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if numbers {
			dec.UseNumber()
		}
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		r.Object(m)
		y, err := yaml.Marshal(m)
		if err != nil {
			t.Fatalf("print the redacted object as YAML: %v", err)
		}
		js, err := json.MarshalIndent(m, "", "    ")
		if err != nil {
			t.Fatalf("print the redacted object as JSON: %v", err)
		}
		suffix := ""
		if numbers {
			suffix = " (json.Number)"
		}
		out["YAML"+suffix], _ = r.Redact(string(y))
		out["JSON"+suffix], _ = r.Redact(string(js))
	}
	return out
}

// checker reports leaks and lost ordinary values, a bounded number of each.
type checker struct {
	t      *testing.T
	set    *kubetest.Canaries
	leaked map[string]bool // canary values leaked somewhere
	lost   map[string]bool // ordinary values lost somewhere
	shown  int
}

// maxShown bounds the leaks and losses shown one by one; done sums up the rest.
const maxShown = 10

// check reports the canaries text leaks and the ordinary values of object
// (every object's when empty) it lost.
func (c *checker) check(where, text, object string) {
	c.t.Helper()
	c.leaks(where, text)
	c.kept(where, text, object)
}

func (c *checker) leaks(where, text string) {
	c.t.Helper()
	for _, l := range c.set.Leaks(text) {
		if c.leaked == nil {
			c.leaked = map[string]bool{}
		}
		c.leaked[l.Canary.Value] = true
		if c.shown < maxShown {
			c.shown++
			c.t.Errorf("%s: leaked %s", where, l)
		}
	}
}

func (c *checker) kept(where, text, object string) {
	c.t.Helper()
	for _, o := range c.set.Missing(text, object) {
		if c.lost == nil {
			c.lost = map[string]bool{}
		}
		c.lost[o.Value] = true
		if c.shown < maxShown {
			c.shown++
			c.t.Errorf("%s: lost the ordinary value %s (%s %s)", where, o.Value, o.Object, o.Position)
		}
	}
}

// done sums up: which positions leaked, which ordinary values were lost.
func (c *checker) done(seed uint64) {
	c.t.Helper()
	if len(c.leaked) == 0 && len(c.lost) == 0 {
		return
	}
	var leaked, lost []string
	for _, k := range c.set.Canaries {
		if c.leaked[k.Value] {
			leaked = append(leaked, k.Object+" "+k.Position)
		}
	}
	for _, o := range c.set.Ordinary {
		if c.lost[o.Value] {
			lost = append(lost, o.Object+" "+o.Position)
		}
	}
	msg := fmt.Sprintf("seed %d:", seed)
	if len(leaked) > 0 {
		msg += fmt.Sprintf(" %d of %d canary positions leaked:\n  %s\n", len(leaked), len(c.set.Canaries), strings.Join(leaked, "\n  "))
	}
	if len(lost) > 0 {
		msg += fmt.Sprintf(" %d of %d ordinary values lost:\n  %s\n", len(lost), len(c.set.Ordinary), strings.Join(lost, "\n  "))
	}
	c.t.Error(msg)
}

func toAny(objs []map[string]any) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}
