package kube

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/jsonpath"
	"k8s.io/kubectl/pkg/cmd/get"
)

// kubectl's sorter (k8s.io/kubectl/pkg/cmd/get/sorter.go) ends the process
// with klog.Exitf or klog.Fatalf when two values of the --sort-by field
// cannot be compared, and no recover catches that. So kubectl's get never
// sees --sort-by here: runGet gives it to a sortPrinter, which checks every
// object the sort will compare with the same JSONPath and only then lets
// kubectl's SortingPrinter order them. sortby_exit_test.go lists every such
// path in the library code the engine calls.

// maxSortBy bounds a --sort-by value; a field path is short.
const maxSortBy = 256

// checkSortBy accepts a --sort-by value that kubectl reads as one field
// path: fields and array indices, such as .metadata.name,
// {.status.startTime} or .status.containerStatuses[0].restartCount.
// Wildcards, recursive descent, filters and unions pick values in map
// order, which need not be the order the sort would see; they are refused.
func checkSortBy(s string) error {
	const hint = "; give one field path such as .metadata.name or .status.containerStatuses[0].restartCount"
	if len(s) > maxSortBy {
		return fmt.Errorf("--sort-by is longer than %d characters%s", maxSortBy, hint)
	}
	field, err := get.RelaxedJSONPathExpression(s)
	if err != nil {
		return fmt.Errorf("--sort-by=%s is not a field path%s", s, hint)
	}
	p, err := jsonpath.Parse("sort-by", field)
	if err != nil {
		return fmt.Errorf("--sort-by=%s is not a field path (%v)%s", s, err, hint)
	}
	var walk func(n jsonpath.Node) error
	walk = func(n jsonpath.Node) error {
		switch n := n.(type) {
		case *jsonpath.ListNode:
			for _, c := range n.Nodes {
				if err := walk(c); err != nil {
					return err
				}
			}
			return nil
		case *jsonpath.FieldNode, *jsonpath.ArrayNode:
			return nil
		}
		return fmt.Errorf("--sort-by=%s uses %s, which cannot order a list%s", s, strings.TrimPrefix(n.Type().String(), "Node"), hint)
	}
	if err := walk(p.Root); err != nil {
		return err
	}
	return nil
}

// sortPrinter orders what it prints by a --sort-by field, as kubectl's
// SortingPrinter does, after checking that every value the sort compares
// can be compared. Its first error is kept in err: kubectl's get ignores
// printer errors for tables.
type sortPrinter struct {
	sortBy string // as given
	field  string // as a JSONPath template: {.metadata.name}
	next   printers.ResourcePrinter
	err    *error
}

// PrintObj sorts a Table's rows or a list's items, then prints.
func (p sortPrinter) PrintObj(obj runtime.Object, w io.Writer) error {
	if *p.err != nil {
		return *p.err
	}
	var objs []runtime.Object
	switch {
	case isTable(obj):
		table, err := decodeTable(obj.(*unstructured.Unstructured))
		if err != nil {
			return p.fail(fmt.Errorf("read the table to sort by --sort-by=%s: %w", p.sortBy, err))
		}
		obj = table
		for i := range table.Rows {
			objs = append(objs, table.Rows[i].Object.Object)
		}
	case meta.IsListType(obj):
		items, err := meta.ExtractList(obj)
		if err != nil {
			return p.fail(fmt.Errorf("read the list to sort by --sort-by=%s: %w", p.sortBy, err))
		}
		objs = items
	default:
		return p.next.PrintObj(obj, w) // one object: nothing to order
	}
	if err := checkSortable(p.sortBy, p.field, objs); err != nil {
		return p.fail(err)
	}
	sorting := &get.SortingPrinter{SortField: p.sortBy, Delegate: p.next, Decoder: unstructured.UnstructuredJSONScheme}
	return sorting.PrintObj(obj, w)
}

func (p sortPrinter) fail(err error) error {
	*p.err = err
	return err
}

// isTable reports whether obj is a server-side Table as the builder returns it.
func isTable(obj runtime.Object) bool {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return false
	}
	gvk := u.GroupVersionKind()
	return gvk.Kind == "Table" && gvk.Group == metav1.GroupName && (gvk.Version == "v1" || gvk.Version == "v1beta1")
}

// decodeTable turns a Table into a metav1.Table whose rows hold their
// objects decoded, exactly as kubectl's TablePrinter does before it sorts.
func decodeTable(u *unstructured.Unstructured) (*metav1.Table, error) {
	table := &metav1.Table{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, table); err != nil {
		return nil, err
	}
	for i := range table.Rows {
		row := &table.Rows[i]
		if row.Object.Raw == nil || row.Object.Object != nil {
			continue
		}
		obj, err := runtime.Decode(unstructured.UnstructuredJSONScheme, row.Object.Raw)
		if err != nil {
			return nil, err
		}
		row.Object.Object = obj
	}
	return table, nil
}

