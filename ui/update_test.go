package ui

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session"
)

func seedRunner() *fakeRunner {
	return &fakeRunner{outputs: map[string]string{"kubectl get pods --namespace=shop": podsOut}}
}

// atCard starts the investigation and moves the focus to the first card, armed.
func atCard(t *testing.T, turns []llmtest.Turn, r *fakeRunner, opts ...option) *harness {
	t.Helper()
	h := newHarness(t, turns, r, opts...)
	h.key("enter")
	if h.m.card == nil {
		t.Fatalf("no card after enter; journal %v\n%s", h.kinds(), h.view())
	}
	h.key("tab")
	h.wait(armDelay)
	return h
}

func TestReportThenEnterStartsInvestigation(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	h.mustSee("Pending pod in shop", "Insufficient memory", "enter starts the investigation")
	if got := h.kinds(); !reflect.DeepEqual(got, []string{"start", "report"}) {
		t.Fatalf("journal %v", got)
	}
	h.key("enter")
	h.mustSee("Let me look at the pods.", "Run this command?", "kubectl get pods --namespace=shop", "[READ-ONLY]", "find the Pending pod", "context kind-prod · namespace shop")
	if h.m.focus != focusInput {
		t.Fatal("showing a card moved the focus away from the input box")
	}
}

func TestApproveRunsOnceAndFoldsOutput(t *testing.T) {
	h := atCard(t, seedTurns(), seedRunner())
	h.key("y")
	if h.runner.count() != 1 {
		t.Fatalf("runner ran %d times", h.runner.count())
	}
	if d := h.lastEvent(session.KindDecision); d.Decision != session.Approved {
		t.Fatalf("decision %v", d.Decision)
	}
	h.key("k") // leave follow mode to see the first result
	h.key("g")
	for i := 0; i < 40 && !strings.Contains(h.view(), "more lines"); i++ {
		h.key("j")
	}
	h.mustSee("✓ ran in", "nginx-with-10gi-84s9k", "… 2 more lines — o opens the full output")
	h.mustNotSee("web-2") // folded
}

func TestNewCardIgnoresKeysFor300ms(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	h.key("enter", "tab")
	for _, k := range []string{"y", "a", "n", "e"} {
		h.key(k)
	}
	h.wait(armDelay - time.Millisecond)
	h.key("y")
	if got := h.kinds(); got[len(got)-1] != "proposal" || h.m.card.mode != cardAsk {
		t.Fatalf("a key decided a card shown less than 300 ms ago: %v", got)
	}
	h.wait(time.Millisecond)
	h.key("y")
	if h.lastEvent(session.KindDecision).Decision != session.Approved {
		t.Fatal("y did not approve after 300 ms")
	}
}

func TestInputFocusNeverApproves(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	h.key("enter")
	h.wait(time.Second)
	for _, k := range []string{"y", "a", "space", "n", "e", "c"} {
		h.key(k)
	}
	if got := h.kinds(); got[len(got)-1] != "proposal" {
		t.Fatalf("typing into the input box decided the card: %v", got)
	}
	if v := h.m.input.Value(); v != "ya nec" {
		t.Fatalf("input holds %q", v)
	}
	h.mustSee("tab to decide")
}

func TestInterjectAnswersPendingCall(t *testing.T) {
	h := newHarness(t, firstThen("Understood, looking at nodes instead."), seedRunner())
	h.key("enter")
	h.submit("look at the nodes first")
	want := []string{"start", "report", "phase", "assistant", "proposal", "decision:interjected", "result:interjected", "operator", "assistant"}
	if got := h.kinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("journal %v, want %v", got, want)
	}
	h.mustSee("you › look at the nodes first", "Understood, looking at nodes instead.")
	if h.m.card != nil || h.runner.count() != 0 {
		t.Fatal("the interjected call is still pending or ran")
	}
}

