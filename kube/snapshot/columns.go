package snapshot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// The tables below print the columns the API server's own table convertor
// prints for each kind (kubectl shows those); a snapshot has no server, so we
// build the same metav1.Table here. Columns with priority 1 show with -o wide.

func col(name string, wide bool) metav1.TableColumnDefinition {
	c := metav1.TableColumnDefinition{Name: name, Type: "string"}
	if name == "Name" {
		c.Format = "name"
	}
	if wide {
		c.Priority = 1
	}
	return c
}

func cols(normal []string, wide ...string) []metav1.TableColumnDefinition {
	out := make([]metav1.TableColumnDefinition, 0, len(normal)+len(wide))
	for _, n := range normal {
		out = append(out, col(n, false))
	}
	for _, n := range wide {
		out = append(out, col(n, true))
	}
	return out
}

// ager renders ages against the capture time, the clock of a snapshot.
type ager time.Time

func (a ager) since(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Time(a).Sub(t.Time))
}

func (a ager) sinceMicro(t metav1.MicroTime) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Time(a).Sub(t.Time))
}

// table builds the table of objs (all of one kind) with every column;
// the printer drops the wide ones unless -o wide.
func table(objs []runtime.Object, now time.Time) *metav1.Table {
	a := ager(now)
	t := &metav1.Table{}
	for _, obj := range objs {
		var cells []any
		switch o := obj.(type) {
		case *corev1.Pod:
			t.ColumnDefinitions = cols([]string{"Name", "Ready", "Status", "Restarts", "Age"}, "IP", "Node", "Nominated Node", "Readiness Gates")
			cells = podCells(o, a)
		case *corev1.Node:
			t.ColumnDefinitions = cols([]string{"Name", "Status", "Roles", "Age", "Version"}, "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime")
			cells = nodeCells(o, a)
		case *corev1.Event:
			t.ColumnDefinitions = []metav1.TableColumnDefinition{col("Last Seen", false), col("Type", false), col("Reason", false), col("Object", false),
				col("Subobject", true), col("Source", true), col("Message", false), col("First Seen", true), col("Count", true), col("Name", true)}
			cells = eventCells(o, a)
		case *appsv1.Deployment:
			t.ColumnDefinitions = cols([]string{"Name", "Ready", "Up-to-date", "Available", "Age"}, "Containers", "Images", "Selector")
			names, images := containerCells(o.Spec.Template.Spec.Containers)
			cells = []any{o.Name, fmt.Sprintf("%d/%d", o.Status.ReadyReplicas, replicas(o.Spec.Replicas)), int64(o.Status.UpdatedReplicas),
				int64(o.Status.AvailableReplicas), a.since(o.CreationTimestamp), names, images, selector(o.Spec.Selector)}
		case *appsv1.ReplicaSet:
			t.ColumnDefinitions = cols([]string{"Name", "Desired", "Current", "Ready", "Age"}, "Containers", "Images", "Selector")
			names, images := containerCells(o.Spec.Template.Spec.Containers)
			cells = []any{o.Name, int64(replicas(o.Spec.Replicas)), int64(o.Status.Replicas), int64(o.Status.ReadyReplicas),
				a.since(o.CreationTimestamp), names, images, metav1.FormatLabelSelector(o.Spec.Selector)}
		case *appsv1.StatefulSet:
			t.ColumnDefinitions = cols([]string{"Name", "Ready", "Age"}, "Containers", "Images")
			names, images := containerCells(o.Spec.Template.Spec.Containers)
			cells = []any{o.Name, fmt.Sprintf("%d/%d", o.Status.ReadyReplicas, replicas(o.Spec.Replicas)), a.since(o.CreationTimestamp), names, images}
		case *appsv1.DaemonSet:
			t.ColumnDefinitions = cols([]string{"Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age"}, "Containers", "Images", "Selector")
			names, images := containerCells(o.Spec.Template.Spec.Containers)
			st := o.Status
			cells = []any{o.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady), int64(st.UpdatedNumberScheduled),
				int64(st.NumberAvailable), labels.FormatLabels(o.Spec.Template.Spec.NodeSelector), a.since(o.CreationTimestamp), names, images, metav1.FormatLabelSelector(o.Spec.Selector)}
		case *batchv1.Job:
			t.ColumnDefinitions = cols([]string{"Name", "Status", "Completions", "Duration", "Age"}, "Containers", "Images", "Selector")
			cells = jobCells(o, a)
		case *corev1.Service:
			t.ColumnDefinitions = cols([]string{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"}, "Selector")
			cells = serviceCells(o, a)
		case *corev1.PersistentVolumeClaim:
			t.ColumnDefinitions = cols([]string{"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age"}, "VolumeMode")
			cells = pvcCells(o, a)
		case *corev1.PersistentVolume:
			t.ColumnDefinitions = cols([]string{"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age"}, "VolumeMode")
			cells = pvCells(o, a)
		case *corev1.Namespace:
			t.ColumnDefinitions = cols([]string{"Name", "Status", "Age"})
			cells = []any{o.Name, string(o.Status.Phase), a.since(o.CreationTimestamp)}
		case *corev1.ConfigMap:
			t.ColumnDefinitions = cols([]string{"Name", "Data", "Age"})
			cells = []any{o.Name, int64(len(o.Data) + len(o.BinaryData)), a.since(o.CreationTimestamp)}
		case *corev1.Secret:
			t.ColumnDefinitions = cols([]string{"Name", "Type", "Data", "Age"})
			cells = []any{o.Name, string(o.Type), int64(len(o.Data)), a.since(o.CreationTimestamp)}
		case *storagev1.StorageClass:
			t.ColumnDefinitions = cols([]string{"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"})
			cells = storageClassCells(o, a)
		case *discoveryv1.EndpointSlice:
			t.ColumnDefinitions = cols([]string{"Name", "AddressType", "Ports", "Endpoints", "Age"})
			cells = []any{o.Name, string(o.AddressType), slicePorts(o.Ports), sliceEndpoints(o.Endpoints), a.since(o.CreationTimestamp)}
		case *corev1.ResourceQuota:
			t.ColumnDefinitions = cols([]string{"Name", "Request", "Limit", "Age"})
			req, lim := quotaCells(o)
			cells = []any{o.Name, req, lim, a.since(o.CreationTimestamp)}
		case *corev1.LimitRange:
			t.ColumnDefinitions = cols([]string{"Name", "Created At"})
			cells = []any{o.Name, o.CreationTimestamp.UTC().Format(time.RFC3339)}
		default:
			t.ColumnDefinitions = cols([]string{"Name", "Age"})
			m := metaOf(obj)
			cells = []any{m.GetName(), a.since(m.GetCreationTimestamp())}
		}
		t.Rows = append(t.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: obj}})
	}
	return t
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func selector(s *metav1.LabelSelector) string {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return "<invalid>"
	}
	return sel.String()
}

