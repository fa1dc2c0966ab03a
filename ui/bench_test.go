package ui

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session"
)

// bigSession writes a journal of 2,000 events (500 rounds of assistant
// text, proposal, approval and result) whose outputs add up to 10 MB, and
// opens it. The journal is written directly: building it through the
// session would price the session's request building, not the screen.
func bigSession(b *testing.B) *session.Session {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "bench")
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o700); err != nil {
		b.Fatal(err)
	}
	var line strings.Builder
	for i := 0; line.Len() < 20_000; i++ {
		fmt.Fprintf(&line, "pod-%05d   1/1   Running   0   %dm   10.0.%d.%d   node-%03d\n", i, i%90, i%250, i%200, i%50)
	}
	output := line.String()
	var journal bytes.Buffer
	prev := ""
	at := t0
	add := func(e session.Event) {
		e.Seq, e.Prev, e.Time, e.Hash = e.Seq+1, prev, at, ""
		at = at.Add(time.Second)
		raw, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		e.Hash = hex.EncodeToString(sum[:])
		raw, _ = json.Marshal(e)
		journal.Write(append(raw, '\n'))
		prev = e.Hash
	}
	seq := 0
	next := func(e session.Event) { e.Seq = seq; seq++; add(e) }
	next(session.Event{Kind: session.KindStart, Phase: session.PhaseTriage,
		Meta: &session.Meta{ID: "bench", Context: "kind-prod", Namespace: "shop", Model: "offline", Lang: "en"}})
	next(session.Event{Kind: session.KindReport, Text: reportMD, Title: "bench"})
	next(session.Event{Kind: session.KindPhase, Phase: session.PhaseInvestigation, Text: "Investigate."})
	for i := 0; i < 500; i++ {
		id := fmt.Sprintf("c%d", i)
		cmd := fmt.Sprintf("kubectl get pods --namespace=shop --selector=app=web-%d", i)
		next(session.Event{Kind: session.KindAssistant, Phase: session.PhaseInvestigation,
			Text: fmt.Sprintf("Round %d: looking at the **web-%d** pods next.", i, i)})
		next(session.Event{Kind: session.KindProposal, CallID: id, Tool: "kubectl", Text: strings.TrimPrefix(cmd, "kubectl "),
			Command: cmd, Risk: "read-only", Reason: "compare the replicas"})
		next(session.Event{Kind: session.KindDecision, CallID: id, Decision: session.Approved})
		next(session.Event{Kind: session.KindResult, CallID: id, Status: session.Ran, Command: cmd,
			Output: fmt.Sprintf("out/%04d.txt", seq+1), Summary: "400 lines", ModelView: "$ " + cmd + "\n" + output})
	}
	if err := os.WriteFile(filepath.Join(dir, session.JournalFile), journal.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := session.Open(dir, session.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// keyBudget is the most one key press may take, Update and View, at the
// 99th percentile: one frame at 60 Hz. landingBudget is the most the frame
// that shows a landed action may take, at the median of the landings: it
// journals the result (append and fsync, on purpose before the screen shows
// it) and renders it; the slowest landing is reported too.
const (
	keyBudget     = 16 * time.Millisecond
	landingBudget = 50 * time.Millisecond
)

// landOutput is the size of the action output that lands during the
// second half of the benchmark: the most a session keeps of one output.
const landOutput = 2 << 20

// keyCycle are the keys the benchmark presses, from the middle of the
// transcript: every one moves the screen and the cycle ends where it began.
func keyCycle() []tea.KeyMsg {
	return []tea.KeyMsg{keyMsg("pgup"), keyMsg("j"), keyMsg("j"), keyMsg("k"), keyMsg("k"), keyMsg("pgdown")}
}

// bigRunner answers every action with landOutput bytes of output.
type bigRunner struct{ out string }

func (r bigRunner) Run(_ context.Context, a kube.Action) (kube.Result, error) {
	return kube.Result{Command: a.String(), Output: r.out, ModelView: "(2 MiB of pods)", Summary: "2 MiB"}, nil
}

// landingModel proposes a new read-only command to every operator message
// and acknowledges every result.
func landingModel(b *testing.B) *llmtest.Server {
	return llmtest.NewFunc(b, func(r llmtest.Request) llmtest.Turn {
		msgs := r.Chat.Messages
		if len(msgs) > 0 && msgs[len(msgs)-1].Role == "tool" {
			return llmtest.Text("Noted.")
		}
		return llmtest.Calls(llmtest.Kubectl(fmt.Sprintf("land_%d", r.N), fmt.Sprintf("get pods -n shop --selector=app=land-%d", r.N), "load"))
	})
}

// BenchmarkKeypress measures Update + View for one key with a 2,000-event
// journal holding 10 MB of outputs, after the first render, each key moving
// the screen; then the same keys while actions with 2 MiB outputs run and
// land. It fails past keyBudget (p99) or landingBudget.
func BenchmarkKeypress(b *testing.B) {
	s := bigSession(b)
	n := len(s.Events())
	srv := landingModel(b)
	line := "pod-x1   1/1   Running   0   5m\n"
	runner := bigRunner{strings.Repeat(line, landOutput/len(line))}
	m := New(b.Context(), Config{Session: s, Client: modelClient(b, srv, -1), Runner: runner, Now: func() time.Time { return t0 }})
	m.ticks = false
	start := time.Now()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40}) // renders every entry on screen once
	m.View()
	first := time.Since(start)
	m.setFocus(focusTranscript)
	m.scrollTo(len(m.tr.entries)/2, 0)
	keys := keyCycle()
	checkCycle(b, m, keys)
	times := make([]time.Duration, 0, 1<<18) // no growing inside the timed loop
	prev := m.View()
	unchanged := 0
	for i := 0; b.Loop(); i++ { // b.Loop starts the timer here
		t := time.Now()
		m.Update(keys[i%len(keys)])
		v := m.View()
		if len(times) < cap(times) {
			times = append(times, time.Since(t))
		}
		if v == prev {
			unchanged++
		}
		prev = v
	}
	b.StopTimer()
	if unchanged > 0 {
		b.Fatalf("%d of %d key presses left the screen as it was: the benchmark measured nothing there", unchanged, b.N)
	}
	idle := percentiles(times)
	landing, pressed, frames := landKeys(b, m, keys, 7)
	b.ReportMetric(ms(idle[0]), "median-ms")
	b.ReportMetric(ms(idle[1]), "p99-ms")
	b.ReportMetric(ms(landing[0]), "landing-median-ms")
	b.ReportMetric(ms(landing[1]), "landing-p99-ms")
	b.ReportMetric(ms(frames[0]), "landed-frame-median-ms")
	b.ReportMetric(ms(frames[1]), "landed-frame-max-ms")
	b.ReportMetric(rssMB("VmHWM"), "peak-rss-MB")
	b.ReportMetric(ms(first), "first-view-ms")
	b.ReportMetric(float64(n), "events")
	b.Logf("key p99 %s (idle, %d keys), %s (while 2 MiB outputs land, %d keys; budget %s); landed frame median %s, at most %s (budget %s)",
		idle[1], len(times), landing[1], pressed, keyBudget, frames[0], frames[1], landingBudget)
	if idle[1] > keyBudget || landing[1] > keyBudget {
		b.Errorf("a key press took %s at p99 (%s while an output landed), over the %s budget", idle[1], landing[1], keyBudget)
	}
	if frames[0] > landingBudget {
		b.Errorf("the frame that showed a landed 2 MiB output took %s at the median, over the %s budget", frames[0], landingBudget)
	}
}

