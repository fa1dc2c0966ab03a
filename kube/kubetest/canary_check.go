package kubetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// CanaryCheck checks outputs against a generated set, counts them and sums
// up at the end which positions leaked into which outputs, so that a test
// names the leaked canary and where without printing a line per output.
type CanaryCheck struct {
	Set *Canaries
	// Outputs counts the outputs checked.
	Outputs int

	leaked map[string][]string // canary value → outputs it leaked into
	lost   map[string][]string // ordinary value → outputs it was missing from
	shown  int
}

// maxShown bounds the leaks and losses Leaks and Kept report one by one.
const maxShown = 15

// Leaks fails t for every canary text holds, and counts text as checked.
func (c *CanaryCheck) Leaks(t testing.TB, output, text string) {
	t.Helper()
	c.Outputs++
	for _, l := range c.Set.Leaks(text) {
		if c.leaked == nil {
			c.leaked = map[string][]string{}
		}
		c.leaked[l.Canary.Value] = append(c.leaked[l.Canary.Value], output)
		if c.shown < maxShown {
			c.shown++
			t.Errorf("%s: leaked %s", output, l)
		}
	}
}

// Kept fails t for every ordinary value of object ("Kind/name"; "" for
// all) that text lacks: a redactor that blanks everything fails here.
func (c *CanaryCheck) Kept(t testing.TB, output, text, object string) {
	t.Helper()
	for _, o := range c.Set.Missing(text, object) {
		if c.lost == nil {
			c.lost = map[string][]string{}
		}
		c.lost[o.Value] = append(c.lost[o.Value], output)
		if c.shown < maxShown {
			c.shown++
			t.Errorf("%s: lost the ordinary value %s (%s %s)", output, o.Value, o.Object, o.Position)
		}
	}
}

// Leaked returns the canaries that leaked so far, in planting order.
func (c *CanaryCheck) Leaked() []Canary {
	var out []Canary
	for _, k := range c.Set.Canaries {
		if _, ok := c.leaked[k.Value]; ok {
			out = append(out, k)
		}
	}
	return out
}

// Summary returns one line per leaked position and per lost ordinary value,
// with up to three of the outputs concerned; "" when nothing leaked or was lost.
func (c *CanaryCheck) Summary() string {
	var b strings.Builder
	few := func(outs []string) string {
		outs = slices.Compact(slices.Clone(outs))
		if len(outs) > 3 {
			return strings.Join(outs[:3], "; ") + fmt.Sprintf("; and %d more", len(outs)-3)
		}
		return strings.Join(outs, "; ")
	}
	n := 0
	for _, k := range c.Set.Canaries {
		if outs, ok := c.leaked[k.Value]; ok {
			n++
			fmt.Fprintf(&b, "  leaked %s %s (%s) into %d outputs: %s\n", k.Object, k.Position, k.Value, len(outs), few(outs))
		}
	}
	if n > 0 {
		b.WriteString(fmt.Sprintf("  %d of %d canary positions leaked\n", n, len(c.Set.Canaries)))
	}
	for _, o := range c.Set.Ordinary {
		if outs, ok := c.lost[o.Value]; ok {
			fmt.Fprintf(&b, "  lost ordinary %s %s (%s) in %d outputs: %s\n", o.Object, o.Position, o.Value, len(outs), few(outs))
		}
	}
	return b.String()
}

// Report fails t with the Summary when anything leaked or was lost.
func (c *CanaryCheck) Report(t testing.TB) {
	t.Helper()
	if s := c.Summary(); s != "" {
		t.Errorf("seed %d:\n%s", c.Set.Seed, s)
	}
}