// checkSortable returns an error unless kubectl's sorter can compare the
// first value field selects in every object that has one: it reads each
// object as the sorter does and requires values of one sortable kind (the
// kinds kubectl's isLess compares without failing).
func checkSortable(sortBy, field string, objs []runtime.Object) error {
	parser := jsonpath.New("sorting").AllowMissingKeys(true)
	if err := parser.Parse(field); err != nil {
		return fmt.Errorf("--sort-by=%s is not a field path: %w", sortBy, err)
	}
	var kind, where string
	found := false
	for _, obj := range objs {
		if obj == nil {
			continue
		}
		if _, ok := obj.(*unstructured.Unstructured); !ok {
			return fmt.Errorf("--sort-by=%s cannot sort %T objects", sortBy, obj)
		}
		values, err := parser.FindResults(obj.(*unstructured.Unstructured).Object)
		if err != nil {
			return fmt.Errorf("--sort-by=%s cannot be read from %s: %w", sortBy, describeObj(obj), err)
		}
		if len(values) == 0 || len(values[0]) == 0 {
			continue
		}
		found = true
		k, ok := sortKind(values[0][0])
		switch {
		case !ok:
			return fmt.Errorf("--sort-by=%s is %s in %s, which cannot be sorted; sort by a field that holds a string, a number or a time, e.g. .metadata.name", sortBy, k, describeObj(obj))
		case k == "null":
		case kind == "":
			kind, where = k, describeObj(obj)
		case k != kind:
			return fmt.Errorf("--sort-by=%s is %s in %s but %s in %s; sort by a field that holds one kind of value", sortBy, kind, where, k, describeObj(obj))
		}
	}
	if !found && len(objs) > 1 {
		return fmt.Errorf("--sort-by=%s is a field none of the %d objects has; check the path with get -o yaml", sortBy, len(objs))
	}
	return nil
}

// sortKind names the kind of a sort value, and reports whether kubectl's
// isLess compares two values of that kind without failing. It is stricter
// than isLess: structs other than a time or quantity, lists and pointers
// are refused, since ordering by them means nothing to a reader.
func sortKind(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer", true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an unsigned integer", true
	case reflect.Float32, reflect.Float64:
		return "a number", true
	case reflect.String:
		return "a string", true
	case reflect.Struct:
		switch v.Type() {
		case reflect.TypeFor[metav1.Time]():
			return "a time", true
		case reflect.TypeFor[resource.Quantity]():
			return "a quantity", true
		}
		return "an object", false
	case reflect.Interface:
		if v.IsNil() {
			return "null", true
		}
		// isLess compares two interface values only when both hold the
		// same one of these types.
		switch x := v.Elem().Interface().(type) {
		case string:
			return "a string", true
		case int64:
			return "an integer", true
		case float64:
			return "a decimal number", true
		case int32, int16, int8, int, uint64, uint32, uint16, uint8, uint, float32:
			return fmt.Sprintf("a %T", x), true
		case bool:
			return "a true/false value", false
		case map[string]any:
			return "an object", false
		case []any:
			return "a list", false
		}
		return fmt.Sprintf("a %T", v.Elem().Interface()), false
	case reflect.Map:
		return "an object", false
	case reflect.Slice, reflect.Array:
		return "a list", false
	case reflect.Bool:
		return "a true/false value", false
	}
	return "a " + v.Kind().String(), false
}

// describeObj names an object for an error: secret "db-creds".
func describeObj(obj runtime.Object) string {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || u.GetName() == "" {
		return "an object"
	}
	return fmt.Sprintf("%s %q", strings.ToLower(u.GetKind()), u.GetName())
}

// objectsGetter is the getter of a sorted get: its requests for a Table ask
// for whole objects (includeObject=Object), as kubectl's get does when it
// sorts, so that the sort can read any field.
type objectsGetter struct{ getter }

func (g objectsGetter) ToRESTConfig() (*rest.Config, error) {
	c, err := g.getter.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return includeObjects{rt} })
	return c, nil
}

// includeObjects adds includeObject=Object to requests for Tables.
type includeObjects struct{ next http.RoundTripper }

func (t includeObjects) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.Header.Get("Accept"), "as=Table") && !req.URL.Query().Has("includeObject") {
		req = req.Clone(req.Context())
		q := req.URL.Query()
		q.Set("includeObject", "Object")
		req.URL.RawQuery = q.Encode()
	}
	return t.next.RoundTrip(req)
}

// heldWriter keeps the output of a sorted get until its sort is checked,
// up to max bytes; then it fails every write, as capWriter does.
type heldWriter struct {
	buf  bytes.Buffer
	max  int
	full bool
}

func (w *heldWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); len(p) > room {
		w.buf.Write(p[:max(room, 0)])
		w.full = true
		return max(room, 0), errOutputFull
	}
	return w.buf.Write(p)
}
