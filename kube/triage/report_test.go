package triage

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kuberesponder/kuberesponder/llm"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; run go test ./kube/triage -run %s -update and review the diff\n--- got ---\n%s", name, t.Name(), got)
	}
}

func TestSeedReportGolden(t *testing.T) {
	r := Build(seedFacts())
	golden(t, "seed.en.md", r.Markdown("en"))
	golden(t, "seed.ja.md", r.Markdown("ja"))
	b, err := r.In("en").JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "seed.json", string(b))
	for _, lang := range []string{"en", "ja"} {
		p, err := Prompt(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "seed.prompt."+lang+".txt", p)
	}
}

func TestSeedMarkdownSections(t *testing.T) {
	for lang, headings := range map[string][]string{
		"en": {"## 1. Failure location and evidence", "## 2. Description of the failure", "## 3. Cause of the failure",
			"## 4. Impact scope", "## 5. Urgency", "## 6. Other comments"},
		"ja": {"## 1. 障害箇所と根拠", "## 2. 障害の内容", "## 3. 障害の原因", "## 4. 影響範囲", "## 5. 緊急度の判断", "## 6. その他のコメント"},
	} {
		md := Build(seedFacts()).Markdown(lang)
		last := -1
		for _, h := range headings {
			i := strings.Index(md, h)
			if i < 0 || i < last {
				t.Errorf("%s: heading %q missing or out of order", lang, h)
			}
			last = i
		}
		for _, healthy := range []string{"nginx-with-5gi-766bc97857-tjqtf", "nginx-with-10gi-77579bdb99-rtbd7"} {
			if strings.Contains(md, healthy) {
				t.Errorf("%s: healthy pod %s appears in the report", lang, healthy)
			}
		}
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	r := Build(seedFacts())
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Version != ReportVersion || len(back.Findings) != 1 || back.Findings[0].Urgency != High ||
		back.Findings[0].Rule != "scheduling/insufficient-memory" {
		t.Errorf("decoded report = %+v", back)
	}
}

// TestFactsSnapshotRoundTrip checks that saved facts analyse the same once loaded.
func TestFactsSnapshotRoundTrip(t *testing.T) {
	f := seedFacts()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Facts
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if a, z := Build(f).Markdown("en"), Build(&back).Markdown("en"); a != z {
		t.Errorf("report from reloaded facts differs:\n%s\n---\n%s", a, z)
	}
}

func TestGatherFakeClientset(t *testing.T) {
	cs := fake.NewClientset(seedObjects()...)
	cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.37.2+k0s"}
	f, err := Gather(context.Background(), cs, Options{Namespace: "default", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	want := seedFacts()
	want.Cluster.Version, want.Cluster.Provider = "v1.37.2+k0s", "k0s"
	if !reflect.DeepEqual(Analyze(f), Analyze(want)) {
		t.Errorf("findings from Gather differ from FromObjects:\n%s\n%s", rules(Analyze(f)), rules(Analyze(want)))
	}
	if f.Cluster.Provider != "k0s" || f.Cluster.WorkerNodes != 2 || len(f.PodIndex) != 3 || len(f.Pods) != 1 {
		t.Errorf("facts = provider %q workers %d pods %d problem pods %d", f.Cluster.Provider, f.Cluster.WorkerNodes, len(f.PodIndex), len(f.Pods))
	}
	if len(f.Gaps) != 0 {
		t.Errorf("gaps = %v", f.Gaps)
	}
}

// TestPromptBudget fills a report with many findings and event groups: the
// prompt must shrink to the budget, counted with the model's tokenizer
// (llm.CountTokens), and still keep one row for every distinct warning group.
func TestPromptBudget(t *testing.T) {
	const groups = 120
	f := seedFacts()
	for i := 0; i < 400; i++ {
		g := f.Events[0]
		g.Object.Name = "pod-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + itoa(i)
		g.Reason = "Reason" + itoa(i%groups)
		g.Pattern = g.Reason + " pattern"
		g.Message = strings.Repeat("a long message about something that went wrong ", 6) + itoa(i)
		f.Events = append(f.Events, g)
	}
	r := Build(f)
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			p, err := Prompt(r, lang)
			if err != nil {
				t.Fatal(err)
			}
			if n := llm.CountTokens(p); n > PromptBudget {
				t.Errorf("prompt has %d tokens, budget %d", n, PromptBudget)
			}
			for i := 0; i < groups; i++ {
				if !strings.Contains(p, "| Reason"+itoa(i)+" |") {
					t.Errorf("prompt lost warning group Reason%d", i)
				}
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSecretsNeverLeave(t *testing.T) {
	const secret = "s3cr3t-Passw0rd"
	objs := append(seedObjects(),
		warning("Pod", "default", "nginx-with-10gi-77579bdb99-ckfj9", "Unhealthy",
			"Readiness probe failed: dial postgres://app:"+secret+"@db:5432 refused", 1, clock))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASSWORD", Value: secret}}
			p.Spec.Containers[0].Args = []string{"--password=" + secret}
		}
	}
	f := FromObjects(clock, "default", objs...)
	r := Build(f)
	facts, _ := json.Marshal(f)
	js, _ := r.JSON()
	prompt, err := Prompt(r, "en")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"facts": string(facts), "json": string(js), "markdown": r.Markdown("en"), "prompt": prompt} {
		if strings.Contains(text, secret) {
			t.Errorf("the %s holds the secret", name)
		}
	}
	if !strings.Contains(r.Markdown("en"), "[REDACTED]") {
		t.Errorf("the markdown does not show where a value was removed")
	}
}

func TestModelAnswerIsLabelled(t *testing.T) {
	r := Build(seedFacts())
	r.Model = &ModelAnswer{Model: "test-model", Text: "1. The pod is Pending.\n\x1b[31mred\x1b[0m"}
	for lang, label := range map[string]string{"en": "## Model-written analysis (test-model)", "ja": "## モデルによる分析（test-model）"} {
		md := r.Markdown(lang)
		i, j := strings.Index(md, "## 6."), strings.Index(md, label)
		if i < 0 || j < i {
			t.Errorf("%s: the model's answer is not labelled after the rule sections:\n%s", lang, md)
		}
		if strings.Contains(md, "\x1b") {
			t.Errorf("%s: escape sequences from the model reach the terminal", lang)
		}
	}
	r.Model = &ModelAnswer{Model: "test-model", Error: "model endpoint unreachable"}
	if md := r.Markdown("en"); !strings.Contains(md, "The model could not answer: model endpoint unreachable") || !strings.Contains(md, "## 1. Failure location") {
		t.Errorf("a model error must leave the rule report whole:\n%s", md)
	}
}
