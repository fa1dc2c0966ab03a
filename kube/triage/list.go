package triage

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Page sizes. Every page is one round trip that also waits on the client's
// rate limiter, so pages are large; a page of 1,000 pods or events is 1-3 MB
// of JSON, which bounds the memory a single response holds.
const (
	bulkPageSize = 1000 // pods and events
	pageSize     = 500  // every other kind
)

// Scope says what List reads.
type Scope struct {
	// Namespace limits namespaced kinds to one namespace; empty means all.
	// Pods are listed in every namespace when that is allowed, so that each
	// node's requests are complete.
	Namespace string
	// Everything lists every pod and event. Without it List asks the server
	// for the pods that are not Succeeded and the Warning events only, all
	// that the facts read.
	Everything bool
	// Version is the server's version when the caller has already read it;
	// empty means List asks for it and keeps it here in Listed.
	Version string
}

// Kind is one list List makes: what a gap calls it and how it is read.
type Kind struct {
	what string
	// read pages through the list and returns the function that keeps what
	// was read; List calls it under its lock.
	read func(ctx context.Context) (keep func(), err error)
}

// ListOf returns the Kind that pages through list with the one pager and
// appends the items of each page, through items, to *into. items runs as
// each page arrives, concurrently with other kinds, so it must touch
// nothing but its page; *into is only written under List's lock. what names
// the list in a gap: "list secrets".
func ListOf[L continuer, T any](what string, list func(context.Context, metav1.ListOptions) (L, error), items func(L) []T, into *[]T) Kind {
	return listOf(what, pageSize, "", list, items, into)
}

// Items returns the items of a list response as they are, such as the pods
// of a *corev1.PodList: the items of ListOf for a kind kept unchanged. It
// reads the list's Items field by reflection, once per page, which costs
// nothing beside the page's round trip; a list type without an Items field
// of []T panics on its first page, which the listing tests reach for every
// kind.
func Items[T, L any](l *L) []T {
	return reflect.ValueOf(l).Elem().FieldByName("Items").Interface().([]T)
}

// listOf is ListOf with the page size and field selector of the kinds the
// facts read.
func listOf[L continuer, T any](what string, size int64, selector string, list func(context.Context, metav1.ListOptions) (L, error), items func(L) []T, into *[]T) Kind {
	return Kind{what: what, read: func(ctx context.Context) (func(), error) {
		got, err := pages(ctx, list, size, selector, items)
		if err != nil {
			return nil, err
		}
		return func() {
			if len(*into) == 0 {
				*into = got // the pager's slice is this kind's: no second copy
				return
			}
			*into = append(*into, got...)
		}, nil
	}}
}

// continuer is a list response: it says where the next page starts and
// how many items are left after it.
type continuer interface {
	GetContinue() string
	GetRemainingItemCount() *int64
}

// pages is the one pager: it lists every page of one resource, limit and
// continue, and converts each page through items as it arrives. When a
// continue token expires in the middle (410 Gone), the list starts once
// more, unpaged, so that what it returns is one consistent read.
func pages[L continuer, T any](ctx context.Context, list func(context.Context, metav1.ListOptions) (L, error), size int64, selector string, items func(L) []T) ([]T, error) {
	var out []T
	opts := metav1.ListOptions{Limit: size, FieldSelector: selector}
	for {
		l, err := list(ctx, opts)
		if err != nil && apierrors.IsResourceExpired(err) && opts.Continue != "" {
			out, opts = nil, metav1.ListOptions{FieldSelector: selector}
			continue
		}
		if err != nil {
			return nil, err
		}
		page := items(l)
		if out == nil {
			// Size the result once for every page the server says is left.
			n := len(page)
			if left := l.GetRemainingItemCount(); left != nil && *left > 0 {
				n += int(*left)
			}
			out = make([]T, 0, n)
		}
		out = append(out, page...)
		if l.GetContinue() == "" || opts.Limit == 0 {
			return out, nil
		}
		opts.Continue = l.GetContinue()
	}
}

// List reads a cluster (or one namespace) in one pass: each kind the facts
// need, and the caller's more kinds, is listed once, concurrently, with the
// one pager. A list that fails (for example because it is forbidden) is a
// gap worded "list pods: forbidden" (see Refusal): in Listed.Gaps for the
// facts' kinds, in Listed.MoreGaps for the caller's. List fails only when
// nothing could be read or ctx ends.
//
// cs should carry a QPS and Burst of at least 50: List sends one request per
// page and about a dozen lists at once.
func List(ctx context.Context, cs kubernetes.Interface, scope Scope, more ...Kind) (*Listed, error) {
	l := &Listed{Scope: scope}
	r := &lister{}
	if scope.Version == "" {
		r.start(ctx, l.versionKind(cs), &l.Gaps)
	} else {
		r.ok++
	}
	for _, k := range l.kinds(cs) {
		r.start(ctx, k, &l.Gaps)
	}
	for _, k := range more {
		r.start(ctx, k, &l.MoreGaps)
	}
	r.wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list the cluster: %w", err)
	}
	if r.ok == 0 {
		sort.Slice(r.failed, func(i, j int) bool { return r.failed[i].Error() < r.failed[j].Error() })
		return nil, fmt.Errorf("list the cluster: nothing could be read: %w", r.failed[0])
	}
	sort.Strings(l.Gaps)
	sort.Strings(l.MoreGaps)
	return l, nil
}

// lister runs the lists of one List call and keeps their outcomes.
type lister struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	ok     int
	failed []error
}

// start reads k in its own goroutine; a failure becomes a gap in *gaps.
func (r *lister) start(ctx context.Context, k Kind, gaps *[]string) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		keep, err := k.read(ctx)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.failed = append(r.failed, fmt.Errorf("%s: %w", k.what, err))
			*gaps = append(*gaps, fmt.Sprintf("%s: %s", k.what, Reason(err)))
			return
		}
		r.ok++
		keep()
	}()
}

// Reason gives the short reason an API call failed, as a gap says it: the
// Refusal when there is one, else the error itself.
func Reason(err error) string {
	if r := Refusal(err); r != "" {
		return r
	}
	return err.Error()
}

// Refusal gives the reason an API call will keep failing, as a gap says it:
// "forbidden", or "not served by this cluster"; "" for an error a retry may
// cure.
func Refusal(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden"
	case apierrors.IsNotFound(err):
		return "not served by this cluster"
	}
	return ""
}