func TestAlwaysAllowListAndRevoke(t *testing.T) {
	turns := []llmtest.Turn{
		reply("", call("c1", "get pods -n shop", "list pods")),
		reply("", call("c2", "get events -n shop", "read events")),
		reply("Done."),
	}
	h := atCard(t, turns, seedRunner())
	h.mustSee("a always allow this command")
	h.key("a")
	// Only the exact command is allowed: another get asks.
	if h.runner.count() != 1 || h.m.card == nil || h.m.card.callID != "c2" {
		t.Fatalf("always allow: runner ran %d, card %+v; want 1 run and the card of c2", h.runner.count(), h.m.card)
	}
	kinds := strings.Join(h.kinds(), " ")
	if !strings.Contains(kinds, "decision:always") {
		t.Fatalf("journal %s", kinds)
	}
	if got := h.s.AlwaysAllowed(); len(got) != 1 || got[0] != "kubectl get pods --namespace=shop" {
		t.Fatalf("AlwaysAllowed = %q", got)
	}
	h.key("L")
	h.mustSee("Always allowed in this session", "> kubectl get pods --namespace=shop", "x revoke")
	h.key("x")
	h.mustSee("Nothing: every action asks first.", "Revoked: kubectl get pods --namespace=shop asks again.")
	if got := h.s.AlwaysAllowed(); len(got) != 0 {
		t.Fatalf("after x: AlwaysAllowed = %q", got)
	}
	if n := h.lastEvent(session.KindNote); n.Status != "revoked" || n.Command != "kubectl get pods --namespace=shop" {
		t.Fatalf("revoke note %+v", n)
	}
	h.key("esc")
	if h.m.allowed != nil {
		t.Fatal("esc did not close the list")
	}
	h.key("tab")
	h.submit(":allowed")
	if h.m.allowed == nil {
		t.Fatal(":allowed did not open the list")
	}
}

func TestAlwaysAllowedRunsTheSameCommandAgain(t *testing.T) {
	turns := []llmtest.Turn{
		reply("", call("c1", "get pods -n shop", "list pods")),
		reply("Listed."),
		reply("", call("c2", "kubectl get pods --namespace shop", "list them again")),
		reply("Done."),
	}
	h := atCard(t, turns, seedRunner())
	h.key("a", "tab")
	h.submit("check the pods again")
	if h.runner.count() != 2 || h.m.card != nil {
		t.Fatalf("runner ran %d, card %v; want the same command to run without asking", h.runner.count(), h.m.card != nil)
	}
	if !strings.Contains(strings.Join(h.kinds(), " "), "decision:auto") {
		t.Fatalf("journal %v", h.kinds())
	}
	h.mustSee("ran without asking (always allowed in this session)")
}

func TestSensitiveCannotBeAlwaysAllowed(t *testing.T) {
	turns := []llmtest.Turn{reply("", call("c1", "get secrets -n shop", "look for the TLS secret"))}
	h := atCard(t, turns, seedRunner())
	h.mustSee("[SENSITIVE]")
	h.mustNotSee("always allow")
	h.key("a")
	h.mustSee("Only read-only actions can be always allowed")
	if got := h.kinds(); got[len(got)-1] != "proposal" {
		t.Fatalf("a decided a sensitive card: %v", got)
	}
}

func TestDenyWithReason(t *testing.T) {
	h := atCard(t, firstThen("All right."), seedRunner())
	h.key("n")
	h.mustSee("deny:", "enter denies")
	h.submit("too broad, name the pod")
	r := h.lastEvent(session.KindResult)
	if r.Status != session.DeniedCall || r.Reason != "too broad, name the pod" {
		t.Fatalf("result %+v", r)
	}
	h.mustSee("✗ denied: too broad, name the pod")
	if h.runner.count() != 0 {
		t.Fatal("a denied command ran")
	}
}

