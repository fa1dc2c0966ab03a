package kube

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestVerbTablesDisjoint keeps the verb tables apart: classify looks a read
// verb up first and trusts it without asking the other tables.
func TestVerbTablesDisjoint(t *testing.T) {
	for key := range readVerbs {
		verb, _, _ := strings.Cut(key, " ")
		if mutatingVerbs[key] || mutatingVerbs[verb] || refusedVerbs[verb] != "" {
			t.Errorf("read verb %q is also a write or refused verb", key)
		}
	}
}

// TestParseSlicesIndependent checks that Args, Operands and Names, which
// share one backing array, never write into each other when appended to.
func TestParseSlicesIndependent(t *testing.T) {
	for _, line := range []string{"get pod/web-1 pod/web-2 -n shop", "get pods web-1 web-2", "delete pod/web-1", "logs deploy/web -c app"} {
		a, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		args, ops, names := strings.Join(a.Args, " "), strings.Join(a.Operands, " "), strings.Join(a.Names, " ")
		_ = append(a.Args, "X")
		_ = append(a.Operands, "Y")
		_ = append(a.Names, "Z")
		if got := strings.Join(a.Args, " ") + "|" + strings.Join(a.Operands, " ") + "|" + strings.Join(a.Names, " "); got != args+"|"+ops+"|"+names {
			t.Errorf("Parse(%q): appending changed %q into %q", line, args+"|"+ops+"|"+names, got)
		}
	}
}

func TestFlagsJSON(t *testing.T) {
	a, err := Parse("logs web-1 -c app --since=5m")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(a.Flags)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"container":"app","since":"5m","tail":"200"}`; string(b) != want {
		t.Errorf("flags JSON = %s, want %s", b, want)
	}
	var back Flags
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, a.Flags) {
		t.Errorf("flags read back as %v, want %v", back, a.Flags)
	}
}

func TestPlainByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c > ' ' && c < 0x7f && !strings.ContainsRune("|;&><`()$#\\'\"", rune(c))
		if got := plainByte(byte(c)); got != want {
			t.Errorf("plainByte(%#x) = %v, want %v", c, got, want)
		}
	}
}

// TestParseEdges covers lines whose shape once confused the parser.
func TestParseEdges(t *testing.T) {
	a, err := Parse("get pods $")
	if err == nil || !strings.Contains(a.Reason, "not a valid object name") || a.String() != "kubectl get pods '$'" {
		t.Errorf(`Parse("get pods $") = %q, %q, %v; want the lone $ refused as a name`, a.String(), a.Reason, err)
	}
	if a, _ := ParseArgs(nil); a.Args != nil {
		t.Errorf("ParseArgs(nil).Args = %#v, want nil", a.Args)
	}
	a, _ = Parse("get pods -o yaml -l app=web")
	if len(a.Flags) != 2 || cap(a.Flags) != len(a.Flags) {
		t.Errorf("flags %v have room for %d: appending to a copy would write into the original", a.Flags, cap(a.Flags))
	}
}
