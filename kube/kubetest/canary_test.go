package kubetest_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// TestGenerateCanariesPlantsEveryPosition checks planted sets over many seeds
// (see checkPlanted).
func TestGenerateCanariesPlantsEveryPosition(t *testing.T) {
	for seed := range uint64(100) {
		checkPlanted(t, seed)
	}
	checkPlanted(t, 1<<40)
	set := kubetest.GenerateCanaries(1, kubetest.CanaryOptions{})
	t.Logf("%d objects, %d canary positions (%s), %d ordinary values",
		len(set.Objects), len(set.Canaries), set.Categories(), len(set.Ordinary))
}

// FuzzGenerateCanaries checks planted sets for any seed:
//
//	go test -run '^$' -fuzz FuzzGenerateCanaries -fuzztime 1m ./kube/kubetest/
func FuzzGenerateCanaries(f *testing.F) {
	f.Add(uint64(0))
	f.Fuzz(checkPlanted)
}

// checkPlanted checks that, unredacted, the JSON and YAML of each object
// show every canary planted in it (in some form) and every ordinary value,
// and that canaries and markers are unique.
func checkPlanted(t *testing.T, seed uint64) {
	t.Helper()
	set := kubetest.GenerateCanaries(seed, kubetest.CanaryOptions{Namespace: "ns"})
	seen := map[string]bool{}
	for _, c := range set.Canaries {
		if seen[c.Value] || !strings.Contains(strings.ToLower(c.Value), "cnry") {
			t.Errorf("seed %d: canary %q is repeated or not recognisable", seed, c.Value)
		}
		seen[c.Value] = true
	}
	for _, o := range set.Ordinary {
		if seen[o.Value] || !strings.HasPrefix(o.Value, "ordy") {
			t.Errorf("seed %d: ordinary %q is repeated or not recognisable", seed, o.Value)
		}
		seen[o.Value] = true
	}
	printed := map[string]string{}
	for _, obj := range set.Objects {
		js, err := json.MarshalIndent(obj, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		y, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		printed[kubetest.Ref(obj)] = string(js) + "\n" + string(y)
	}
	for _, c := range set.Canaries {
		text, ok := printed[c.Object]
		if !ok {
			t.Fatalf("seed %d: canary %s names object %s, which was not generated", seed, c.Value, c.Object)
		}
		found := false
		for _, l := range set.Leaks(text) {
			found = found || l.Canary.Value == c.Value
		}
		if !found {
			t.Errorf("seed %d: canary %s (%s %s) is in no form in its object", seed, c.Value, c.Object, c.Position)
		}
	}
	for ref, text := range printed {
		for _, o := range set.Missing(text, ref) {
			t.Errorf("seed %d: ordinary %s (%s) is not in its object", seed, o.Value, o.Position)
		}
	}
}

// TestGenerateCanariesIsDeterministic checks that a seed gives the same set.
func TestGenerateCanariesIsDeterministic(t *testing.T) {
	a := kubetest.GenerateCanaries(7, kubetest.CanaryOptions{})
	b := kubetest.GenerateCanaries(7, kubetest.CanaryOptions{})
	if !reflect.DeepEqual(a.Objects, b.Objects) || !reflect.DeepEqual(a.Canaries, b.Canaries) {
		t.Error("seed 7 gave two different sets")
	}
	c := kubetest.GenerateCanaries(8, kubetest.CanaryOptions{})
	if reflect.DeepEqual(a.Canaries, c.Canaries) {
		t.Error("seeds 7 and 8 gave the same canaries")
	}
}

// TestCanaryLeaks checks that a canary is found raw, in base64 at any
// offset, in URL-safe base64 and in base64 of base64, and that a redacted
// text yields no leak.
func TestCanaryLeaks(t *testing.T) {
	set := kubetest.GenerateSecretList(3, kubetest.CanaryOptions{}, 1, 1, 0)
	c := set.Canaries[0]
	b64 := base64.StdEncoding.EncodeToString
	for name, text := range map[string]string{
		"raw":            "password: " + c.Value,
		"json":           `{"a":"{\"password\":\"` + c.Value + `\"}"}`,
		"base64":         b64([]byte(c.Value)),
		"base64 +1":      b64([]byte("x" + c.Value + "y")),
		"base64 +2":      b64([]byte("xy" + c.Value)),
		"base64 url":     base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + c.Value + `"}`)),
		"base64 twice":   b64([]byte(`{"auth":"` + b64([]byte("robot:"+c.Value)) + `"}`)),
		"in a long line": strings.Repeat("a", 5000) + c.Value + strings.Repeat("b", 5000),
	} {
		leaks := set.Leaks(text)
		if len(leaks) != 1 || leaks[0].Canary.Value != c.Value {
			t.Errorf("%s: leaks %v, want canary %s", name, leaks, c.Value)
		}
	}
	if leaks := set.Leaks("password: [REDACTED]\n" + c.Value[:10]); len(leaks) != 0 {
		t.Errorf("redacted text: leaks %v", leaks)
	}
}

// TestGenerateSecretList checks the size and count of a bulk Secret list.
func TestGenerateSecretList(t *testing.T) {
	set := kubetest.GenerateSecretList(1, kubetest.CanaryOptions{Namespace: "ns"}, 10, 4, 1000)
	if len(set.Objects) != 10 || len(set.Canaries) != 40 || len(set.Ordinary) != 10 {
		t.Fatalf("%d objects, %d canaries, %d ordinary; want 10, 40, 10", len(set.Objects), len(set.Canaries), len(set.Ordinary))
	}
	js, _ := json.Marshal(set.Objects)
	if len(js) < 10*4*1300 {
		t.Errorf("the list is %d bytes of JSON, want at least %d", len(js), 10*4*1300)
	}
	if n := len(set.Leaks(string(js))); n != 40 {
		t.Errorf("%d canaries found in the list, want 40", n)
	}
}
