package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/kubectl/pkg/describe"

	"github.com/kuberesponder/kuberesponder/kube"
)

// describeVerb answers `kubectl describe` with kubectl's own describers,
// reading from the snapshot through an in-memory, read-only API (no socket,
// no cluster), so the text is exactly what kubectl prints.
func (s *Snapshot) describeVerb(a kube.Action) (string, error) {
	reqs, err := s.requests(a)
	if err != nil {
		return "", err
	}
	ls, _, err := selectors(a)
	if err != nil {
		return "", err
	}
	ns := s.namespaceOf(a)
	var targets []runtime.Object
	var describers []describe.ResourceDescriber
	var prefix bool
	for _, r := range reqs {
		k := r.kind
		if !s.captured(k) {
			return "", s.cannot(a.String(), "holds no "+k.Resource)
		}
		if err := s.outOfScope(k, ns); err != nil {
			return "", err
		}
		d, ok := describe.DescriberFor(schema.GroupKind{Group: k.Group, Kind: k.Kind}, s.restConfig())
		if !ok {
			return "", s.cannot(a.String(), "has no describer for "+k.Resource)
		}
		found, missing := s.store.list(k, query{Namespace: nsFor(k, ns), Names: r.names, Labels: ls})
		if len(missing) > 0 {
			// kubectl describes every object whose name starts with a single
			// name that matches no object exactly.
			if len(reqs) == 1 && len(r.names) == 1 && len(found) == 0 {
				all, _ := s.store.list(k, query{Namespace: nsFor(k, ns), Labels: ls})
				for _, o := range all {
					if strings.HasPrefix(metaOf(o).GetName(), r.names[0]) {
						found = append(found, o)
					}
				}
				prefix = true
			}
			if len(found) == 0 {
				return "", fmt.Errorf("%s %q not found", qualified(k), missing[0])
			}
		}
		for _, o := range found {
			targets = append(targets, o)
			describers = append(describers, d)
		}
	}
	if len(targets) == 0 {
		return noResources(reqs, ns), nil
	}
	settings := describe.DescriberSettings{ShowEvents: len(targets) == 1 || prefix, ChunkSize: 500}
	if v, ok := a.Flags["show-events"]; ok {
		settings.ShowEvents = v == "true"
	}
	var out strings.Builder
	for i, o := range targets {
		m := metaOf(o)
		text, err := describers[i].Describe(m.GetNamespace(), m.GetName(), settings)
		if err != nil {
			return "", fmt.Errorf("describe %s: %w", nameOf(o), err)
		}
		switch {
		case prefix:
			out.WriteString(text + "\n")
		case i == 0:
			out.WriteString(text)
		default:
			out.WriteString("\n\n" + text)
		}
	}
	return out.String(), nil
}

// restConfig is a client configuration whose transport answers from the
// snapshot. Only GET is served; anything else is refused.
func (s *Snapshot) restConfig() *rest.Config {
	return &rest.Config{
		Host:      "http://snapshot.invalid",
		Transport: &readAPI{s: s},
		Timeout:   10 * time.Second,
		QPS:       -1,
	}
}

// readAPI is an http.RoundTripper serving the snapshot's objects the way the
// API server serves them: get, list with label and field selectors, and the
// Lease of each node for describe node.
type readAPI struct{ s *Snapshot }

func (api *readAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if req.Method != http.MethodGet {
		return api.status(req, apierrors.NewMethodNotSupported(schema.GroupResource{}, req.Method)), nil
	}
	gvr, ns, name, ok := parsePath(req.URL.Path)
	if !ok {
		return api.status(req, apierrors.NewNotFound(schema.GroupResource{}, req.URL.Path)), nil
	}
	gr := schema.GroupResource{Group: gvr.Group, Resource: gvr.Resource}
	if gr.Resource == "leases" && gr.Group == "coordination.k8s.io" {
		return api.lease(req, ns, name)
	}
	k, ok := builtinKind(gr.String())
	if !ok {
		return api.status(req, apierrors.NewNotFound(gr, name)), nil
	}
	q := query{Namespace: ns}
	if name != "" {
		q.Names = []string{name}
	}
	if v := req.URL.Query().Get("labelSelector"); v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return api.status(req, apierrors.NewBadRequest(err.Error())), nil
		}
		q.Labels = sel
	}
	if v := req.URL.Query().Get("fieldSelector"); v != "" {
		sel, err := fields.ParseSelector(v)
		if err != nil {
			return api.status(req, apierrors.NewBadRequest(err.Error())), nil
		}
		q.Fields = sel
	}
	objs, missing := api.s.store.list(k, q)
	if name != "" {
		if len(missing) > 0 {
			return api.status(req, apierrors.NewNotFound(gr, name)), nil
		}
		return api.json(req, http.StatusOK, objs[0])
	}
	items := make([]runtime.RawExtension, 0, len(objs))
	for _, o := range objs {
		items = append(items, runtime.RawExtension{Object: o})
	}
	list := map[string]any{
		"apiVersion": schema.GroupVersion{Group: k.Group, Version: k.Version}.String(),
		"kind":       k.Kind + "List",
		"metadata":   map[string]any{"resourceVersion": "1"},
		"items":      items,
	}
	return api.json(req, http.StatusOK, list)
}

func (api *readAPI) lease(req *http.Request, ns, name string) (*http.Response, error) {
	for i := range api.s.file.Objects.Leases {
		l := &api.s.file.Objects.Leases[i]
		if l.Namespace == ns && l.Name == name {
			l.APIVersion, l.Kind = "coordination.k8s.io/v1", "Lease"
			return api.json(req, http.StatusOK, l)
		}
	}
	return api.status(req, apierrors.NewNotFound(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, name)), nil
}

// parsePath splits /api/v1/[namespaces/NS/]RESOURCE[/NAME] and
// /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE[/NAME].
func parsePath(p string) (gvr schema.GroupVersionResource, ns, name string, ok bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		gvr.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		gvr.Group, gvr.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return gvr, "", "", false
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		ns, parts = parts[1], parts[2:]
	}
	switch len(parts) {
	case 1:
		gvr.Resource = parts[0]
	case 2:
		gvr.Resource, name = parts[0], parts[1]
	default:
		return gvr, "", "", false
	}
	return gvr, ns, name, true
}

func (api *readAPI) json(req *http.Request, code int, v any) (*http.Response, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot object: %w", err)
	}
	return &http.Response{
		StatusCode: code,
		Status:     http.StatusText(code),
		Header:     http.Header{"Content-Type": []string{"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(data)),
		Request:    req,
	}, nil
}

func (api *readAPI) status(req *http.Request, err *apierrors.StatusError) *http.Response {
	st := err.Status()
	st.APIVersion, st.Kind = "v1", "Status"
	resp, _ := api.json(req, int(st.Code), &st)
	return resp
}

var _ http.RoundTripper = (*readAPI)(nil)
