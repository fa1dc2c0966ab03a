package session

import (
	"context"
	"fmt"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
)

// Completer completes chat requests; llm.Client and the offline responder
// satisfy it.
type Completer interface {
	Complete(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Reply, error)
}

// Runner runs an approved action; kube's executor and a snapshot's runner
// satisfy it.
type Runner interface {
	Run(ctx context.Context, a kube.Action) (kube.Result, error)
}

// Engine does the blocking work of a session's steps: it calls the model for
// a StepModel and runs the action of a StepRun, writing the action's full
// output next to the journal. It reads nothing of the session but the step
// it is given, so its methods may run on any goroutine while the session
// goes on with another; what they return goes back to the session, on the
// session's goroutine, through ModelDone and Executed, which journal it.
type Engine struct {
	client Completer
	runner Runner
	dir    string
	red    redactor
}

// NewEngine returns the engine of s that asks client and runs actions with runner.
func NewEngine(s *Session, client Completer, runner Runner) *Engine {
	return &Engine{client: client, runner: runner, dir: s.dir, red: s.red}
}

// Delta is one streamed piece of a model's answer: text, or a notice that
// the client waits before trying again.
type Delta struct {
	Text  string
	Retry *Retry
}

// Retry is a client's notice that it tries the call again.
type Retry struct {
	Attempt int           // 1 for the first retry
	Of      int           // most retries the call will make
	Wait    time.Duration // how long until the next attempt
	Reason  string        // "429", "500", "stalled", "timeout", …
}

// Reply is the model's answer to a step's request; hand it to ModelDone.
type Reply struct {
	reply llm.Reply
}

// Complete asks the model the request of step, a StepModel. onDelta, when
// not nil, receives the streamed text and retry notices from Complete's
// goroutine. A fault in the client is returned as an error.
func (e *Engine) Complete(ctx context.Context, step Step, onDelta func(Delta)) (_ Reply, err error) {
	if step.Kind != StepModel {
		return Reply{}, fmt.Errorf("a %s step asks the model nothing", step.Kind)
	}
	defer recovered(&err)
	var fn func(llm.Delta)
	if onDelta != nil {
		fn = func(d llm.Delta) {
			out := Delta{Text: d.Content}
			if r := d.Retry; r != nil {
				out.Retry = &Retry{Attempt: r.Attempt, Of: r.Of, Wait: r.Wait, Reason: r.Reason}
			}
			onDelta(out)
		}
	}
	r, err := e.client.Complete(ctx, step.Request, fn)
	return Reply{reply: r}, err
}

// ModelDone journals what Engine.Complete returned: the reply as
// ModelReplied does, or the error as ModelFailed does.
func (s *Session) ModelDone(r Reply, err error) (Step, error) {
	if err != nil {
		return s.ModelFailed(err)
	}
	return s.ModelReplied(r.reply)
}

// Execute runs the action of step, a StepRun, redacts what it produced and
// writes the full output next to the journal, fsynced, before it returns;
// Executed names the file and journals the result. A fault in the runner
// is an error of the run, which Executed journals as failed.
func (e *Engine) Execute(ctx context.Context, step Step) Execution {
	if step.Kind != StepRun {
		return Execution{callID: step.CallID, err: fmt.Errorf("a %s step runs nothing", step.Kind)}
	}
	r, err := e.run(ctx, step.Action)
	o := executionOf(e.red, step.CallID, r, err)
	o.stage(e.dir)
	return o
}

// run runs a through the runner; a panic ends the run, not the session.
func (e *Engine) run(ctx context.Context, a kube.Action) (_ kube.Result, err error) {
	defer recovered(&err)
	return e.runner.Run(ctx, a)
}

// recovered turns a panic into an error.
func recovered(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error: %v", r)
	}
}
