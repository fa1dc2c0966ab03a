package snapshot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kuberesponder/kuberesponder/kube"
)

// kind describes one resource a snapshot can hold.
type kind struct {
	Resource   string // plural, lower case: "pods"
	Group      string
	Version    string
	Kind       string
	Namespaced bool
	Short      []string
}

// gr is the key of a resource in the store: "pods", "deployments.apps".
func (k kind) gr() string {
	if k.Group == "" {
		return k.Resource
	}
	return k.Resource + "." + k.Group
}

func (k kind) gvk() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind}
}

// builtin lists the captured kinds; discovery, when present, takes precedence
// in resolving names, but objects are kept only for these.
var builtin = []kind{
	builtinKindOf("namespaces", "", "v1", "Namespace", "ns"),
	builtinKindOf("nodes", "", "v1", "Node", "no"),
	builtinKindOf("pods", "", "v1", "Pod", "po"),
	builtinKindOf("events", "", "v1", "Event", "ev"),
	builtinKindOf("services", "", "v1", "Service", "svc"),
	builtinKindOf("endpointslices", "discovery.k8s.io", "v1", "EndpointSlice"),
	builtinKindOf("persistentvolumeclaims", "", "v1", "PersistentVolumeClaim", "pvc"),
	builtinKindOf("persistentvolumes", "", "v1", "PersistentVolume", "pv"),
	builtinKindOf("storageclasses", "storage.k8s.io", "v1", "StorageClass", "sc"),
	builtinKindOf("configmaps", "", "v1", "ConfigMap", "cm"),
	builtinKindOf("secrets", "", "v1", "Secret"),
	builtinKindOf("resourcequotas", "", "v1", "ResourceQuota", "quota"),
	builtinKindOf("limitranges", "", "v1", "LimitRange", "limits"),
	builtinKindOf("deployments", "apps", "v1", "Deployment", "deploy"),
	builtinKindOf("replicasets", "apps", "v1", "ReplicaSet", "rs"),
	builtinKindOf("statefulsets", "apps", "v1", "StatefulSet", "sts"),
	builtinKindOf("daemonsets", "apps", "v1", "DaemonSet", "ds"),
	builtinKindOf("jobs", "batch", "v1", "Job"),
}

// builtinKindOf describes a captured kind; whether it is namespaced comes
// from kube.ClusterScoped, the product's one list of scopes.
func builtinKindOf(resource, group, version, kindName string, short ...string) kind {
	return kind{Resource: resource, Group: group, Version: version, Kind: kindName,
		Namespaced: !kube.ClusterScoped(resource), Short: short}
}

// store indexes a File's objects by resource, each list sorted by namespace
// and name as the API server returns them.
type store struct {
	objs map[string][]runtime.Object
	// secretKeys holds each Secret's value sizes by "namespace/name".
	secretKeys map[string]map[string]int
}

func newStore(f *File) *store {
	s := &store{objs: map[string][]runtime.Object{}, secretKeys: map[string]map[string]int{}}
	o := &f.Objects
	add := func(gr string, obj runtime.Object) { s.objs[gr] = append(s.objs[gr], obj) }
	for i := range o.Namespaces {
		add("namespaces", &o.Namespaces[i])
	}
	for i := range o.Nodes {
		add("nodes", &o.Nodes[i])
	}
	for i := range o.Pods {
		add("pods", &o.Pods[i])
	}
	for i := range o.Events {
		add("events", &o.Events[i])
	}
	for i := range o.Services {
		add("services", &o.Services[i])
	}
	for i := range o.EndpointSlices {
		add("endpointslices.discovery.k8s.io", &o.EndpointSlices[i])
	}
	for i := range o.PersistentVolumeClaims {
		add("persistentvolumeclaims", &o.PersistentVolumeClaims[i])
	}
	for i := range o.PersistentVolumes {
		add("persistentvolumes", &o.PersistentVolumes[i])
	}
	for i := range o.StorageClasses {
		add("storageclasses.storage.k8s.io", &o.StorageClasses[i])
	}
	for i := range o.ConfigMaps {
		add("configmaps", &o.ConfigMaps[i])
	}
	for i := range o.Secrets {
		add("secrets", o.Secrets[i].object())
		s.secretKeys[o.Secrets[i].Metadata.Namespace+"/"+o.Secrets[i].Metadata.Name] = o.Secrets[i].Keys
	}
	for i := range o.ResourceQuotas {
		add("resourcequotas", &o.ResourceQuotas[i])
	}
	for i := range o.LimitRanges {
		add("limitranges", &o.LimitRanges[i])
	}
	for i := range o.Deployments {
		add("deployments.apps", &o.Deployments[i])
	}
	for i := range o.ReplicaSets {
		add("replicasets.apps", &o.ReplicaSets[i])
	}
	for i := range o.StatefulSets {
		add("statefulsets.apps", &o.StatefulSets[i])
	}
	for i := range o.DaemonSets {
		add("daemonsets.apps", &o.DaemonSets[i])
	}
	for i := range o.Jobs {
		add("jobs.batch", &o.Jobs[i])
	}
	for _, k := range builtin {
		list := s.objs[k.gr()]
		for _, obj := range list {
			obj.GetObjectKind().SetGroupVersionKind(k.gvk())
		}
		slices.SortStableFunc(list, func(a, b runtime.Object) int {
			ma, mb := metaOf(a), metaOf(b)
			if c := strings.Compare(ma.GetNamespace(), mb.GetNamespace()); c != 0 {
				return c
			}
			return strings.Compare(ma.GetName(), mb.GetName())
		})
	}
	return s
}