// checkCycle fails the benchmark unless every key of the cycle changes the
// screen, once round the cycle, untimed.
func checkCycle(b *testing.B, m *Model, keys []tea.KeyMsg) {
	b.Helper()
	prev := m.View()
	for _, k := range keys {
		m.Update(k)
		if v := m.View(); v == prev {
			b.Fatalf("key %q left the screen as it was", k)
		} else {
			prev = v
		}
	}
}

// landKeys runs rounds actions whose 2 MiB outputs are written in the
// action's command while keys are pressed, and times each key (Update and
// View) and the frame that shows each landed result. It returns the median
// and p99 key, the number of keys and the median and slowest landed frame.
func landKeys(b *testing.B, m *Model, keys []tea.KeyMsg, rounds int) (key [2]time.Duration, pressed int, frame [2]time.Duration) {
	b.Helper()
	var times, frames []time.Duration
	msgs := make(chan tea.Msg, 64)
	pending := 0
	run := func(cmd tea.Cmd) {
		if cmd != nil {
			pending++
			go func() { msgs <- cmd() }()
		}
	}
	for r := 0; r < rounds; r++ {
		run(m.apply(m.s.Operator(fmt.Sprintf("round %d", r))))
		pump(b, m, msgs, &pending, run, func() bool { return m.card != nil })
		run(m.update(approveMsg{callID: m.card.callID}))
	running:
		for i := 0; ; i++ {
			select {
			case msg := <-msgs:
				pending--
				if _, ok := msg.(resultMsg); !ok {
					b.Fatalf("round %d: %T arrived while the action ran", r, msg)
				}
				t := time.Now()
				_, cmd := m.Update(msg)
				m.View()
				frames = append(frames, time.Since(t))
				run(cmd)
				pump(b, m, msgs, &pending, run, func() bool { return pending == 0 })
				break running
			default:
			}
			t := time.Now()
			m.Update(keys[i%len(keys)])
			m.View()
			times = append(times, time.Since(t))
		}
		landed(b, m.s, r)
	}
	if len(times) == 0 {
		b.Fatal("no key was pressed while an output landed")
	}
	slices.Sort(frames)
	return percentiles(times), len(times), [2]time.Duration{frames[len(frames)/2], frames[len(frames)-1]}
}

// landed fails the benchmark unless round r ended with the model's answer
// to a result whose full output of landOutput bytes is on disk.
func landed(b *testing.B, s *session.Session, r int) {
	b.Helper()
	ev := s.Events()
	if last := ev[len(ev)-1]; last.Kind != session.KindAssistant {
		b.Fatalf("round %d ended on a %s event", r, last.Kind)
	}
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Kind != session.KindResult {
			continue
		}
		fi, err := os.Stat(s.OutputPath(ev[i]))
		if err != nil || fi.Size() != landOutput {
			b.Fatalf("round %d: the landed output is not %d bytes on disk: %v", r, landOutput, err)
		}
		return
	}
	b.Fatalf("round %d: no result", r)
}

// pump feeds command messages back to m until done holds.
func pump(b *testing.B, m *Model, msgs chan tea.Msg, pending *int, run func(tea.Cmd), done func() bool) {
	b.Helper()
	deadline := time.After(time.Minute)
	for !done() {
		select {
		case msg := <-msgs:
			*pending--
			switch msg := msg.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range msg {
					run(c)
				}
			default:
				_, cmd := m.Update(msg)
				run(cmd)
			}
		case <-deadline:
			b.Fatalf("waited a minute; %d commands running, flash %q", *pending, m.flash)
		}
	}
}

// percentiles returns the median and the 99th percentile of d, sorted in place.
func percentiles(d []time.Duration) [2]time.Duration {
	slices.Sort(d)
	return [2]time.Duration{d[len(d)/2], d[len(d)*99/100]}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rssMB reads a memory figure of this process from /proc/self/status.
func rssMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return -1
}
