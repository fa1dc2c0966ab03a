package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/postmortem"
)

// TestSessionCanaries drives a session over generated canary objects on the
// real control plane with a scripted model over real HTTP: the model reads
// every ConfigMap and Secret, describes and reads the pod, the workloads and
// the events; the postmortem is drafted by the model, then exported as
// Markdown and JSON. No request the model received, no file of the session
// (journal, outputs, postmortems) holds a canary in any encoding; the
// model's requests and the session's files still hold the ordinary values of
// the ConfigMaps and Secrets it read.
func TestSessionCanaries(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	seed := uint64(1)
	if s := os.Getenv("KUBERESPONDER_CANARY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 0, 64); err != nil {
			t.Fatalf("KUBERESPONDER_CANARY_SEED=%q: %v", s, err)
		}
	}
	set := kubetest.GenerateCanaries(seed, kubetest.CanaryOptions{Namespace: ns, Now: time.Now()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, obj := range set.Objects {
		js, _ := json.Marshal(obj)
		if err := c.ApplyIn(ctx, ns, string(js)); err != nil {
			t.Fatalf("apply %s: %v", kubetest.Ref(obj), err)
		}
	}

	// The first response, as the session gets it.
	cs, err := kubernetes.NewForConfig(kube.ReadOnlyConfig(c.ReadOnlyConfig))
	if err != nil {
		t.Fatal(err)
	}
	facts, err := triage.Gather(ctx, cs, triage.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	report := triage.Build(facts)
	findings, err := report.JSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "canary")
	s, err := session.New(dir, session.Meta{Context: "kubetest", Namespace: ns, Model: "test-model", Lang: "en"}, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Report(session.FirstResponse{Markdown: report.Markdown("en"), Findings: findings}); err != nil {
		t.Fatal(err)
	}

	// Two rounds of reads: the documents first, then the workloads.
	var docs, work []string
	read := map[string]bool{} // objects whose -o yaml or -o json the model reads
	for _, obj := range set.Objects {
		ref := kubetest.Ref(obj)
		kind, name, _ := strings.Cut(ref, "/")
		switch kind {
		case "ConfigMap", "Secret":
			docs = append(docs, fmt.Sprintf("get %s %s -o yaml", strings.ToLower(kind), name), fmt.Sprintf("describe %s %s", strings.ToLower(kind), name))
			read[ref] = true
		case "Pod":
			work = append(work, "describe pod "+name, "get pod "+name+" -o json", "logs "+name)
		case "Deployment", "StatefulSet", "CronJob":
			work = append(work, fmt.Sprintf("get %s %s -o yaml", strings.ToLower(kind), name))
		}
	}
	docs = append(docs, "get cm -o json")
	work = append(work, "get events", "events -o yaml")
	calls := func(prefix string, lines []string) llmtest.Turn {
		var cs []llmtest.ToolCall
		for i, l := range lines {
			cs = append(cs, llmtest.Kubectl(fmt.Sprintf("%s_%d", prefix, i), l, "read what the incident touches"))
		}
		return llmtest.Calls(cs...)
	}
	srv := llmtest.NewFunc(t, func(r llmtest.Request) llmtest.Turn {
		answered := map[string]bool{}
		for _, m := range r.Chat.Messages {
			if m.Role == "tool" {
				answered[m.ToolCallID] = true
			}
		}
		switch {
		case len(r.Chat.Tools) == 0: // the postmortem draft
			return llmtest.Text("Summary: a pod could not start. Root cause: not yet known.")
		case !answered["docs_0"]:
			return calls("docs", docs)
		case !answered["work_0"]:
			return calls("work", work)
		default:
			return llmtest.Text("The configuration and the workloads are read; nothing more to check.")
		}
	})
	client, err := llm.NewOpenAI(llm.Config{BaseURL: srv.URL(), APIKey: "test", Model: "test-model"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Investigate(); err != nil {
		t.Fatal(err)
	}
	if err := approveAll(ctx, s, session.NewEngine(s, client, e)); err != nil {
		t.Fatal(err)
	}
	srv.AssertToolCallsAnswered(t)
	ran := 0
	for _, ev := range s.Events() {
		if ev.Kind == session.KindResult && ev.Status == session.Ran {
			ran++
		}
	}
	if ran != len(docs)+len(work)-1 && ran != len(docs)+len(work) { // logs may fail: the pod never starts
		t.Errorf("%d actions ran, want %d", ran, len(docs)+len(work))
	}

	// The postmortem, drafted by the model, in Markdown and JSON.
	src, err := postmortem.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []postmortem.Exporter{
		{Model: client, ModelName: "test-model"},
		{Format: postmortem.JSON},
	} {
		if _, err := x.Export(ctx, src); err != nil {
			t.Fatalf("export %s: %v", x.Format, err)
		}
	}

	check := &kubetest.CanaryCheck{Set: set}
	var sent strings.Builder
	for _, r := range srv.Requests() {
		check.Leaks(t, fmt.Sprintf("model request %d", r.N), string(r.Body))
		sent.Write(r.Body)
	}
	var files strings.Builder
	nfiles := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		check.Leaks(t, "session file "+rel, string(b))
		files.Write(b)
		nfiles++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postmortem.md", "postmortem.json", session.JournalFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the session directory lacks %s: %v", name, err)
		}
	}
	for ref := range read {
		check.Kept(t, "model requests", sent.String(), ref)
		check.Kept(t, "session files", files.String(), ref)
	}
	check.Report(t)
	t.Logf("seed %d: %d objects, %d canary positions (%s); %d actions ran; %d model requests and %d session files checked (%d outputs); %d positions leaked",
		set.Seed, len(set.Objects), len(set.Canaries), set.Categories(), ran, len(srv.Requests()), nfiles, check.Outputs, len(check.Leaked()))
}

// approveAll runs the session's steps through eng, approving every
// proposal, until the session waits for the operator.
func approveAll(ctx context.Context, s *session.Session, eng *session.Engine) error {
	step := s.Next()
	for {
		var err error
		switch step.Kind {
		case session.StepModel:
			reply, cerr := eng.Complete(ctx, step, nil)
			step, err = s.ModelDone(reply, cerr)
		case session.StepRun:
			step, err = s.Executed(eng.Execute(ctx, step))
		case session.StepApprove:
			step, err = s.Approve(step.CallID, false)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}
