package snapshot

import (
	"cmp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// resolve maps a resource as typed ("po", "pods", "Pod", "deploy",
// "deployments.apps", "deployments.v1.apps") to a kind, through the captured
// discovery information first and the built-in kinds second. found is false
// when the server had no such resource.
func (s *Snapshot) resolve(typed string) (k kind, found bool) {
	typed = strings.ToLower(typed)
	name, group, _ := strings.Cut(typed, ".")
	if v, g, ok := strings.Cut(group, "."); ok && isVersion(v) {
		group = g
	}
	// The core group wins, as in kubectl's mapper: "events" is core/v1
	// Event, not events.k8s.io.
	lists := slices.Clone(s.file.Resources)
	slices.SortStableFunc(lists, func(a, b *metav1.APIResourceList) int {
		return cmp.Compare(coreRank(a.GroupVersion), coreRank(b.GroupVersion))
	})
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil || group != "" && gv.Group != group {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !matches(name, r.Name, r.SingularName, r.Kind, r.ShortNames) {
				continue
			}
			k := kind{Resource: r.Name, Group: gv.Group, Version: gv.Version, Kind: r.Kind, Namespaced: r.Namespaced, Short: r.ShortNames}
			if b, ok := builtinKind(k.gr()); ok {
				k.Version = b.Version
			}
			return k, true
		}
	}
	for _, b := range builtin {
		if (group == "" || group == b.Group) && matches(name, b.Resource, strings.TrimSuffix(b.Resource, "s"), b.Kind, b.Short) {
			return b, true
		}
	}
	return kind{}, false
}

func coreRank(groupVersion string) int {
	if strings.Contains(groupVersion, "/") {
		return 1
	}
	return 0
}

func isVersion(s string) bool {
	return len(s) > 1 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9'
}

func matches(typed, plural, singular, kindName string, short []string) bool {
	return typed == plural || typed == singular || typed == strings.ToLower(kindName) || slices.Contains(short, typed)
}

func builtinKind(gr string) (kind, bool) {
	for _, b := range builtin {
		if b.gr() == gr {
			return b, true
		}
	}
	return kind{}, false
}

// captured reports whether the snapshot holds objects of k.
func (s *Snapshot) captured(k kind) bool {
	_, ok := builtinKind(k.gr())
	return ok
}
