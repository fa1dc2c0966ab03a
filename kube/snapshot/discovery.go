package snapshot

import (
	"slices"
	"strings"

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
	for _, list := range s.file.Resources {
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
