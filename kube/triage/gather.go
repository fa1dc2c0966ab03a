package triage

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
)

// Options says what Gather collects.
type Options struct {
	// Namespace limits pods, events and workloads to one namespace; empty means all.
	Namespace string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gather collects the facts of the cluster (or one namespace): List reads
// each kind once, in parallel, paginated and with server-side filters where
// the API has them; the facts are derived from the listed objects
// (Listed.Facts) and completed with the follow-up reads about problem pods
// (FollowUp). A list that fails (for example because it is forbidden) is
// recorded in Facts.Gaps; Gather fails only when nothing could be listed or
// ctx ends.
//
// cs should carry a QPS and Burst of at least 50: Gather sends one request
// per page and about a dozen lists at once.
func Gather(ctx context.Context, cs kubernetes.Interface, opts Options) (*Facts, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	collected := now()
	l, err := List(ctx, cs, Scope{Namespace: opts.Namespace})
	if err != nil {
		return nil, fmt.Errorf("gather cluster facts: %w", err)
	}
	l.owned = true // no one else holds these objects
	return FollowUp(ctx, cs, l.Facts(collected)), nil
}
