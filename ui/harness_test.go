package ui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// t0 is the fixed clock's start.
var t0 = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

// reply is a scripted model turn answering text and calls, with the same
// usage every time so that the header's token count is fixed.
func reply(text string, calls ...llmtest.ToolCall) llmtest.Turn {
	return llmtest.Turn{Text: text, ToolCalls: calls,
		Usage: &llmtest.Usage{PromptTokens: 1000, CompletionTokens: 200, TotalTokens: 1200}}
}

// hang is a turn that streams text in two pieces, then sends nothing more
// until the call is cancelled.
func hang(text string) llmtest.Turn {
	return llmtest.Turn{Text: text, Chunks: 2, Fault: llmtest.Fault{Kind: llmtest.Stall, After: 3}}
}

// modelClient returns the product's model client pointed at srv, making at
// most retries retries (-1 for none); only a cancelled call ends a stall.
func modelClient(t testing.TB, srv *llmtest.Server, retries int) llm.Client {
	t.Helper()
	c, err := llm.NewOpenAI(llm.Config{BaseURL: srv.URL(), APIKey: "sk-test", Model: "test-model", MaxRetries: retries,
		FirstByteTimeout: time.Minute, IdleTimeout: time.Minute, Timeout: 2 * time.Minute, MaxWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeRunner returns canned outputs by canonical command.
type fakeRunner struct {
	mu      sync.Mutex
	outputs map[string]string
	ran     []string
	block   bool
}

func (f *fakeRunner) Run(ctx context.Context, a kube.Action) (kube.Result, error) {
	f.mu.Lock()
	f.ran = append(f.ran, a.String())
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return kube.Result{Command: a.String()}, ctx.Err()
	}
	out, ok := f.outputs[a.String()]
	if !ok {
		out = "No resources found in shop namespace.\n"
	}
	n := strings.Count(strings.TrimRight(out, "\n"), "\n") + 1
	return kube.Result{Command: a.String(), Output: out, ModelView: out, Summary: fmt.Sprintf("%d lines", n)}, nil
}

func (f *fakeRunner) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ran)
}

// call is a scripted call of the kubectl tool.
func call(id, command, reason string) llmtest.ToolCall { return llmtest.Kubectl(id, command, reason) }

const reportMD = `# Pending pod in shop

1. **Location**: pod shop/nginx-with-10gi-84s9k is Pending.
2. **Description**: 0/2 nodes are available: 2 Insufficient memory.
3. **Cause**: the pod requests 10Gi of memory; no node has that much free.
4. **Impact**: one of two replicas is not serving.
5. **Urgency**: high.
6. **Other**: check node allocations with kubectl describe nodes.
`

const podsOut = "NAME                          READY   STATUS    RESTARTS   AGE\n" +
	"nginx-with-10gi-84s9k         0/1     Pending   0          5m\n" +
	"nginx-with-10gi-7c9d5         1/1     Running   0          5m\n" +
	"nginx-with-5gi-5d8f9          1/1     Running   0          5m\n" +
	"web-1                         1/1     Running   0          9m\n" +
	"web-2                         1/1     Running   0          9m\n"

// settleTimeout is how long the harness waits for the messages it expects
// before it fails the test; it never stops waiting silently.
const settleTimeout = 20 * time.Second

// harness drives a Model the way the program would, on the test's
// goroutine: commands run in goroutines and their messages come back to
// Update. The model is llmtest's scripted server, reached over HTTP by the
// product's client.
type harness struct {
	t       *testing.T
	m       *Model
	s       *session.Session
	srv     *llmtest.Server
	runner  *fakeRunner
	now     time.Time
	msgs    chan tea.Msg
	pending int // commands started whose message has not come back
	quit    bool
	out     *strings.Builder
}

type option func(*Config)

