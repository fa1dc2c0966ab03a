package snapshot

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// listCounter counts the list requests that pass through it, by collection
// path and continue token: one key is one page of one list.
type listCounter struct {
	next  http.RoundTripper
	mu    sync.Mutex
	pages map[string]int
}

func (lc *listCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet {
		if _, _, name, _, ok := parsePath(req.URL.Path); ok && name == "" {
			q := req.URL.Query()
			if q.Get("watch") != "true" {
				lc.mu.Lock()
				lc.pages[req.URL.Path+" continue="+q.Get("continue")]++
				lc.mu.Unlock()
			}
		}
	}
	return lc.next.RoundTrip(req)
}

// reset forgets what was counted and returns it.
func (lc *listCounter) reset() map[string]int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	out := lc.pages
	lc.pages = map[string]int{}
	return out
}

// countingClient is the read-only client of readOnlyClient with a listCounter
// over its transport.
func countingClient(t *testing.T, c *kubetest.Cluster) (kubernetes.Interface, *listCounter) {
	lc := &listCounter{pages: map[string]int{}}
	cfg := kube.ReadOnlyConfig(c.ReadOnlyConfig)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		lc.next = rt
		return lc
	})
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs, lc
}

// TestListsOnce counts the list requests a capture and a gather send to the
// real API server: every page of every collection is asked for exactly once.
func TestListsOnce(t *testing.T) {
	c, ctx := seedCluster(t)
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, cs kubernetes.Interface) error
	}{
		{"capture", func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := Capture(ctx, cs, Options{})
			return err
		}},
		{"capture of a namespace", func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := Capture(ctx, cs, Options{Namespace: "default"})
			return err
		}},
		{"gather", func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := triage.Gather(ctx, cs, triage.Options{})
			return err
		}},
		{"gather of a namespace", func(ctx context.Context, cs kubernetes.Interface) error {
			_, err := triage.Gather(ctx, cs, triage.Options{Namespace: "default"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, lc := countingClient(t, c)
			if err := tc.run(ctx, cs); err != nil {
				t.Fatal(err)
			}
			pages := lc.reset()
			took := medianTime(t, ctx, c, tc.run)
			keys := make([]string, 0, len(pages))
			total := 0
			for k, n := range pages {
				keys = append(keys, k)
				total += n
			}
			sort.Strings(keys)
			t.Logf("%d list requests over %d collections; median time %s", total, len(keys), took.Round(time.Millisecond))
			if total == 0 {
				t.Fatal("no list request was counted")
			}
			for _, k := range keys {
				if n := pages[k]; n != 1 {
					t.Errorf("%s was asked for %d times", strings.TrimSuffix(k, " continue="), n)
				}
			}
		})
	}
}

// medianTime runs run five more times, each with a fresh client as a command
// line has (the client's rate limiter starts full), and returns its median
// duration.
func medianTime(t *testing.T, ctx context.Context, c *kubetest.Cluster, run func(context.Context, kubernetes.Interface) error) time.Duration {
	var times []time.Duration
	for range 5 {
		cs, _ := countingClient(t, c)
		start := time.Now()
		if err := run(ctx, cs); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2]
}
