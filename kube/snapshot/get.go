package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/redact"
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
	case s.file.DefaultNamespace != "":
		return s.file.DefaultNamespace
	case s.file.Namespace != "":
		return s.file.Namespace
	}
	return "default"
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
	if v := a.Flags["selector"]; v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid label selector %q: %w", v, err)
		}
		ls = sel
	}
	if v := a.Flags["field-selector"]; v != "" {
		sel, err := fields.ParseSelector(v)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid field selector %q: %w", v, err)
		}
		fs = sel
	}
	return ls, fs, nil
}

// get answers `kubectl get`.
func (s *Snapshot) get(a kube.Action) (string, error) {
	reqs, err := s.requests(a)
	if err != nil {
		return "", err
	}
	ls, fs, err := selectors(a)
	if err != nil {
		return "", err
	}
	ns := s.namespaceOf(a)
	output := a.Flags["output"]
	multi := len(reqs) > 1 || a.Flags["show-kind"] == "true"
	var buf bytes.Buffer
	var objs []runtime.Object
	var problems []string
	printed := 0
	for _, r := range reqs {
		k := r.kind
		if !s.captured(k) {
			if len(reqs) == 1 {
				return "", s.cannot(a.String(), "holds no "+k.Resource)
			}
			continue
		}
		if err := s.outOfScope(k, ns); err != nil {
			return "", err
		}
		if err := checkFields(k, fs, zero(k)); err != nil {
			return "", err
		}
		found, missing := s.store.list(k, query{Namespace: nsFor(k, ns), Names: r.names, Labels: ls, Fields: fs})
		for _, name := range missing {
			if a.Flags["ignore-not-found"] != "true" {
				problems = append(problems, fmt.Sprintf("Error from server (NotFound): %s %q not found", qualified(k), name))
			}
		}
		if v := a.Flags["sort-by"]; v != "" {
			if err := sortBy(found, v); err != nil {
				return "", err
			}
		}
		objs = append(objs, found...)
		if output == "" || output == "wide" {
			if len(found) == 0 {
				continue
			}
			if printed > 0 {
				buf.WriteByte('\n')
			}
			if err := s.printTable(&buf, a, k, found, multi); err != nil {
				return "", err
			}
			printed++
		}
	}
	switch output {
	case "yaml", "json":
		if err := printObjects(&buf, output, objs, singleNamed(reqs)); err != nil {
			return "", err
		}
	case "name":
		for _, o := range objs {
			fmt.Fprintln(&buf, nameOf(o))
		}
	}
	if len(objs) == 0 && len(problems) == 0 && output != "yaml" && output != "json" {
		buf.WriteString(noResources(reqs, ns))
	}
	if len(problems) > 0 {
		if len(objs) == 0 && len(problems) == 1 {
			return "", errors.New(strings.TrimPrefix(problems[0], "Error from server (NotFound): "))
		}
		buf.WriteString(strings.Join(problems, "\n") + "\n")
	}
	return buf.String(), nil
}

func nsFor(k kind, ns string) string {
	if k.Namespaced {
		return ns
	}
	return ""
}

// qualified names a resource as kubectl's errors do: "pods", "deployments.apps".
func qualified(k kind) string { return k.gr() }

func singleNamed(reqs []request) bool {
	return len(reqs) == 1 && len(reqs[0].names) == 1
}

func noResources(reqs []request, ns string) string {
	for _, r := range reqs {
		if r.kind.Namespaced && ns != "" {
			return "No resources found in " + ns + " namespace.\n"
		}
	}
	return "No resources found\n"
}

