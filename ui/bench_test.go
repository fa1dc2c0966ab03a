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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

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

// BenchmarkKeypress measures Update + View for one key with a 2,000-event
// journal holding 10 MB of outputs, after the first render.
func BenchmarkKeypress(b *testing.B) {
	s := bigSession(b)
	n := len(s.Events())
	m := New(context.Background(), Config{Session: s, Client: &fakeClient{}, Runner: &fakeRunner{}, Now: func() time.Time { return t0 }})
	m.ticks = false
	start := time.Now()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40}) // renders every entry once
	m.View()
	first := time.Since(start)
	m.setFocus(focusTranscript)
	keys := []tea.KeyMsg{keyMsg("k"), keyMsg("pgup"), keyMsg("j"), keyMsg("k")}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		m.Update(keys[i%len(keys)])
		_ = m.View()
		times = append(times, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(rssMB("VmHWM"), "peak-rss-MB")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-after-gc-MB")
	runtime.KeepAlive(m)
	b.ReportMetric(float64(first.Microseconds())/1000, "first-view-ms")
	b.ReportMetric(float64(n), "events")
}

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