func TestDenyWithoutReasonAndEscBack(t *testing.T) {
	h := atCard(t, firstThen("All right."), seedRunner())
	h.key("n")
	h.typeText("oops")
	h.key("esc")
	if h.m.card == nil || h.m.card.mode != cardAsk {
		t.Fatal("esc did not go back to the card")
	}
	if got := h.kinds(); got[len(got)-1] != "proposal" {
		t.Fatalf("esc decided: %v", got)
	}
	h.key("n", "enter")
	if r := h.lastEvent(session.KindResult); r.Status != session.DeniedCall || r.Reason != "" {
		t.Fatalf("result %+v", r)
	}
}

func TestEditReclassifiesAndRuns(t *testing.T) {
	h := atCard(t, firstThen("Thanks."), seedRunner())
	h.key("e")
	if v := h.m.card.input.Value(); v != "kubectl get pods --namespace=shop" {
		t.Fatalf("editor holds %q", v)
	}
	h.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.submit("delete pod web-1 -n shop")
	h.mustSee("would change the cluster")
	if h.m.card.mode != cardEdit || h.runner.count() != 0 {
		t.Fatal("a mutating edit left the editor or ran")
	}
	h.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.submit("get pods -n shop -o wide")
	if d := h.lastEvent(session.KindDecision); d.Decision != session.Edited || !strings.Contains(d.Command, "--output=wide") {
		t.Fatalf("decision %+v", d)
	}
	if h.runner.ran[0] != "kubectl get pods --namespace=shop --output=wide" {
		t.Fatalf("ran %v", h.runner.ran)
	}
	h.mustSee("edited to: kubectl get pods --namespace=shop --output=wide")
}

func TestMutatingShownAsFixWithCopy(t *testing.T) {
	turns := []llmtest.Turn{
		reply("Lower the request.", call("c1", "set resources deployment/nginx-with-10gi -n shop --requests=memory=5Gi", "fit the pod")),
		reply("Apply it yourself."),
	}
	h := newHarness(t, turns, seedRunner())
	h.key("enter")
	h.mustSee("proposed fix — run it yourself", "[MUTATING]", "c copies the latest fix")
	if h.m.card != nil || h.runner.count() != 0 {
		t.Fatal("a mutating proposal asked to run or ran")
	}
	h.key("tab", "c")
	fix := h.lastEvent(session.KindFix).Command
	if want := base64.StdEncoding.EncodeToString([]byte(fix)); !strings.Contains(h.out.String(), "\x1b]52;c;"+want+"\a") {
		t.Fatalf("no OSC 52 copy of %q in %q", fix, h.out.String())
	}
	h.mustSee("Copied to the clipboard")
}

// TestCardCopiesItsCommand: c on a shown card copies the card's command,
// not the latest fix, and decides nothing.
func TestCardCopiesItsCommand(t *testing.T) {
	h := atCard(t, seedTurns(), seedRunner())
	cmd := h.m.card.command
	h.key("c")
	if want := base64.StdEncoding.EncodeToString([]byte(cmd)); !strings.Contains(h.out.String(), "\x1b]52;c;"+want+"\a") {
		t.Fatalf("no OSC 52 copy of %q in %q", cmd, h.out.String())
	}
	if got := h.kinds(); got[len(got)-1] != "proposal" || h.runner.count() != 0 {
		t.Fatalf("c decided the card: %v", got)
	}
	h.mustSee("Copied to the clipboard")
}

func TestEscCancelsModelCall(t *testing.T) {
	h := newHarness(t, []llmtest.Turn{hang("Thinking about ")}, seedRunner())
	h.send(keyMsg("enter"))
	h.untilSee("Thinking about")
	h.wait(3 * time.Second)
	h.mustSee("offline responder 3.0s", "esc cancels", "Thinking about")
	h.key("esc")
	if h.m.act != nil {
		t.Fatal("the model call is still running after esc")
	}
	if n := h.lastEvent(session.KindNote); n.Status != "cancelled" {
		t.Fatalf("note %+v", n)
	}
	h.mustSee("The model call was cancelled.")
}

