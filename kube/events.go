package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kubectl/pkg/cmd/events"
)

// eventPage is the page size of event lists: large enough that a busy
// namespace needs few requests, small enough to keep each response modest.
const eventPage = 500

// runEvents lists events the way kubectl events prints them, oldest first
// so the newest end the output, ordered by the newest of eventTime,
// series.lastObservedTime, lastTimestamp and firstTimestamp.
func (e *Executor) runEvents(ctx context.Context, a Action, ns string, w io.Writer) error {
	namespace := ns
	if a.AllNamespaces {
		namespace = ""
	}
	opts := metav1.ListOptions{Limit: eventPage}
	if forObj := a.Flags.Get("for"); forObj != "" {
		gvk, name, err := e.kindAndName(forObj)
		if err != nil {
			return err
		}
		opts.FieldSelector = fields.AndSelectors(
			fields.OneTermEqualSelector("involvedObject.kind", gvk.Kind),
			fields.OneTermEqualSelector("involvedObject.apiVersion", gvk.GroupVersion().String()),
			fields.OneTermEqualSelector("involvedObject.name", name)).String()
	}
	var types []string
	if t := a.Flags.Get("types"); t != "" {
		types = strings.Split(t, ",")
	}
	list := &corev1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "v1"}}
	for {
		page, err := e.cs.CoreV1().Events(namespace).List(ctx, opts)
		if err != nil {
			return err
		}
		for _, ev := range page.Items {
			if typeWanted(types, ev.Type) {
				ev.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "Event"})
				list.Items = append(list.Items, ev)
			}
		}
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
	}
	if len(list.Items) == 0 {
		if a.AllNamespaces {
			fmt.Fprintln(w, "No events found.")
		} else {
			fmt.Fprintf(w, "No events found in %s namespace.\n", ns)
		}
		return nil
	}
	SortEvents(list.Items)
	if out := a.Flags.Get("output"); out != "" {
		pf := genericclioptions.NewPrintFlags("").WithTypeSetter(scheme.Scheme)
		*pf.OutputFormat = out
		p, err := pf.ToPrinter()
		if err != nil {
			return err
		}
		return p.PrintObj(list, w)
	}
	tw := printers.GetNewTabWriter(w)
	if err := events.NewEventPrinter(a.Flags.Get("no-headers") == "true", a.AllNamespaces).PrintObj(list, tw); err != nil {
		return err
	}
	return tw.Flush()
}

func typeWanted(types []string, t string) bool {
	if len(types) == 0 {
		return true
	}
	for _, want := range types {
		if strings.EqualFold(want, t) {
			return true
		}
	}
	return false
}

// SortEvents orders events oldest first by EventLastSeen.
func SortEvents(items []corev1.Event) {
	sort.SliceStable(items, func(i, j int) bool {
		return EventLastSeen(items[i]).Before(EventLastSeen(items[j]))
	})
}

// EventLastSeen is the newest of an event's eventTime,
// series.lastObservedTime, lastTimestamp and firstTimestamp: events written
// through the events.k8s.io API fill the first two, core events the last two.
func EventLastSeen(ev corev1.Event) time.Time {
	t := ev.EventTime.Time
	if ev.Series != nil && ev.Series.LastObservedTime.After(t) {
		t = ev.Series.LastObservedTime.Time
	}
	if ev.LastTimestamp.After(t) {
		t = ev.LastTimestamp.Time
	}
	if ev.FirstTimestamp.After(t) {
		t = ev.FirstTimestamp.Time
	}
	return t
}

// kindAndName resolves TYPE/NAME (pod/web-1, deploy/web) to a kind.
func (e *Executor) kindAndName(s string) (schema.GroupVersionKind, string, error) {
	typ, name, _ := strings.Cut(s, "/")
	full, gr := schema.ParseResourceArg(strings.ToLower(typ))
	var gvr schema.GroupVersionResource
	if full != nil {
		gvr, _ = e.mapper.ResourceFor(*full)
	}
	if gvr.Empty() {
		var err error
		if gvr, err = e.mapper.ResourceFor(gr.WithVersion("")); err != nil {
			return schema.GroupVersionKind{}, "", err
		}
	}
	gvk, err := e.mapper.KindFor(gvr)
	return gvk, name, err
}

// errNoMetrics is the answer of top on a cluster without metrics-server.
var errNoMetrics = &sentenceError{msg: "metrics API not available on this cluster"}

// usage is one measured object of the metrics.k8s.io API.
type usage struct {
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Usage      corev1.ResourceList
	Containers []struct {
		Name  string              `json:"name"`
		Usage corev1.ResourceList `json:"usage"`
	} `json:"containers"`
}