func containerCells(cs []corev1.Container) (names, images string) {
	n := make([]string, len(cs))
	im := make([]string, len(cs))
	for i, c := range cs {
		n[i], im[i] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

func nodeCells(n *corev1.Node, a ager) []any {
	var status []string
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				status = append(status, "Ready")
			} else {
				status = append(status, "NotReady")
			}
		}
	}
	if len(status) == 0 {
		status = append(status, "Unknown")
	}
	if n.Spec.Unschedulable {
		status = append(status, "SchedulingDisabled")
	}
	var roles []string
	for k, v := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		} else if k == "kubernetes.io/role" && v != "" {
			roles = append(roles, v)
		}
	}
	slices.Sort(roles)
	role := strings.Join(slices.Compact(roles), ",")
	if role == "" {
		role = "<none>"
	}
	info := n.Status.NodeInfo
	osImage, kernel, runtime := orUnknown(info.OSImage), orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion)
	if info.Architecture != "" {
		kernel += " (" + info.Architecture + ")"
	}
	return []any{n.Name, strings.Join(status, ","), role, a.since(n.CreationTimestamp), info.KubeletVersion,
		nodeAddress(n, corev1.NodeInternalIP), nodeAddress(n, corev1.NodeExternalIP), osImage, kernel, runtime}
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, addr := range n.Status.Addresses {
		if addr.Type == t {
			return addr.Address
		}
	}
	return "<none>"
}

