package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// RESTConfig returns a client configuration whose transport answers from the
// snapshot the way an API server would: discovery, /version, get and list
// (with label and field selectors, as Tables when asked), the Lease of each
// node, and the captured log tails. Nothing leaves the process; only GET is
// served. kubectl's own code (get, describe, logs, events) runs over it
// unchanged.
func (s *Snapshot) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:      "https://snapshot.invalid",
		Transport: &readAPI{s: s, now: time.Now},
		QPS:       -1,
	}
}

// readAPI is the in-memory, read-only API server of a snapshot.
type readAPI struct {
	s   *Snapshot
	now func() time.Time
}

var _ http.RoundTripper = (*readAPI)(nil)

func (api *readAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return api.status(req, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: req.URL.Path}, strings.ToLower(req.Method))), nil
	}
	if q := req.URL.Query(); q.Get("watch") == "true" || q.Get("watch") == "1" {
		return api.status(req, apierrors.NewBadRequest("a snapshot cannot be watched; it was taken at "+stamp(api.s.file.Captured))), nil
	}
	switch p := strings.TrimSuffix(req.URL.Path, "/"); {
	case p == "/version":
		return api.json(req, api.s.file.ServerVersion)
	case p == "/api":
		return api.json(req, &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
	case p == "/apis":
		return api.json(req, api.groups())
	}
	if list, ok := api.resourceList(req.URL.Path); ok {
		return api.json(req, list)
	}
	gvr, ns, name, sub, ok := parsePath(req.URL.Path)
	if !ok {
		return api.status(req, apierrors.NewNotFound(schema.GroupResource{}, req.URL.Path)), nil
	}
	gr := schema.GroupResource{Group: gvr.Group, Resource: gvr.Resource}
	switch {
	case gr.String() == "leases.coordination.k8s.io" && name != "" && sub == "":
		return api.lease(req, ns, name)
	case gr.Resource == "pods" && gr.Group == "" && sub == "log":
		return api.log(req, ns, name)
	case sub != "":
		return api.status(req, apierrors.NewNotFound(schema.GroupResource{Group: gr.Group, Resource: gr.Resource + "/" + sub}, name)), nil
	}
	k, ok := builtinKind(gr.String())
	if !ok {
		return api.status(req, apierrors.NewNotFound(gr, name)), nil
	}
	return api.objects(req, k, ns, name)
}

// groups serves /apis: the captured API groups (the core group is /api).
func (api *readAPI) groups() *metav1.APIGroupList {
	out := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	if api.s.file.Groups != nil {
		for _, g := range api.s.file.Groups.Groups {
			if g.Name != "" {
				out.Groups = append(out.Groups, g)
			}
		}
		return out
	}
	for _, l := range api.s.file.Resources {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil || gv.Group == "" {
			continue
		}
		v := metav1.GroupVersionForDiscovery{GroupVersion: l.GroupVersion, Version: gv.Version}
		out.Groups = append(out.Groups, metav1.APIGroup{Name: gv.Group, Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v})
	}
	return out
}

// resourceList serves /api/v1 and /apis/GROUP/VERSION.
func (api *readAPI) resourceList(path string) (*metav1.APIResourceList, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var gv string
	switch {
	case len(parts) == 2 && parts[0] == "api":
		gv = parts[1]
	case len(parts) == 3 && parts[0] == "apis":
		gv = parts[1] + "/" + parts[2]
	default:
		return nil, false
	}
	for _, l := range api.s.file.Resources {
		if l.GroupVersion == gv {
			out := *l
			out.Kind, out.APIVersion = "APIResourceList", "v1"
			return &out, true
		}
	}
	return nil, false
}

// parsePath splits /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUB]] and the
// same under /apis/GROUP/VERSION.
func parsePath(p string) (gvr schema.GroupVersionResource, ns, name, sub string, ok bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		gvr.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		gvr.Group, gvr.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return gvr, "", "", "", false
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		ns, parts = parts[1], parts[2:]
	}
	switch len(parts) {
	case 1:
		gvr.Resource = parts[0]
	case 2:
		gvr.Resource, name = parts[0], parts[1]
	case 3:
		gvr.Resource, name, sub = parts[0], parts[1], parts[2]
	default:
		return gvr, "", "", "", false
	}
	return gvr, ns, name, sub, true
}

