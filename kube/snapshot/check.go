package snapshot

import (
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kuberesponder/kuberesponder/kube"
)

// allKinds is what `kubectl get all` lists, limited to what a snapshot holds.
var allKinds = []string{"pods", "services", "daemonsets.apps", "deployments.apps", "replicasets.apps", "statefulsets.apps", "jobs.batch"}

// request is one resource type of a get or describe with the names asked for.
type request struct {
	kind  kind
	names []string
}

// requests reads the operands of get and describe: "pods", "pods a b",
// "pods,svc", "pod/a svc/b", "all".
func (s *Snapshot) requests(a kube.Action) ([]request, error) {
	ops := a.Operands
	if len(ops) == 0 {
		return nil, errors.New("you must specify the type of resource to get, e.g. get pods")
	}
	var out []request
	add := func(typed string, names ...string) error {
		if typed == "all" {
			for _, gr := range allKinds {
				k, _ := builtinKind(gr)
				out = append(out, request{kind: k, names: names})
			}
			return nil
		}
		k, ok := s.resolve(typed)
		if !ok {
			return fmt.Errorf("the server doesn't have a resource type %q", typed)
		}
		for i := range out {
			if out[i].kind.gr() == k.gr() && len(names) > 0 {
				out[i].names = append(out[i].names, names...)
				return nil
			}
		}
		out = append(out, request{kind: k, names: names})
		return nil
	}
	if strings.Contains(ops[0], "/") {
		for _, op := range ops {
			typed, name, ok := strings.Cut(op, "/")
			if !ok || name == "" {
				return nil, fmt.Errorf("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")
			}
			if err := add(typed, name); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for _, typed := range strings.Split(ops[0], ",") {
		if err := add(typed, ops[1:]...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// namespaceOf returns the namespace a namespaced read looks in.
func (s *Snapshot) namespaceOf(a kube.Action) string {
	switch {
	case a.AllNamespaces:
		return ""
	case a.Namespace != "":
		return a.Namespace
	}
	return s.DefaultNamespace()
}

// outOfScope reports a namespaced read outside the captured namespace.
func (s *Snapshot) outOfScope(k kind, ns string) error {
	if !k.Namespaced || s.file.Namespace == "" || ns == s.file.Namespace || ns == "" {
		return nil
	}
	return fmt.Errorf("this snapshot holds namespace %s only; it was taken at %s", s.file.Namespace, stamp(s.file.Captured))
}

// cannot is the sentence for a question the snapshot has no data for.
func (s *Snapshot) cannot(command, why string) error {
	return fmt.Errorf("this snapshot cannot answer `%s`: it was taken at %s and %s", command, stamp(s.file.Captured), why)
}

// selectors parses -l and --field-selector.
func selectors(a kube.Action) (labels.Selector, fields.Selector, error) {
	var ls labels.Selector
	var fs fields.Selector
	if v := a.Flags.Get("selector"); v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid label selector %q: %w", v, err)
		}
		ls = sel
	}
	if v := a.Flags.Get("field-selector"); v != "" {
		sel, err := fields.ParseSelector(v)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid field selector %q: %w", v, err)
		}
		fs = sel
	}
	return ls, fs, nil
}

func nsFor(k kind, ns string) string {
	if k.Namespaced {
		return ns
	}
	return ""
}

// qualified names a resource as kubectl's errors do: "pods", "deployments.apps".
func qualified(k kind) string { return k.gr() }

// nameOf renders kind/name as -o name does ("pod/web-1", "deployment.apps/web").
func nameOf(o runtime.Object) string {
	gvk := o.GetObjectKind().GroupVersionKind()
	k := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		k += "." + gvk.Group
	}
	return k + "/" + metaOf(o).GetName()
}

// markDefaultClass adds " (default)" to the newest default StorageClass, as
// the API server's table convertor does for lists.
func markDefaultClass(t *metav1.Table) {
	best := -1
	for i, row := range t.Rows {
		m := metaOf(row.Object.Object)
		a := m.GetAnnotations()
		if a["storageclass.kubernetes.io/is-default-class"] != "true" && a["storageclass.beta.kubernetes.io/is-default-class"] != "true" {
			continue
		}
		if best < 0 || m.GetCreationTimestamp().After(metaOf(t.Rows[best].Object.Object).GetCreationTimestamp().Time) {
			best = i
		}
	}
	if best >= 0 {
		t.Rows[best].Cells[0] = fmt.Sprint(t.Rows[best].Cells[0]) + " (default)"
	}
}