func TestEscCancelsAction(t *testing.T) {
	r := seedRunner()
	r.block = true
	h := atCard(t, firstThen("It was cancelled."), r)
	h.send(keyMsg("y")) // the action blocks until cancelled: nothing to settle
	h.mustSee("running kubectl get pods --namespace=shop")
	h.key("esc")
	res := h.lastEvent(session.KindResult)
	if res.Status != session.Failed || !strings.Contains(res.Reason, "canceled") {
		t.Fatalf("result %+v", res)
	}
	h.mustSee("✗ failed in")
}

func TestRetryCountdown(t *testing.T) {
	turns := []llmtest.Turn{llmtest.Error(429, "0"), llmtest.Error(429, "4"), hang("never asked")}
	h := newHarness(t, turns, seedRunner(), func(c *Config) { c.Client = modelClient(t, llmtest.New(t, turns...), 2) })
	h.send(keyMsg("enter"))
	h.until("the second retry notice", func() bool { return h.m.act != nil && h.m.act.retry != nil && h.m.act.retry.Attempt == 2 })
	// The client waits Retry-After plus up to a tenth of it.
	if v := h.view(); !strings.Contains(v, "retrying in 4s (429, attempt 2)") && !strings.Contains(v, "retrying in 5s (429, attempt 2)") {
		t.Fatalf("no countdown from 4 s:\n%s", v)
	}
	h.wait(2500 * time.Millisecond)
	h.mustSee("retrying in 2s (429, attempt 2)")
}

func TestModelErrorThenRetry(t *testing.T) {
	turns := []llmtest.Turn{{Fault: llmtest.Fault{Kind: llmtest.HTTPError, Status: 500, Message: "upstream unavailable"}}, reply("Back again.")}
	h := newHarness(t, turns, seedRunner())
	h.send(tea.WindowSizeMsg{Width: 200, Height: 40})
	h.key("enter")
	h.mustSee("✗ The model call failed: model endpoint "+h.srv.URL()+": ", "upstream unavailable")
	h.submit(":retry")
	h.mustSee("Back again.")
}

func TestCtrlCTwiceQuits(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	h.key("ctrl+c")
	if h.quit {
		t.Fatal("one ctrl+c quit")
	}
	h.mustSee("Press ctrl+c again to quit")
	h.key("j", "ctrl+c")
	if h.quit {
		t.Fatal("ctrl+c, j, ctrl+c quit")
	}
	h.wait(quitWindow)
	h.key("ctrl+c")
	if h.quit {
		t.Fatal("two ctrl+c further apart than the window quit")
	}
	h.key("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c twice did not quit")
	}
}

func TestExport(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	h.key("ctrl+e")
	h.mustSee("Export is not available")

	var got string
	h = newHarness(t, seedTurns(), seedRunner(), func(c *Config) {
		c.Export = ExporterFunc(func(context.Context) (string, error) {
			got = "called"
			return "/state/sessions/x/postmortem.md", nil
		})
	})
	h.key("ctrl+e")
	if got != "called" {
		t.Fatal("the exporter was not called")
	}
	h.mustSee("Postmortem written to /state/sessions/x/postmortem.md")
}

func TestFocusTab(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	if h.m.focus != focusInput {
		t.Fatal("the input box does not start focused")
	}
	for _, step := range []struct {
		key  string
		want focusArea
		fail string
	}{
		{"tab", focusTranscript, "tab did not move to the transcript"},
		{"tab", focusInput, "tab did not move back"},
		{"esc", focusTranscript, "esc with nothing running did not leave the input box"},
		{"enter", focusInput, "enter in the transcript did not focus the input box"},
	} {
		h.key(step.key)
		if h.m.focus != step.want {
			t.Fatal(step.fail)
		}
	}
}