// objects serves one object or a list, as JSON or as a Table.
func (api *readAPI) objects(req *http.Request, k kind, ns, name string) (*http.Response, error) {
	gr := schema.GroupResource{Group: k.Group, Resource: k.Resource}
	if f := api.s.file.Namespace; f != "" && k.Namespaced && ns != f && (ns != "" || name != "") {
		return api.status(req, apierrors.NewNotFound(gr, name)), nil
	}
	q := query{Namespace: ns}
	if name != "" {
		q.Names = []string{name}
	}
	params := req.URL.Query()
	if v := params.Get("labelSelector"); v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return api.status(req, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))), nil
		}
		q.Labels = sel
	}
	if v := params.Get("fieldSelector"); v != "" {
		sel, err := fields.ParseSelector(v)
		if err == nil {
			err = checkFields(k, sel, zero(k))
		}
		if err != nil {
			return api.status(req, apierrors.NewBadRequest(err.Error())), nil
		}
		q.Fields = sel
	}
	objs, missing := api.s.store.list(k, q)
	if name != "" && len(missing) > 0 {
		return api.status(req, apierrors.NewNotFound(gr, name)), nil
	}
	if wantsTable(req.Header.Get("Accept")) {
		t := table(objs, api.now())
		if t.ColumnDefinitions == nil {
			t = table([]runtime.Object{zero(k)}, api.now())
			t.Rows = nil
		}
		if k.Resource == "storageclasses" && name == "" {
			markDefaultClass(t)
		}
		return api.table(req, t, params.Get("includeObject"))
	}
	if name != "" {
		return api.json(req, api.s.store.sized(objs[0]))
	}
	items := make([]json.RawMessage, 0, len(objs))
	for _, o := range objs {
		data, err := json.Marshal(api.s.store.sized(o))
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", nameOf(o), err)
		}
		items = append(items, data)
	}
	return api.json(req, map[string]any{
		"apiVersion": schema.GroupVersion{Group: k.Group, Version: k.Version}.String(),
		"kind":       k.Kind + "List",
		"metadata":   map[string]any{"resourceVersion": "1"},
		"items":      items,
	})
}

// wantsTable reports whether an Accept header asks for a meta.k8s.io Table.
func wantsTable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		_, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && params["as"] == "Table" && params["g"] == "meta.k8s.io" {
			return true
		}
	}
	return false
}

func (api *readAPI) table(req *http.Request, t *metav1.Table, include string) (*http.Response, error) {
	t.Kind, t.APIVersion = "Table", "meta.k8s.io/v1"
	t.ResourceVersion = "1"
	for i := range t.Rows {
		row := &t.Rows[i]
		obj := row.Object.Object
		row.Object = runtime.RawExtension{}
		switch include {
		case "None":
		case "Object":
			data, err := json.Marshal(api.s.store.sized(obj))
			if err != nil {
				return nil, fmt.Errorf("encode table row: %w", err)
			}
			row.Object.Raw = data
		default:
			m := metaOf(obj)
			pm := metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}}
			pm.ObjectMeta = metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(), Labels: m.GetLabels(),
				Annotations: m.GetAnnotations(), CreationTimestamp: m.GetCreationTimestamp(), OwnerReferences: m.GetOwnerReferences()}
			data, err := json.Marshal(&pm)
			if err != nil {
				return nil, fmt.Errorf("encode table row: %w", err)
			}
			row.Object.Raw = data
		}
	}
	return api.json(req, t)
}

func (api *readAPI) lease(req *http.Request, ns, name string) (*http.Response, error) {
	for i := range api.s.file.Objects.Leases {
		l := api.s.file.Objects.Leases[i]
		if l.Namespace == ns && l.Name == name {
			l.APIVersion, l.Kind = "coordination.k8s.io/v1", "Lease"
			return api.json(req, &l)
		}
	}
	return api.status(req, apierrors.NewNotFound(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, name)), nil
}

// log serves a captured log tail with the kubelet's options: container,
// previous, tailLines, sinceSeconds, sinceTime, timestamps and limitBytes.
func (api *readAPI) log(req *http.Request, ns, pod string) (*http.Response, error) {
	q := req.URL.Query()
	container := q.Get("container")
	if container == "" {
		if p := api.s.pod(ns, pod); p != nil && len(p.Spec.Containers) > 0 {
			container = p.Spec.Containers[0].Name
		}
	}
	l := api.s.findLog(ns, pod, container, q.Get("previous") == "true")
	if l == nil {
		return api.status(req, apierrors.NewBadRequest(fmt.Sprintf("this snapshot holds the logs of failing containers only, not of container %q in pod %q", container, ns+"/"+pod))), nil
	}
	if l.Error != "" {
		return api.status(req, apierrors.NewBadRequest(l.Error)), nil
	}
	var since time.Time
	if v := q.Get("sinceSeconds"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			since = api.s.file.Captured.Add(-time.Duration(n) * time.Second)
		}
	}
	if v := q.Get("sinceTime"); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			since = t
		}
	}
	tail := -1
	if v := q.Get("tailLines"); v != "" {
		tail, _ = strconv.Atoi(v)
	}
	var b bytes.Buffer
	for _, line := range filterLines(l.Lines, since, tail) {
		if q.Get("timestamps") != "true" {
			_, line, _ = strings.Cut(line, " ")
		}
		b.WriteString(line + "\n")
	}
	data := b.Bytes()
	if v := q.Get("limitBytes"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(data) {
			data = data[:n]
		}
	}
	return api.respond(req, http.StatusOK, "text/plain", data), nil
}

func (api *readAPI) json(req *http.Request, v any) (*http.Response, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot answer: %w", err)
	}
	return api.respond(req, http.StatusOK, "application/json", data), nil
}

func (api *readAPI) status(req *http.Request, err *apierrors.StatusError) *http.Response {
	st := err.Status()
	st.APIVersion, st.Kind = "v1", "Status"
	data, _ := json.Marshal(&st)
	return api.respond(req, int(st.Code), "application/json", data)
}

func (api *readAPI) respond(req *http.Request, code int, contentType string, body []byte) *http.Response {
	return &http.Response{
		StatusCode:    code,
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": []string{contentType}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
