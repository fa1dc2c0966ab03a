package snapshot

import (
	"fmt"
	"io"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/printers"
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

// writeAPIResources prints the discovery information the way
// `kubectl api-resources` does: grouped by API group, then by name.
func (s *Snapshot) writeAPIResources(w io.Writer, wide, namespacedOnly, clusterOnly bool, group string) error {
	var all []metav1.APIResource
	for _, list := range s.file.Resources {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil || group != "" && gv.Group != group {
			continue
		}
		for _, r := range list.APIResources {
			if len(r.Verbs) == 0 || strings.Contains(r.Name, "/") ||
				namespacedOnly && !r.Namespaced || clusterOnly && r.Namespaced {
				continue
			}
			r.Group, r.Version = gv.Group, gv.Version
			all = append(all, r)
		}
	}
	slices.SortStableFunc(all, func(a, b metav1.APIResource) int {
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	tw := printers.GetNewTabWriter(w)
	cols := "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND"
	if wide {
		cols += "\tVERBS\tCATEGORIES"
	}
	fmt.Fprintln(tw, cols)
	for _, r := range all {
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}.String()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s", r.Name, strings.Join(r.ShortNames, ","), gv, r.Namespaced, r.Kind)
		if wide {
			fmt.Fprintf(tw, "\t%s\t%s", strings.Join(r.Verbs, ","), strings.Join(r.Categories, ","))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// writeAPIVersions prints every served group/version, sorted, as
// `kubectl api-versions` does.
func (s *Snapshot) writeAPIVersions(w io.Writer) {
	var versions []string
	if s.file.Groups != nil {
		versions = metav1.ExtractGroupVersions(s.file.Groups)
	} else {
		for _, l := range s.file.Resources {
			versions = append(versions, l.GroupVersion)
		}
	}
	slices.Sort(versions)
	for _, v := range slices.Compact(versions) {
		fmt.Fprintln(w, v)
	}
}

// writeVersion prints the server version as `kubectl version` prints it.
func (s *Snapshot) writeVersion(w io.Writer) {
	v := "unknown"
	if s.file.ServerVersion != nil {
		v = s.file.ServerVersion.GitVersion
	}
	fmt.Fprintf(w, "Server Version: %s\n", v)
}
