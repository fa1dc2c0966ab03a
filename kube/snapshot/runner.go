package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// Redactor removes secret values from text and counts them.
type Redactor interface {
	Redact(text string) (string, int)
}

// Runner answers read-only actions from a snapshot. It has the shape of the
// live executor: Run(ctx, action) returns the same Result, redacted and cut
// to the model's budget.
type Runner struct {
	snap *Snapshot
	// Redactor runs over every output once more before it leaves the runner.
	Redactor Redactor
	// Budget is the model view's size in tokens.
	Budget int
	// Now is the clock of Result.Started; nil means time.Now.
	Now func() time.Time
}

// DefaultBudget is the model view's size in tokens unless a Runner says otherwise.
const DefaultBudget = 4000

// Runner returns a Runner over the snapshot with the default redactor and budget.
func (s *Snapshot) Runner() *Runner {
	return &Runner{snap: s, Redactor: redact.New(), Budget: DefaultBudget}
}

// ErrNotExecuted is returned for an action that is never run (it would
// change the cluster) or is refused; the error text says why.
var ErrNotExecuted = errors.New("not executed")

// Run answers one action from the snapshot. Actions the snapshot has no data
// for fail with a sentence saying so and when the snapshot was taken.
func (r *Runner) Run(ctx context.Context, a kube.Action) (kube.Result, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	res := kube.Result{Command: a.String(), Started: now()}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("%s: %w", res.Command, err)
	}
	out, err := r.answer(a)
	res.Duration = now().Sub(res.Started)
	if err != nil {
		return res, err
	}
	r.finish(&res, out)
	return res, nil
}

func (r *Runner) answer(a kube.Action) (string, error) {
	s := r.snap
	switch a.Risk {
	case kube.Mutating:
		return "", fmt.Errorf("%w by policy: %s would change the cluster; apply it yourself if you agree", ErrNotExecuted, a.String())
	case kube.Refused:
		return "", fmt.Errorf("%w: %s", ErrNotExecuted, a.Reason)
	}
	verb := a.Verb
	if a.SubVerb != "" {
		verb += " " + a.SubVerb
	}
	var buf bytes.Buffer
	switch verb {
	case "get":
		return s.get(a)
	case "describe":
		return s.describeVerb(a)
	case "logs":
		return s.logs(a)
	case "events":
		return s.events(a)
	case "version":
		s.writeVersion(&buf)
	case "api-versions":
		s.writeAPIVersions(&buf)
	case "api-resources":
		if err := s.apiResources(&buf, a); err != nil {
			return "", err
		}
	case "top pod", "top node":
		return "", s.cannot(a.String(), "holds no metrics")
	case "rollout status", "rollout history":
		return "", s.cannot(a.String(), "holds no rollout history; describe the Deployment and its ReplicaSets instead")
	case "auth can-i", "auth whoami":
		return "", s.cannot(a.String(), "holds no permissions of the current user")
	case "explain":
		return "", s.cannot(a.String(), "holds no API schema")
	case "cluster-info":
		return fmt.Sprintf("Kubernetes control plane was running at %s when the snapshot was taken (%s)\n", orUnknown(s.file.Server), stamp(s.file.Captured)), nil
	default:
		return "", s.cannot(a.String(), "answers get, describe, logs, events, version, api-versions and api-resources only")
	}
	return buf.String(), nil
}

func (s *Snapshot) apiResources(buf *bytes.Buffer, a kube.Action) error {
	nsOnly, clusterOnly := false, false
	if v, ok := a.Flags["namespaced"]; ok {
		nsOnly, clusterOnly = v == "true", v != "true"
	}
	if a.Flags["output"] == "name" {
		var b bytes.Buffer
		if err := s.writeAPIResources(&b, false, nsOnly, clusterOnly, a.Flags["api-group"]); err != nil {
			return err
		}
		for i, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			f := strings.Fields(line)
			if i == 0 || len(f) < 3 {
				continue
			}
			name := f[0]
			apiVersion := f[len(f)-3]
			if g, _, ok := strings.Cut(apiVersion, "/"); ok {
				name += "." + g
			}
			fmt.Fprintln(buf, name)
		}
		return nil
	}
	return s.writeAPIResources(buf, a.Flags["output"] == "wide", nsOnly, clusterOnly, a.Flags["api-group"])
}

// finish fills the Result from the full output: terminal-safe, redacted once
// more, and cut to the budget for the model.
func (r *Runner) finish(res *kube.Result, out string) {
	out = terminalSafe(out)
	if r.Redactor != nil {
		var n int
		out, n = r.Redactor.Redact(out)
		res.Redactions = n
	}
	res.Output = out
	res.ModelView, res.OmittedLines = budget(out, r.Budget)
	lines := strings.Count(out, "\n")
	if out != "" && !strings.HasSuffix(out, "\n") {
		lines++
	}
	res.Summary = fmt.Sprintf("%d lines from the %s", lines, r.snap.Describe())
	if res.Redactions > 0 {
		res.Summary += fmt.Sprintf(", %d values redacted", res.Redactions)
	}
}

// terminalSafe drops control characters (ANSI and OSC sequences included)
// but keeps newlines and tabs.
func terminalSafe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 && c < 0xa0 {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// budget keeps the head and tail of out within about tokens tokens (four
// bytes a token) and says how many lines it left out.
func budget(out string, tokens int) (string, int) {
	if tokens <= 0 || len(out) <= tokens*4 {
		return out, 0
	}
	lines := strings.SplitAfter(out, "\n")
	half := tokens * 4 / 2
	head, size := 0, 0
	for head < len(lines) && size+len(lines[head]) <= half {
		size += len(lines[head])
		head++
	}
	tail, size := len(lines), 0
	for tail > head && size+len(lines[tail-1]) <= half {
		size += len(lines[tail-1])
		tail--
	}
	omitted := tail - head
	if omitted <= 0 {
		return out, 0
	}
	note := fmt.Sprintf("... %d lines omitted; narrow with --tail, --since, -l or --field-selector ...\n", omitted)
	return strings.Join(lines[:head], "") + note + strings.Join(lines[tail:], ""), omitted
}
