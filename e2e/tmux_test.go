package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// term is a tmux session running the real binary in a pseudo-terminal of a
// fixed size, read back through capture-pane as a person would read it.
type term struct {
	t      testing.TB
	socket string
	name   string
}

// startTerm runs argv in a new tmux session of w×h cells with env added.
func startTerm(t testing.TB, w, h int, env []string, argv ...string) *term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	tm := &term{t: t, socket: fmt.Sprintf("kr-e2e-%d", os.Getpid()), name: fmt.Sprintf("s%d", time.Now().UnixNano())}
	script := filepath.Join(t.TempDir(), "run.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, e := range env {
		fmt.Fprintf(&b, "export %s\n", shellQuote(e))
	}
	for i, a := range argv {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(shellQuote(a))
	}
	b.WriteString("\necho \"[exited $?]\"\nsleep 600\n")
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	tm.tmux("new-session", "-d", "-s", tm.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-session", "-t", tm.name).Run() })
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen returns what the terminal shows now.
func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", tm.name) }

// keys types keys (tmux key names or literal text).
func (tm *term) keys(keys ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", tm.name}, keys...)...)
}

// text types literal text.
func (tm *term) text(s string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", tm.name, "-l", s)
}

// waitFor waits until the screen holds every one of want and returns it.
func (tm *term) waitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		if containsAll(s, want...) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	tm.t.Fatalf("the screen never showed %q; it shows:\n%s", want, s)
	return ""
}

// waitForCard waits until the approval card asks about a command holding
// cmd, and returns the screen. Text elsewhere on the screen (the
// assistant's list of next steps) does not count.
func (tm *term) waitForCard(timeout time.Duration, cmd string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		if strings.Contains(cardCommand(s), cmd) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	tm.t.Fatalf("no card asked about %q; the screen shows:\n%s", cmd, s)
	return ""
}

// cardCommand returns the command the approval card on screen shows: the
// lines between its title and its risk badge, without the border, joined.
func cardCommand(screen string) string {
	_, card, ok := strings.Cut(screen, "Run this command?")
	if !ok {
		return ""
	}
	var words []string
	for _, l := range strings.Split(card, "\n")[1:] {
		l = strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "│"))
		if strings.HasPrefix(l, "[") || strings.HasPrefix(l, "└") {
			break
		}
		words = append(words, l)
	}
	return strings.Join(words, " ")
}

// waitIdle waits until nothing is in progress: no spinner line offering
// "esc cancels".
func (tm *term) waitIdle(timeout time.Duration) {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !strings.Contains(tm.screen(), "esc cancels") {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	tm.t.Fatalf("still busy after %s:\n%s", timeout, tm.screen())
}

// pid returns the process id of the program running in the pane's shell.
func (tm *term) pid() int {
	tm.t.Helper()
	var pid int
	fmt.Sscan(strings.TrimSpace(tm.tmux("display-message", "-p", "-t", tm.name, "#{pane_pid}")), &pid)
	return pid
}

func containsAll(s string, want ...string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
