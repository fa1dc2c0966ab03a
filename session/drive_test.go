package session

import (
	"context"
	"errors"
	"fmt"
)

// Answer is how Drive's decide function answers an approval step.
type Answer struct {
	Decision Decision // Approved, Always, Denied, Edited or Interjected
	Text     string   // deny reason, edited line, or the operator's message
}

// Drive runs steps until the session waits for the operator (StepIdle) or
// is done. decide answers every StepApprove. Model failures are journaled
// and end the drive with the session waiting; they are not returned as
// errors. The error is for a journal that cannot be written, a decision the
// session rejects, or ctx ending.
func Drive(ctx context.Context, s *Session, client Completer, runner Runner, decide func(Step) Answer) error {
	eng := NewEngine(s, client, runner)
	step := s.Next()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		switch step.Kind {
		case StepIdle, StepDone:
			return nil
		case StepModel:
			reply, cerr := eng.Complete(ctx, step, nil)
			if cerr != nil && errors.Is(cerr, context.Canceled) && ctx.Err() != nil {
				return ctx.Err()
			}
			step, err = s.ModelDone(reply, cerr)
		case StepRun:
			step, err = s.Executed(eng.Execute(ctx, step))
		case StepApprove:
			if decide == nil {
				return fmt.Errorf("proposal %s needs a decision", step.CallID)
			}
			a := decide(step)
			switch a.Decision {
			case Approved, Always:
				step, err = s.Approve(step.CallID, a.Decision == Always)
			case Denied:
				step, err = s.Deny(step.CallID, a.Text)
			case Edited:
				step, err = s.Edit(step.CallID, a.Text)
			case Interjected:
				step, err = s.Operator(a.Text)
			default:
				return fmt.Errorf("no decision for proposal %s", step.CallID)
			}
		default:
			return fmt.Errorf("unknown step %v", step.Kind)
		}
		if err != nil {
			return err
		}
	}
}