func (s *Snapshot) printTable(w io.Writer, a kube.Action, k kind, objs []runtime.Object, withKind bool) error {
	opts := printers.PrintOptions{
		NoHeaders:     a.Flags["no-headers"] == "true",
		Wide:          a.Flags["output"] == "wide",
		WithNamespace: a.AllNamespaces && k.Namespaced,
		ShowLabels:    a.Flags["show-labels"] == "true",
		WithKind:      withKind,
		Kind:          schema.GroupKind{Group: k.Group, Kind: k.Kind},
	}
	if v := a.Flags["label-columns"]; v != "" {
		opts.ColumnLabels = strings.Split(v, ",")
	}
	t := table(objs, s.file.Captured)
	if k.Resource == "storageclasses" {
		markDefaultClass(t)
	}
	return printers.NewTablePrinter(opts).PrintObj(t, w)
}

// printObjects prints -o yaml|json: one object alone when one name was
// asked for, else a v1 List.
func printObjects(w io.Writer, format string, objs []runtime.Object, single bool) error {
	var p printers.ResourcePrinter = &printers.YAMLPrinter{}
	if format == "json" {
		p = &printers.JSONPrinter{}
	}
	shown := make([]runtime.Object, 0, len(objs))
	for _, o := range objs {
		shown = append(shown, forOutput(o))
	}
	if single && len(shown) == 1 {
		return p.PrintObj(shown[0], w)
	}
	list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}}}
	for _, o := range shown {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return fmt.Errorf("convert %s: %w", nameOf(o), err)
		}
		list.Items = append(list.Items, unstructured.Unstructured{Object: u})
	}
	return p.PrintObj(list, w)
}

// forOutput returns the object as -o yaml|json shows it: a Secret's values
// are replaced by their sizes (the snapshot never had them).
func forOutput(o runtime.Object) runtime.Object {
	sec, ok := o.(*corev1.Secret)
	if !ok {
		return o
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(sec)
	if err != nil {
		return o
	}
	if data, ok := u["data"].(map[string]any); ok {
		for k := range data {
			n := 0
			if b, ok := sec.Data[k]; ok {
				n = len(b)
			}
			data[k] = redact.Size(n)
		}
	}
	return &unstructured.Unstructured{Object: u}
}

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

// sortBy sorts objects by a JSONPath field as --sort-by does; values that
// are missing sort first, numbers numerically, anything else as text.
func sortBy(objs []runtime.Object, field string) error {
	expr, err := relaxedJSONPath(field)
	if err != nil {
		return fmt.Errorf("--sort-by %q: %w", field, err)
	}
	jp := jsonpath.New("sort").AllowMissingKeys(true)
	if err := jp.Parse(expr); err != nil {
		return fmt.Errorf("--sort-by %q: %w", field, err)
	}
	keys := make(map[runtime.Object]any, len(objs))
	found := false
	for _, o := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return fmt.Errorf("--sort-by: %w", err)
		}
		res, err := jp.FindResults(u)
		if err == nil && len(res) > 0 && len(res[0]) > 0 {
			keys[o] = res[0][0].Interface()
			found = true
		}
	}
	if len(objs) > 0 && !found {
		return fmt.Errorf("couldn't find any field with path %q in the list of objects", expr)
	}
	slices.SortStableFunc(objs, func(a, b runtime.Object) int { return compareKeys(keys[a], keys[b]) })
	return nil
}

var jsonPathField = regexp.MustCompile(`^\{\.?([^{}]+)\}$|^\.?([^{}]+)$`)

// relaxedJSONPath accepts a.b, .a.b, {a.b} and {.a.b} as kubectl does and
// returns {.a.b}.
func relaxedJSONPath(field string) (string, error) {
	m := jsonPathField.FindStringSubmatch(field)
	if m == nil {
		return "", errors.New("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'")
	}
	if m[1] != "" {
		return "{." + m[1] + "}", nil
	}
	return "{." + m[2] + "}", nil
}

func compareKeys(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	fa, oka := number(a)
	fb, okb := number(b)
	if oka && okb {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func number(v any) (float64, bool) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(r.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(r.Uint()), true
	case reflect.Float32, reflect.Float64:
		return r.Float(), true
	}
	return 0, false
}