func eventCells(e *corev1.Event, a ager) []any {
	first := a.since(e.FirstTimestamp)
	if e.FirstTimestamp.IsZero() {
		first = a.sinceMicro(e.EventTime)
	}
	last := a.since(e.LastTimestamp)
	if e.LastTimestamp.IsZero() {
		last = first
	}
	count := e.Count
	if e.Series != nil {
		last = a.sinceMicro(e.Series.LastObservedTime)
		count = e.Series.Count
	} else if count == 0 {
		count = 1
	}
	target := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name != "" {
		target += "/" + e.InvolvedObject.Name
	}
	return []any{last, e.Type, e.Reason, target, e.InvolvedObject.FieldPath, eventSource(e),
		strings.TrimSpace(e.Message), first, int64(count), e.Name}
}

func eventSource(e *corev1.Event) string {
	component := e.Source.Component
	if component == "" {
		component = e.ReportingController
	}
	host := e.Source.Host
	if host == "" {
		host = e.ReportingInstance
	}
	switch {
	case component == "" && host == "":
		return ""
	case host == "":
		return component
	}
	return component + ", " + host
}

func jobCells(j *batchv1.Job, a ager) []any {
	var completions string
	switch {
	case j.Spec.Completions != nil:
		completions = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	case j.Spec.Parallelism != nil && *j.Spec.Parallelism > 1:
		completions = fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, *j.Spec.Parallelism)
	default:
		completions = fmt.Sprintf("%d/1", j.Status.Succeeded)
	}
	var dur string
	switch {
	case j.Status.StartTime == nil:
	case j.Status.CompletionTime == nil:
		dur = duration.HumanDuration(time.Time(a).Sub(j.Status.StartTime.Time))
	default:
		dur = duration.HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
	}
	has := func(t batchv1.JobConditionType) bool {
		for _, c := range j.Status.Conditions {
			if c.Type == t && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}
	status := "Running"
	switch {
	case has(batchv1.JobComplete):
		status = "Complete"
	case has(batchv1.JobFailed):
		status = "Failed"
	case j.DeletionTimestamp != nil:
		status = "Terminating"
	case has(batchv1.JobSuspended):
		status = "Suspended"
	case has(batchv1.JobFailureTarget):
		status = "FailureTarget"
	case has(batchv1.JobSuccessCriteriaMet):
		status = "SuccessCriteriaMet"
	}
	names, images := containerCells(j.Spec.Template.Spec.Containers)
	return []any{j.Name, status, completions, dur, a.since(j.CreationTimestamp), names, images, metav1.FormatLabelSelector(j.Spec.Selector)}
}

func serviceCells(s *corev1.Service, a ager) []any {
	clusterIP := "<none>"
	if len(s.Spec.ClusterIPs) > 0 {
		clusterIP = s.Spec.ClusterIPs[0]
	}
	external := "<unknown>"
	switch s.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		external = "<none>"
		if len(s.Spec.ExternalIPs) > 0 {
			external = strings.Join(s.Spec.ExternalIPs, ",")
		}
	case corev1.ServiceTypeLoadBalancer:
		var ips []string
		for _, in := range s.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				ips = append(ips, in.IP)
			} else if in.Hostname != "" {
				ips = append(ips, in.Hostname)
			}
		}
		ips = append(ips, s.Spec.ExternalIPs...)
		external = "<pending>"
		if len(ips) > 0 {
			external = strings.Join(ips, ",")
		}
	case corev1.ServiceTypeExternalName:
		external = s.Spec.ExternalName
	}
	ports := make([]string, len(s.Spec.Ports))
	for i, p := range s.Spec.Ports {
		ports[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.NodePort > 0 {
			ports[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		}
	}
	port := strings.Join(ports, ",")
	if port == "" {
		port = "<none>"
	}
	return []any{s.Name, string(s.Spec.Type), clusterIP, external, port, a.since(s.CreationTimestamp), labels.FormatLabels(s.Spec.Selector)}
}

// accessModes abbreviates access modes as kubectl does ("RWO,ROX").
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	short := map[corev1.PersistentVolumeAccessMode]string{
		corev1.ReadWriteOnce: "RWO", corev1.ReadOnlyMany: "ROX", corev1.ReadWriteMany: "RWX", corev1.ReadWriteOncePod: "RWOP",
	}
	var out []string
	for _, m := range []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod} {
		if slices.Contains(modes, m) {
			out = append(out, short[m])
		}
	}
	return strings.Join(out, ",")
}

