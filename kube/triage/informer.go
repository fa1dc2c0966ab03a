package triage

import (
	"context"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// FromCache builds Facts from objects held in shared informer caches, the way
// Gather does from lists: the same accumulator, the server version, and the
// pods of nodes whose objects are absent. The objects are never changed: the
// ones the accumulator trims or scrubs are copied first, the others (healthy
// pods, events, nodes) are only read, so the caches stay as the informers left
// them. Pods of every namespace may be passed, as Gather lists them; other
// namespaced kinds should be of namespace only (DaemonSets of kube-system are
// welcome: they name the CNI plugin).
func FromCache(collected time.Time, namespace, version string, objs ...runtime.Object) *Facts {
	a := newAccumulator(collected, namespace)
	for _, o := range objs {
		a.add(o)
	}
	return a.seal(version)
}

// FollowUp returns facts built from caches completed with the reads Gather
// makes after its lists: the key names of the ConfigMaps and Secrets that
// pods waiting in CreateContainerConfigError refer to, and the previous log
// tail of one crash-looping container per owner, through cs. A failed read
// is a gap. f is not changed; the copy shares its unchanged slices.
func FollowUp(ctx context.Context, cs kubernetes.Interface, f *Facts) *Facts {
	g := *f
	g.ConfigRefs = append([]ConfigObject(nil), f.ConfigRefs...)
	g.Logs = append([]LogTail(nil), f.Logs...)
	g.Gaps = append([]string(nil), f.Gaps...)
	a := newAccumulator(f.Collected, f.Namespace)
	a.f = &g
	a.followUp(ctx, cs)
	sort.Slice(g.ConfigRefs, func(i, j int) bool {
		x, y := g.ConfigRefs[i], g.ConfigRefs[j]
		return x.Namespace+"/"+x.Kind+"/"+x.Name < y.Namespace+"/"+y.Kind+"/"+y.Name
	})
	sort.Strings(g.Gaps)
	return &g
}
