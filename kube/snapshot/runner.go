package snapshot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
)

// Runner answers actions from a snapshot with the live engine itself: a
// kube.Executor over the snapshot's in-memory API (RESTConfig), so outputs,
// errors, redaction and the model's budget are exactly those of a live run.
// Before an action reaches the engine, the Runner checks that the snapshot
// holds what it needs and otherwise answers with a sentence saying so.
type Runner struct {
	snap *Snapshot
	exec *kube.Executor
}

// Runner returns a Runner over the snapshot. opts are the live engine's
// options; an empty Namespace means the namespace the snapshot was taken in
// (or the one of its kubeconfig context).
func (s *Snapshot) Runner(opts kube.ExecOptions) (*Runner, error) {
	if opts.Namespace == "" {
		opts.Namespace = s.DefaultNamespace()
	}
	e, err := kube.NewExecutor(s.RESTConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("open the %s: %w", s.Describe(), err)
	}
	return &Runner{snap: s, exec: e}, nil
}

// Run answers one action. Mutating and refused actions get the engine's
// policy answer; reads the snapshot holds no data for fail with a sentence
// naming the command and when the snapshot was taken.
func (r *Runner) Run(ctx context.Context, a kube.Action) (kube.Result, error) {
	if a.Risk == kube.ReadOnly || a.Risk == kube.Sensitive {
		if err := r.snap.check(a); err != nil {
			return kube.Result{Command: a.String(), Started: time.Now()}, err
		}
		a = expandAll(a)
	}
	return r.exec.Run(ctx, a)
}

// expandAll turns `get all` into the kinds of the "all" category that a
// snapshot holds, so that kubectl does not ask for the ones it does not.
func expandAll(a kube.Action) kube.Action {
	if a.Verb != "get" || len(a.Operands) == 0 {
		return a
	}
	types := strings.Split(a.Operands[0], ",")
	i := slices.Index(types, "all")
	if i < 0 {
		return a
	}
	types = slices.Concat(types[:i], allKinds, types[i+1:])
	expanded := strings.Join(types, ",")
	args := slices.Clone(a.Args)
	if j := slices.Index(args, a.Operands[0]); j >= 0 {
		args[j] = expanded
	}
	checked, err := kube.ParseArgs(args)
	if err != nil {
		return a
	}
	return checked
}

// check returns the sentence for an action the snapshot cannot answer.
func (s *Snapshot) check(a kube.Action) error {
	verb := a.Verb
	if a.SubVerb != "" {
		verb += " " + a.SubVerb
	}
	switch verb {
	case "get", "describe":
		return s.checkResources(a)
	case "logs":
		return s.checkLogs(a)
	case "rollout history":
		if t, _, _ := strings.Cut(firstOperand(a), "/"); t != "" {
			if k, ok := s.resolve(t); ok && k.gr() != "deployments.apps" {
				return s.cannot(a.String(), "holds no controller revisions; only the history of Deployments can be read")
			}
		}
		return s.checkResources(a)
	case "rollout status", "events", "version", "api-resources", "api-versions":
		return nil
	case "top pod", "top node":
		return s.cannot(a.String(), "holds no metrics")
	case "auth can-i", "auth whoami":
		return s.cannot(a.String(), "holds no permissions of any user")
	case "explain":
		return s.cannot(a.String(), "holds no API schema")
	case "cluster-info":
		return s.cannot(a.String(), fmt.Sprintf("its control plane was %s", orUnknown(s.file.Server)))
	}
	return s.cannot(a.String(), "answers get, describe, logs, events, rollout, version, api-versions and api-resources only")
}

func firstOperand(a kube.Action) string {
	if len(a.Operands) == 0 {
		return ""
	}
	return a.Operands[0]
}

// checkResources checks that every resource type an action names is one the
// snapshot captured, in the captured namespace.
func (s *Snapshot) checkResources(a kube.Action) error {
	reqs, err := s.requests(a)
	if err != nil {
		return nil // the engine words the error as kubectl does
	}
	ns := s.namespaceOf(a)
	for _, r := range reqs {
		if !s.captured(r.kind) {
			return s.cannot(a.String(), "holds no "+r.kind.gr())
		}
		if err := s.outOfScope(r.kind, ns); err != nil {
			return err
		}
	}
	return nil
}

// checkLogs checks that the log an action asks for was captured.
func (s *Snapshot) checkLogs(a kube.Action) error {
	ns := s.namespaceOf(a)
	podKind, _ := builtinKind("pods")
	if err := s.outOfScope(podKind, ns); err != nil {
		return err
	}
	pods, err := s.logPods(a, ns)
	if err != nil {
		return nil // not found and the like: the engine words it as kubectl does
	}
	for _, p := range pods {
		containers, err := logContainers(p, a)
		if err != nil {
			return nil
		}
		for _, c := range containers {
			if s.findLog(p.Namespace, p.Name, c, a.Flags.Get("previous") == "true") == nil {
				return s.cannot(a.String(), fmt.Sprintf("holds the logs of failing containers only, not of container %q of pod %s", c, p.Name))
			}
		}
	}
	return nil
}

// DefaultNamespace is the namespace of actions that name none: the one the
// snapshot was taken in, else the one of its kubeconfig context, else
// "default".
func (s *Snapshot) DefaultNamespace() string {
	switch {
	case s.file.Namespace != "":
		return s.file.Namespace
	case s.file.DefaultNamespace != "":
		return s.file.DefaultNamespace
	}
	return "default"
}