func pvcCells(p *corev1.PersistentVolumeClaim, a ager) []any {
	phase := string(p.Status.Phase)
	if p.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	var capacity, modes string
	if p.Spec.VolumeName != "" {
		modes = accessModes(p.Status.AccessModes)
		q := p.Status.Capacity[corev1.ResourceStorage]
		capacity = q.String()
	}
	class := ""
	if p.Spec.StorageClassName != nil {
		class = *p.Spec.StorageClassName
	} else if c, ok := p.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	}
	return []any{p.Name, phase, p.Spec.VolumeName, capacity, modes, class, unset(p.Spec.VolumeAttributesClassName),
		a.since(p.CreationTimestamp), volumeMode(p.Spec.VolumeMode)}
}

func pvCells(p *corev1.PersistentVolume, a ager) []any {
	claim := ""
	if p.Spec.ClaimRef != nil {
		claim = p.Spec.ClaimRef.Namespace + "/" + p.Spec.ClaimRef.Name
	}
	phase := string(p.Status.Phase)
	if p.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	q := p.Spec.Capacity[corev1.ResourceStorage]
	class := p.Spec.StorageClassName
	if c, ok := p.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	}
	return []any{p.Name, q.String(), accessModes(p.Spec.AccessModes), string(p.Spec.PersistentVolumeReclaimPolicy), phase, claim,
		class, unset(p.Spec.VolumeAttributesClassName), p.Status.Reason, a.since(p.CreationTimestamp), volumeMode(p.Spec.VolumeMode)}
}

func unset(p *string) string {
	if p == nil {
		return "<unset>"
	}
	return *p
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

func storageClassCells(s *storagev1.StorageClass, a ager) []any {
	reclaim := string(corev1.PersistentVolumeReclaimDelete)
	if s.ReclaimPolicy != nil {
		reclaim = string(*s.ReclaimPolicy)
	}
	binding := string(storagev1.VolumeBindingImmediate)
	if s.VolumeBindingMode != nil {
		binding = string(*s.VolumeBindingMode)
	}
	expand := false
	if s.AllowVolumeExpansion != nil {
		expand = *s.AllowVolumeExpansion
	}
	return []any{s.Name, s.Provisioner, reclaim, binding, expand, a.since(s.CreationTimestamp)}
}

func slicePorts(ports []discoveryv1.EndpointPort) string {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		switch {
		case p.Port != nil:
			out = append(out, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			out = append(out, *p.Name)
		default:
			out = append(out, "*")
		}
	}
	return limited(out, 3)
}

func sliceEndpoints(eps []discoveryv1.Endpoint) string {
	var addrs []string
	for _, e := range eps {
		addrs = append(addrs, e.Addresses...)
	}
	return limited(addrs, 3)
}

// limited joins the first max items and says how many more there are, as the
// API server's table convertor does; an empty list is "<unset>".
func limited(items []string, max int) string {
	switch {
	case len(items) > max:
		return strings.Join(items[:max], ",") + fmt.Sprintf(" + %d more...", len(items)-max)
	case len(items) == 0:
		return "<unset>"
	}
	return strings.Join(items, ",")
}

func quotaCells(q *corev1.ResourceQuota) (request, limit string) {
	names := make([]string, 0, len(q.Status.Hard))
	for n := range q.Status.Hard {
		names = append(names, string(n))
	}
	slices.Sort(names)
	var req, lim []string
	for _, n := range names {
		used, hard := q.Status.Used[corev1.ResourceName(n)], q.Status.Hard[corev1.ResourceName(n)]
		s := fmt.Sprintf("%s: %s/%s", n, used.String(), hard.String())
		if strings.HasPrefix(n, "limits.") {
			lim = append(lim, s)
		} else {
			req = append(req, s)
		}
	}
	return strings.Join(req, ", "), strings.Join(lim, ", ")
}
