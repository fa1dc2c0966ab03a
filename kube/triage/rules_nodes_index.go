package triage

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
)

// nodesIndex holds what the rules read from the nodes and Services alone,
// computed on first use and kept for one Analyze: hundreds of pods the
// scheduler cannot place, or of one Service, ask the same questions of the
// same nodes and Services.
type nodesIndex struct {
	free       map[corev1.ResourceName]*freeTable
	labels     map[string]string // node label key → "node=value, …" as the evidence shows it
	capacity   map[string]msg    // scheduling rule → capacityNote
	nodeNames  string            // describe-node argument list; "" when there are none or too many
	namesReady bool
	services   map[string][]selectingService // namespace → Services with a selector
}

// freeTable is the free allocatable of every node for one resource, roomiest
// first when there are more nodes than the evidence shows.
type freeTable struct {
	nodes    []nodeFree
	maxAlloc resource.Quantity
}

// nodeFree is one node's row of a freeTable, its amounts already rendered.
type nodeFree struct {
	name               string
	free               resource.Quantity
	alloc, used, freeH string
}

// selectingService is a Service of a namespace with its selector parsed once.
type selectingService struct {
	ref ObjectRef
	sel labels.Selector
}

// freeTable returns the free allocatable of name on every node.
func (x *index) freeTable(name corev1.ResourceName) *freeTable {
	return memo(&x.nodesIdx.free, name, func() *freeTable { return x.newFreeTable(name) })
}

// newFreeTable computes the free allocatable of name on every node.
func (x *index) newFreeTable(name corev1.ResourceName) *freeTable {
	t := &freeTable{nodes: make([]nodeFree, 0, len(x.f.Nodes))}
	for _, nf := range x.f.Nodes {
		alloc := nf.Node.Status.Allocatable[name]
		if alloc.Cmp(t.maxAlloc) > 0 {
			t.maxAlloc = alloc
		}
		t.nodes = append(t.nodes, nodeFree{name: nf.Node.Name, free: nf.free(name),
			alloc: human(name, alloc), used: human(name, nf.Requested[name])})
	}
	if len(t.nodes) > maxNodeLines { // show the roomiest nodes first
		sort.SliceStable(t.nodes, func(i, j int) bool { return t.nodes[i].free.Cmp(t.nodes[j].free) > 0 })
	}
	for i := range t.nodes {
		t.nodes[i].freeH = human(name, t.nodes[i].free)
	}
	return t
}

// nodeLabels returns every node's value of label key, "<none>" where it has
// none, as the node-selector evidence shows them.
func (x *index) nodeLabels(key string) string {
	return memo(&x.nodesIdx.labels, key, func() string { return x.joinNodeLabels(key) })
}

// joinNodeLabels computes nodeLabels.
func (x *index) joinNodeLabels(key string) string {
	vals := make([]string, 0, len(x.f.Nodes))
	for _, nf := range x.f.Nodes {
		v, ok := nf.Node.Labels[key]
		if !ok {
			v = "<none>"
		}
		vals = append(vals, nf.Node.Name+"="+v)
	}
	return joinCapped(vals)
}

// capacityNoteOf is capacityNote, computed once per rule.
func (x *index) capacityNoteOf(rule string) msg {
	return memo(&x.nodesIdx.capacity, rule, func() msg { return x.capacityNote(rule) })
}

// memo returns (*m)[k], computing it with f and keeping it on first use.
func memo[K comparable, V any](m *map[K]V, k K, f func() V) V {
	if v, ok := (*m)[k]; ok {
		return v
	}
	if *m == nil {
		*m = map[K]V{}
	}
	v := f()
	(*m)[k] = v
	return v
}

// describeNodes returns the names of the nodes for kubectl describe node, or
// "" when there are none or more than ten.
func (x *index) describeNodes() string {
	if x.nodesIdx.namesReady {
		return x.nodesIdx.nodeNames
	}
	x.nodesIdx.namesReady = true
	if n := len(x.f.Nodes); n == 0 || n > 10 {
		return ""
	}
	names := make([]string, 0, len(x.f.Nodes))
	for _, nf := range x.f.Nodes {
		names = append(names, nf.Node.Name)
	}
	x.nodesIdx.nodeNames = strings.Join(names, " ")
	return x.nodesIdx.nodeNames
}

// selectingServices returns the Services of ns that have a selector, in the
// order of the facts, their selectors parsed once.
func (x *index) selectingServices(ns string) []selectingService {
	if x.nodesIdx.services == nil {
		x.nodesIdx.services = map[string][]selectingService{}
		for _, s := range x.f.Services {
			sel := s.Service.Spec.Selector
			if len(sel) == 0 {
				continue
			}
			svc := selectingService{ref: ObjectRef{Kind: "Service", Namespace: s.Service.Namespace, Name: s.Service.Name},
				sel: labels.SelectorFromSet(sel)}
			x.nodesIdx.services[s.Service.Namespace] = append(x.nodesIdx.services[s.Service.Namespace], svc)
		}
	}
	return x.nodesIdx.services[ns]
}