// newHarness starts the scripted model with turns and the screen of a new
// session on it, and waits for the first response.
func newHarness(t *testing.T, turns []llmtest.Turn, runner *fakeRunner, opts ...option) *harness {
	t.Helper()
	h := &harness{t: t, srv: llmtest.New(t, turns...), runner: runner, now: t0, msgs: make(chan tea.Msg, 256), out: &strings.Builder{}}
	clock := func() time.Time { return h.now }
	dir := filepath.Join(t.TempDir(), "20250102-150405-test")
	s, err := session.New(dir, session.Meta{ID: "20250102-150405-test", Context: "kind-prod", Cluster: "prod",
		User: "oncall", Namespace: "shop", Model: "offline", Lang: "en"}, session.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h.s = s
	cfg := Config{
		Session: s, Runner: runner, Now: clock, Styles: PlainStyles(h.out),
		Report: ReporterFunc(func(context.Context) (session.FirstResponse, error) {
			return session.FirstResponse{Markdown: reportMD, Title: "Pending pod in shop"}, nil
		}),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Client == nil {
		cfg.Client = modelClient(t, h.srv, -1)
	}
	h.m = New(t.Context(), cfg)
	h.m.ticks = false
	h.do(h.m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.settle()
	return h
}

// do runs cmd in a goroutine, as the program does.
func (h *harness) do(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	h.pending++
	go func() { h.msgs <- cmd() }()
}

// send hands msg to Update and runs the returned command.
func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.do(cmd)
}

// settle feeds command results back to Update until every command has
// returned its message. A test whose model or runner hangs on purpose
// waits with until instead.
func (h *harness) settle() {
	h.t.Helper()
	h.until("every command to return", func() bool { return h.pending == 0 })
}

// until feeds command results back to Update until done holds; it fails
// the test when no message makes it hold within settleTimeout.
func (h *harness) until(what string, done func() bool) {
	h.t.Helper()
	deadline := time.NewTimer(settleTimeout)
	defer deadline.Stop()
	for !done() {
		if h.pending == 0 {
			h.t.Fatalf("waiting for %s, but no command is running; journal %v\n%s", what, h.kinds(), h.view())
		}
		select {
		case msg := <-h.msgs:
			h.pending--
			h.handle(msg)
		case <-deadline.C:
			h.t.Fatalf("waited %s for %s (%d commands running); journal %v\n%s", settleTimeout, what, h.pending, h.kinds(), h.view())
		}
	}
}

// untilSee feeds messages back until the screen shows every one of want.
func (h *harness) untilSee(want ...string) {
	h.t.Helper()
	h.until(fmt.Sprintf("the screen to show %q", want), func() bool {
		v := h.view()
		for _, w := range want {
			if !strings.Contains(v, w) {
				return false
			}
		}
		return true
	})
}

func (h *harness) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, tickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			h.do(c)
		}
	case tea.QuitMsg:
		h.quit = true
	default:
		h.send(msg)
	}
}

// key types each of keys (a name like "enter", "ctrl+c" or runes) in turn
// and settles after each.
func (h *harness) key(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
		h.settle()
	}
}

// typeText types text rune by rune into whatever has the focus; typing
// starts no command, so it waits for none.
func (h *harness) typeText(s string) {
	for _, r := range s {
		if r == ' ' {
			h.send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// submit types text and presses enter.
func (h *harness) submit(text string) {
	h.t.Helper()
	h.typeText(text)
	h.key("enter")
}

func keyMsg(k string) tea.KeyMsg {
	names := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "ctrl+c": tea.KeyCtrlC,
		"ctrl+e": tea.KeyCtrlE, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "up": tea.KeyUp,
		"down": tea.KeyDown, "backspace": tea.KeyBackspace, "ctrl+p": tea.KeyCtrlP, "ctrl+n": tea.KeyCtrlN,
		"home": tea.KeyHome, "end": tea.KeyEnd, "space": tea.KeySpace,
	}
	if t, ok := names[k]; ok {
		if t == tea.KeySpace {
			return tea.KeyMsg{Type: t, Runes: []rune{' '}}
		}
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// wait advances the fixed clock.
func (h *harness) wait(d time.Duration) { h.now = h.now.Add(d) }

// view returns the screen.
func (h *harness) view() string { return h.m.View() }

// kinds lists the journal's event kinds (with decision or status).
func (h *harness) kinds() []string {
	var out []string
	for _, e := range h.s.Events() {
		k := string(e.Kind)
		switch {
		case e.Decision != "":
			k += ":" + string(e.Decision)
		case e.Status != "":
			k += ":" + string(e.Status)
		}
		out = append(out, k)
	}
	return out
}

func (h *harness) lastEvent(kind session.Kind) session.Event {
	ev := h.s.Events()
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Kind == kind {
			return ev[i]
		}
	}
	h.t.Fatalf("no %s event in %v", kind, h.kinds())
	return session.Event{}
}

func (h *harness) mustSee(want ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range want {
		if !strings.Contains(v, w) {
			h.t.Fatalf("screen lacks %q:\n%s", w, v)
		}
	}
}

func (h *harness) mustNotSee(want ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range want {
		if strings.Contains(v, w) {
			h.t.Fatalf("screen shows %q:\n%s", w, v)
		}
	}
}

// golden compares the screen with testdata/name.golden.
func (h *harness) golden(name string) {
	h.t.Helper()
	got := h.view()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("%v (run go test ./ui -update)", err)
	}
	if got != string(want) {
		h.t.Errorf("screen differs from %s (go test ./ui -update refreshes it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// firstThen is the seed's first turn, which proposes one command, and then a
// closing reply of text.
func firstThen(text string) []llmtest.Turn {
	return append(seedTurns()[:1], reply(text))
}

// seedTurns is a conversation like the seed incident's.
func seedTurns() []llmtest.Turn {
	return []llmtest.Turn{
		reply("Let me look at the pods.", call("call_1", "get pods -n shop", "find the Pending pod")),
		reply("One pod is Pending; its events will say why.",
			call("call_2", "describe pod nginx-with-10gi-84s9k -n shop", "read the scheduling events")),
		reply("The pod requests 10Gi and no node has that much free memory. Lower the request:",
			call("call_3", "set resources deployment/nginx-with-10gi -n shop --requests=memory=5Gi", "fit the pod on a node")),
		reply("Apply the fix above, then watch the rollout."),
	}
}
