package triage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// pagedNodes serves nodes in pages, failing the requests named in fail (by
// their position, from 0) with the error given; it records what it was asked.
type pagedNodes struct {
	pages [][]string
	fail  map[int]error
	asked []metav1.ListOptions
}

func (p *pagedNodes) list(_ context.Context, opts metav1.ListOptions) (*corev1.NodeList, error) {
	i := len(p.asked)
	p.asked = append(p.asked, opts)
	if err := p.fail[i]; err != nil {
		return nil, err
	}
	l := &corev1.NodeList{}
	page := 0
	if opts.Continue != "" {
		fmt.Sscanf(opts.Continue, "page-%d", &page)
	}
	names := p.pages[page]
	if opts.Limit == 0 { // unpaged: every page at once
		names = slices.Concat(p.pages...)
	} else if page+1 < len(p.pages) {
		l.Continue = fmt.Sprintf("page-%d", page+1)
	}
	for _, n := range names {
		l.Items = append(l.Items, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	return l, nil
}

// TestPager checks the one pager: every page once, with the same limit,
// and an expired continue token (410) answered by one unpaged list.
func TestPager(t *testing.T) {
	gone := apierrors.NewResourceExpired("continue token expired")
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("no"))
	for _, tc := range []struct {
		name   string
		pages  [][]string
		fail   map[int]error
		want   []string
		asked  []string // continue tokens, "-" for an unpaged request
		reason string
	}{
		{name: "one page", pages: [][]string{{"a", "b"}}, want: []string{"a", "b"}, asked: []string{""}},
		{name: "three pages", pages: [][]string{{"a"}, {"b"}, {"c"}}, want: []string{"a", "b", "c"},
			asked: []string{"", "page-1", "page-2"}},
		{name: "410 on a continue restarts once, unpaged", pages: [][]string{{"a"}, {"b"}, {"c"}}, fail: map[int]error{1: gone},
			want: []string{"a", "b", "c"}, asked: []string{"", "page-1", "-"}},
		{name: "410 twice is a failure", pages: [][]string{{"a"}, {"b"}}, fail: map[int]error{1: gone, 2: gone},
			asked: []string{"", "page-1", "-"}, reason: gone.Error()},
		{name: "forbidden", pages: [][]string{{"a"}}, fail: map[int]error{0: forbidden},
			asked: []string{""}, reason: "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &pagedNodes{pages: tc.pages, fail: tc.fail}
			got, err := pages(context.Background(), p.list, 7, "", Items[corev1.Node])
			var names []string
			for _, n := range got {
				names = append(names, n.Name)
			}
			var asked []string
			for _, o := range p.asked {
				switch {
				case o.Limit == 0:
					asked = append(asked, "-")
				case o.Limit != 7:
					t.Errorf("page asked with limit %d", o.Limit)
				default:
					asked = append(asked, o.Continue)
				}
			}
			reason := ""
			if err != nil {
				reason = Reason(err)
			}
			if !reflect.DeepEqual(names, tc.want) || !reflect.DeepEqual(asked, tc.asked) || reason != tc.reason {
				t.Errorf("got %v asked %q reason %q; want %v asked %q reason %q", names, asked, reason, tc.want, tc.asked, tc.reason)
			}
		})
	}
}

// TestListGaps checks that refused lists become gaps in the one wording,
// the facts' in Gaps and the caller's in MoreGaps, and that the facts
// derived from a listing leave the listed objects as they were.
func TestListGaps(t *testing.T) {
	refuse := func(resource, ns string) k8stesting.ReactionFunc {
		return func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetNamespace() != ns {
				return false, nil, nil
			}
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New("no"))
		}
	}
	for _, tc := range []struct {
		name     string
		scope    Scope
		refused  [][2]string // resource, namespace
		gaps     []string
		moreGaps []string
		pods     int
	}{
		{name: "everything readable", scope: Scope{Namespace: "default"}, pods: 4},
		{name: "pods of other namespaces forbidden", scope: Scope{Namespace: "default"}, refused: [][2]string{{"pods", ""}},
			gaps: []string{"list pods in all namespaces: forbidden; node requests count only this namespace"}, pods: 4},
		{name: "refused kinds", scope: Scope{}, refused: [][2]string{{"events", ""}, {"secrets", ""}},
			gaps: []string{"list warning events: forbidden"}, moreGaps: []string{"list secrets: forbidden"}, pods: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := fake.NewClientset(append(seedObjects(), secretive())...)
			cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.37.2"}
			for _, r := range tc.refused {
				cs.PrependReactor("list", r[0], refuse(r[0], r[1]))
			}
			var secrets []corev1.Secret
			more := ListOf("list secrets", cs.CoreV1().Secrets("").List, Items, &secrets)
			l, err := List(context.Background(), cs, tc.scope, more)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.Gaps, tc.gaps) || !slices.Equal(l.MoreGaps, tc.moreGaps) || len(l.Pods) != tc.pods || l.Version != "v1.37.2" {
				t.Errorf("gaps %q, more gaps %q, %d pods, version %q", l.Gaps, l.MoreGaps, len(l.Pods), l.Version)
			}
			before, _ := json.Marshal(l)
			f := l.Facts(time.Now())
			if after, _ := json.Marshal(l); string(after) != string(before) {
				t.Error("deriving the facts changed the listed objects")
			}
			if !slices.Equal(f.Gaps, tc.gaps) || len(f.PodIndex) != tc.pods {
				t.Errorf("facts: gaps %q, %d pods indexed", f.Gaps, len(f.PodIndex))
			}
		})
	}
}

// secretive is a crash-looping pod with what the facts scrub: an environment
// value and the last-applied annotation.
func secretive() *corev1.Pod {
	return pod("default", "crash-1", "", "3shake-k8s-node-001", corev1.PodRunning, "1Gi", crashing("Error", 1), func(p *corev1.Pod) {
		p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PASSWORD", Value: "hunter2"}}
		p.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	})
}

// TestItems: Items hands back a list's own items, no copy, and an empty
// list's nil.
func TestItems(t *testing.T) {
	l := &corev1.PodList{Items: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}}}
	got := Items[corev1.Pod](l)
	if len(got) != 2 || &got[0] != &l.Items[0] {
		t.Fatalf("Items = %v, want the list's own two pods", got)
	}
	if got := Items[corev1.Node](&corev1.NodeList{}); got != nil {
		t.Fatalf("Items of an empty list = %v, want nil", got)
	}
}