func TestResolve(t *testing.T) {
	h := newHarness(t, seedTurns(), seedRunner())
	h.submit(":resolve")
	h.mustSee("Say what the root cause was")
	h.submit(":resolve memory requests larger than any node")
	if h.s.Phase() != session.PhaseResolved {
		t.Fatalf("phase %s", h.s.Phase())
	}
	h.mustSee("phase: resolved")
}

type panicRunner struct{}

func (panicRunner) Run(context.Context, kube.Action) (kube.Result, error) { panic("nil map") }

func TestFaultsBecomeLines(t *testing.T) {
	h := atCard(t, firstThen("The command failed."), nil, func(c *Config) { c.Runner = panicRunner{} })
	h.key("y")
	if r := h.lastEvent(session.KindResult); r.Status != session.Failed || !strings.Contains(r.Reason, "internal error: nil map") {
		t.Fatalf("result %+v", r)
	}
	h.mustSee("✗ failed in", "internal error: nil map")

	h = newHarness(t, nil, seedRunner(), func(c *Config) {
		c.Report = ReporterFunc(func(context.Context) (session.FirstResponse, error) {
			return session.FirstResponse{}, errors.New("list nodes: forbidden")
		})
		c.Export = ExporterFunc(func(context.Context) (string, error) { return "", errors.New("disk full") })
	})
	h.mustSee("The first response failed: list nodes: forbidden")
	h.key("ctrl+e")
	h.mustSee("The postmortem export failed: disk full")
}

func TestTypingDuringModelCallSupersedesIt(t *testing.T) {
	turns := []llmtest.Turn{hang("Thinking"), reply("Looking at the nodes.")}
	h := newHarness(t, turns, seedRunner())
	h.send(keyMsg("enter"))
	h.untilSee("Thinking")
	h.submit("check the nodes first")
	h.mustSee("you › check the nodes first", "Looking at the nodes.")
	want := []string{"start", "report", "phase", "operator", "assistant"}
	if got := h.kinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("journal %v, want %v", got, want)
	}
	if h.m.act != nil {
		t.Fatal("an activity is still running")
	}
}

func TestNotesFollowTheSessionLanguage(t *testing.T) {
	ja, err := session.New(filepath.Join(t.TempDir(), "ja"), session.Meta{Lang: "ja"}, session.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer ja.Close()
	newHarness(t, nil, seedRunner(), func(c *Config) {
		c.Session = ja
		c.Report = ReporterFunc(func(context.Context) (session.FirstResponse, error) {
			return session.FirstResponse{}, errors.New("list nodes: forbidden")
		})
	})
	ev := ja.Events()
	if last := ev[len(ev)-1]; last.Kind != session.KindNote || last.Text != "一次対応のレポート作成に失敗しました: list nodes: forbidden 分かっていることを入力するか、enter で調査を始めてください。" {
		t.Fatalf("note %+v", last)
	}
}

// TestCutCommandIsNotApproved: on a screen too small for the whole command
// the card says so and y does not run it; a larger window lets it run.
func TestCutCommandIsNotApproved(t *testing.T) {
	h := atCard(t, seedTurns(), seedRunner())
	cut := false
	for _, sz := range [][2]int{{40, 12}, {40, 11}, {30, 12}, {30, 11}, {30, 10}, {40, 10}} {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		h.view()
		if cut = h.m.card.cut; cut {
			break
		}
	}
	if !cut {
		t.Fatalf("no small screen cut the command:\n%s", h.view())
	}
	h.key("y")
	if h.m.card == nil || h.runner.count() != 0 {
		t.Fatalf("a command cut on screen was approved; journal %v", h.kinds())
	}
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.mustSee("does not fit on the screen")
	h.key("y")
	if h.runner.count() != 1 {
		t.Fatalf("y on a readable card did not run it; journal %v\n%s", h.kinds(), h.view())
	}
}