// object returns the Secret as an API object with an empty value for each
// key; sized fills the values in when the object is served.
func (s Secret) object() *corev1.Secret {
	sec := &corev1.Secret{ObjectMeta: s.Metadata, Type: s.Type}
	if len(s.Keys) > 0 {
		sec.Data = make(map[string][]byte, len(s.Keys))
		for k := range s.Keys {
			sec.Data[k] = nil
		}
	}
	return sec
}

// sized returns obj as it is served: a Secret's values become zero bytes of
// each value's size (in memory only), so that describe prints the sizes and
// the redactor reports them; the snapshot never had the values.
func (s *store) sized(obj runtime.Object) runtime.Object {
	sec, ok := obj.(*corev1.Secret)
	if !ok || len(sec.Data) == 0 {
		return obj
	}
	keys := s.secretKeys[sec.Namespace+"/"+sec.Name]
	out := sec.DeepCopy()
	for k := range out.Data {
		out.Data[k] = make([]byte, max(keys[k], 0))
	}
	return out
}

func metaOf(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		return &metav1.ObjectMeta{}
	}
	return m
}

// query selects objects of one resource.
type query struct {
	Namespace string // empty: every namespace (or a cluster-scoped resource)
	Names     []string
	Labels    labels.Selector
	Fields    fields.Selector
}

// list returns the objects of k matching q, in store order (or in the order
// of q.Names when names are given). Missing names are returned as notFound.
func (s *store) list(k kind, q query) (out []runtime.Object, notFound []string) {
	all := s.objs[k.gr()]
	match := func(obj runtime.Object) bool {
		m := metaOf(obj)
		if k.Namespaced && q.Namespace != "" && m.GetNamespace() != q.Namespace {
			return false
		}
		if q.Labels != nil && !q.Labels.Matches(labels.Set(m.GetLabels())) {
			return false
		}
		if q.Fields != nil && !q.Fields.Matches(fieldsOf(obj)) {
			return false
		}
		return true
	}
	if len(q.Names) == 0 {
		for _, obj := range all {
			if match(obj) {
				out = append(out, obj)
			}
		}
		return out, nil
	}
	for _, name := range q.Names {
		found := false
		for _, obj := range all {
			if metaOf(obj).GetName() == name && match(obj) {
				out = append(out, obj)
				found = true
				break
			}
		}
		if !found {
			notFound = append(notFound, name)
		}
	}
	return out, notFound
}

// fieldsOf returns the fields the API server lets a field selector use for
// the object's kind.
func fieldsOf(obj runtime.Object) fields.Set {
	m := metaOf(obj)
	set := fields.Set{"metadata.name": m.GetName(), "metadata.namespace": m.GetNamespace()}
	switch o := obj.(type) {
	case *corev1.Pod:
		set["spec.nodeName"] = o.Spec.NodeName
		set["spec.restartPolicy"] = string(o.Spec.RestartPolicy)
		set["spec.schedulerName"] = o.Spec.SchedulerName
		set["spec.serviceAccountName"] = o.Spec.ServiceAccountName
		set["spec.hostNetwork"] = strconv.FormatBool(o.Spec.HostNetwork)
		set["status.phase"] = string(o.Status.Phase)
		set["status.podIP"] = o.Status.PodIP
		set["status.nominatedNodeName"] = o.Status.NominatedNodeName
	case *corev1.Event:
		io := o.InvolvedObject
		set["involvedObject.kind"] = io.Kind
		set["involvedObject.namespace"] = io.Namespace
		set["involvedObject.name"] = io.Name
		set["involvedObject.uid"] = string(io.UID)
		set["involvedObject.apiVersion"] = io.APIVersion
		set["involvedObject.resourceVersion"] = io.ResourceVersion
		set["involvedObject.fieldPath"] = io.FieldPath
		set["reason"] = o.Reason
		set["reportingComponent"] = o.ReportingController
		set["source"] = o.Source.Component
		set["type"] = o.Type
	case *corev1.Node:
		set["spec.unschedulable"] = strconv.FormatBool(o.Spec.Unschedulable)
	case *corev1.Namespace:
		set["status.phase"] = string(o.Status.Phase)
	case *corev1.Secret:
		set["type"] = string(o.Type)
	case *corev1.PersistentVolume:
		set["name"] = o.Name
	}
	return set
}

// zero returns an empty object of k, for checking field selectors.
func zero(k kind) runtime.Object {
	switch k.gr() {
	case "pods":
		return &corev1.Pod{}
	case "events":
		return &corev1.Event{}
	case "nodes":
		return &corev1.Node{}
	case "namespaces":
		return &corev1.Namespace{}
	case "secrets":
		return &corev1.Secret{}
	case "persistentvolumes":
		return &corev1.PersistentVolume{}
	}
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "x"}}
}

// checkFields reports a field selector naming a field the API server does not
// support for k, with the server's wording.
func checkFields(k kind, sel fields.Selector, sample runtime.Object) error {
	if sel == nil {
		return nil
	}
	have := fieldsOf(sample)
	for _, r := range sel.Requirements() {
		if _, ok := have[r.Field]; !ok {
			return fmt.Errorf("field label not supported for %s: %s", k.Resource, r.Field)
		}
	}
	return nil
}