// runTop prints pod or node usage from the metrics API, as kubectl top does.
func (e *Executor) runTop(ctx context.Context, a Action, ns string, w io.Writer) error {
	groups, err := e.disc.ServerGroups()
	if err != nil {
		return err
	}
	available := false
	for _, g := range groups.Groups {
		if g.Name == "metrics.k8s.io" {
			for _, v := range g.Versions {
				available = available || v.Version == "v1beta1"
			}
		}
	}
	if !available {
		return errNoMetrics
	}
	req := e.cs.CoreV1().RESTClient().Get().AbsPath("/apis/metrics.k8s.io/v1beta1")
	node := a.SubVerb == "node"
	switch {
	case node:
		req = req.Resource("nodes")
	case a.AllNamespaces:
		req = req.Resource("pods")
	default:
		req = req.Namespace(ns).Resource("pods")
	}
	if len(a.Names) == 1 {
		req = req.Name(a.Names[0])
	}
	if sel := a.Flags.Get("selector"); sel != "" {
		req = req.Param("labelSelector", sel)
	}
	if fs := a.Flags.Get("field-selector"); fs != "" {
		req = req.Param("fieldSelector", fs)
	}
	body, err := req.Do(ctx).Raw()
	if err != nil {
		return err
	}
	var items []usage
	if len(a.Names) == 1 {
		var one usage
		err = json.Unmarshal(body, &one)
		items = []usage{one}
	} else {
		var list struct{ Items []usage }
		err = json.Unmarshal(body, &list)
		items = list.Items
	}
	if err != nil {
		return fmt.Errorf("decode metrics: %w", err)
	}
	for i := range items {
		if !node {
			items[i].Usage = corev1.ResourceList{}
			for _, c := range items[i].Containers {
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					q := items[i].Usage[r]
					q.Add(c.Usage[r])
					items[i].Usage[r] = q
				}
			}
		}
	}
	if len(items) == 0 {
		if node {
			return &sentenceError{msg: "metrics not available yet"}
		}
		fmt.Fprintf(w, "No resources found in %s namespace.\n", ns)
		return nil
	}
	sortUsage(items, a.Flags.Get("sort-by"))
	if node {
		return e.printNodeTop(ctx, a, items, w)
	}
	return printPodTop(a, items, w)
}

func sortUsage(items []usage, by string) {
	sort.SliceStable(items, func(i, j int) bool {
		switch by {
		case "cpu", "memory":
			r := corev1.ResourceName(by)
			qi, qj := items[i].Usage[r], items[j].Usage[r]
			return qi.Cmp(qj) > 0
		}
		if items[i].Metadata.Namespace != items[j].Metadata.Namespace {
			return items[i].Metadata.Namespace < items[j].Metadata.Namespace
		}
		return items[i].Metadata.Name < items[j].Metadata.Name
	})
}

func printPodTop(a Action, items []usage, w io.Writer) error {
	tw := printers.GetNewTabWriter(w)
	containers := a.Flags.Get("containers") == "true"
	if a.Flags.Get("no-headers") != "true" {
		if a.AllNamespaces {
			fmt.Fprint(tw, "NAMESPACE\t")
		}
		if containers {
			fmt.Fprint(tw, "POD\t")
		}
		fmt.Fprint(tw, "NAME\tCPU(cores)\tMEMORY(bytes)\t\n")
	}
	var cpu, mem resource.Quantity
	for _, m := range items {
		rows := []struct {
			pod, name string
			usage     corev1.ResourceList
		}{{"", m.Metadata.Name, m.Usage}}
		if containers {
			rows = rows[:0]
			for _, c := range m.Containers {
				rows = append(rows, struct {
					pod, name string
					usage     corev1.ResourceList
				}{m.Metadata.Name, c.Name, c.Usage})
			}
		}
		for _, r := range rows {
			if a.AllNamespaces {
				fmt.Fprintf(tw, "%s\t", m.Metadata.Namespace)
			}
			if containers {
				fmt.Fprintf(tw, "%s\t", r.pod)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", r.name, cpuText(r.usage), memText(r.usage))
		}
		cpu.Add(m.Usage[corev1.ResourceCPU])
		mem.Add(m.Usage[corev1.ResourceMemory])
	}
	if a.Flags.Get("sum") == "true" {
		total := corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}
		fmt.Fprintf(tw, "\t________\t________\t\n\t%s\t%s\t\n", cpuText(total), memText(total))
	}
	return tw.Flush()
}

func (e *Executor) printNodeTop(ctx context.Context, a Action, items []usage, w io.Writer) error {
	nodes, err := e.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: a.Flags.Get("selector")})
	if err != nil {
		return err
	}
	capacity := map[string]corev1.ResourceList{}
	for _, n := range nodes.Items {
		capacity[n.Name] = n.Status.Allocatable
		if a.Flags.Get("show-capacity") == "true" {
			capacity[n.Name] = n.Status.Capacity
		}
	}
	tw := printers.GetNewTabWriter(w)
	if a.Flags.Get("no-headers") != "true" {
		fmt.Fprint(tw, "NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n")
	}
	for _, m := range items {
		c := capacity[m.Metadata.Name]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", m.Metadata.Name, cpuText(m.Usage), percent(m.Usage, c, corev1.ResourceCPU),
			memText(m.Usage), percent(m.Usage, c, corev1.ResourceMemory))
		delete(capacity, m.Metadata.Name)
	}
	// Nodes the metrics API knows nothing about, as kubectl prints them (in
	// name order here, where kubectl's order is random).
	if len(a.Names) == 0 && len(items) > 0 {
		for _, name := range slices.Sorted(maps.Keys(capacity)) {
			fmt.Fprintf(tw, "%s\t<unknown>\t<unknown>\t<unknown>\t<unknown>\t\n", name)
		}
	}
	return tw.Flush()
}

func cpuText(l corev1.ResourceList) string {
	q := l[corev1.ResourceCPU]
	return fmt.Sprintf("%dm", q.MilliValue())
}

func memText(l corev1.ResourceList) string {
	q := l[corev1.ResourceMemory]
	return fmt.Sprintf("%dMi", q.Value()/(1024*1024))
}

func percent(used, avail corev1.ResourceList, r corev1.ResourceName) string {
	u, a := used[r], avail[r]
	if a.IsZero() {
		return "0%"
	}
	return fmt.Sprintf("%d%%", int64(float64(u.MilliValue())/float64(a.MilliValue())*100))
}
