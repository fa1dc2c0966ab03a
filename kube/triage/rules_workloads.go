package triage

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// workloadRules finds controllers that cannot create pods, stuck rollouts
// and controllers short of replicas that no pod finding explains.
func (x *index) workloadRules(pods []*draft) []*draft {
	explained := map[ObjectRef]bool{} // owners some pod finding already covers
	for _, d := range pods {
		for _, o := range d.impact.Owners {
			explained[o] = true
		}
	}
	var out []*draft
	for i := range x.f.ReplicaSets {
		rs := &x.f.ReplicaSets[i]
		ref := ObjectRef{Kind: "ReplicaSet", Namespace: rs.Namespace, Name: rs.Name}
		if d := x.failedCreate(ref, rsFailure(rs)); d != nil {
			out = append(out, d)
			explained[ref] = true
			for _, o := range d.impact.Owners {
				explained[o] = true
			}
		}
	}
	for i := range x.f.StatefulSets {
		s := &x.f.StatefulSets[i]
		ref := ObjectRef{Kind: "StatefulSet", Namespace: s.Namespace, Name: s.Name}
		out = x.failedOrShort(out, explained, ref, s.Status.AvailableReplicas, replicas(s.Spec.Replicas))
	}
	for i := range x.f.DaemonSets {
		s := &x.f.DaemonSets[i]
		ref := ObjectRef{Kind: "DaemonSet", Namespace: s.Namespace, Name: s.Name}
		out = x.failedOrShort(out, explained, ref, s.Status.NumberAvailable, s.Status.DesiredNumberScheduled)
	}
	for i := range x.f.Deployments {
		dep := &x.f.Deployments[i]
		ref := ObjectRef{Kind: "Deployment", Namespace: dep.Namespace, Name: dep.Name}
		if d := x.rollout(dep, ref, pods); d != nil {
			out = append(out, d)
		} else if !explained[ref] && dep.Status.AvailableReplicas < replicas(dep.Spec.Replicas) && dep.DeletionTimestamp == nil {
			out = append(out, x.short(ref, int(dep.Status.AvailableReplicas), int(replicas(dep.Spec.Replicas))))
		}
	}
	return out
}

// failedOrShort appends to out the failed-create finding of the controller
// ref, which then counts as explained, or else its short-of-replicas finding
// when it has fewer available than desired and nothing explains it.
func (x *index) failedOrShort(out []*draft, explained map[ObjectRef]bool, ref ObjectRef, available, desired int32) []*draft {
	if d := x.failedCreate(ref, ""); d != nil {
		explained[ref] = true
		return append(out, d)
	}
	if !explained[ref] && available < desired {
		return append(out, x.short(ref, int(available), int(desired)))
	}
	return out
}

func rsFailure(rs *appsv1.ReplicaSet) string {
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return c.Message
		}
	}
	return ""
}

// failedCreate explains a controller whose pods the API server refused.
func (x *index) failedCreate(ref ObjectRef, condition string) *draft {
	g := x.latest(ref, "FailedCreate")
	text := condition
	var ev []msg
	if g != nil {
		text = g.Message
		ev = append(ev, evLine(g))
	}
	if condition != "" {
		ev = append(ev, m("ev.condition", "ReplicaFailure", "True", "FailedCreate", condition))
	}
	if text == "" {
		return nil
	}
	rule, cause, fix := "workload/failed-create", m("fc.cause", text), m("fc.fix")
	switch {
	case strings.Contains(text, "exceeded quota"):
		rule, cause, fix = "workload/failed-create-quota", m("fc.quota.cause", text), m("fc.quota.fix")
		for _, q := range x.f.Quotas {
			if q.Namespace == ref.Namespace && strings.Contains(text, q.Name) {
				ev = append(ev, quotaEvidence(&q)...)
			}
		}
	case strings.Contains(text, "LimitRange"), strings.Contains(text, "usage per Container"), strings.Contains(text, "usage per Pod"),
		strings.Contains(text, "limit to request ratio"):
		rule, cause, fix = "workload/failed-create-limitrange", m("fc.limit.cause", text), m("fc.limit.fix")
	case webhookName(text) != "":
		name := webhookName(text)
		rule, cause, fix = "workload/failed-create-webhook", m("fc.webhook.cause", name, text), m("fc.webhook.fix")
		ev = append(ev, m("ev.webhook", name))
	case strings.Contains(text, "admission webhook"), strings.Contains(text, "PodSecurity"), strings.Contains(text, "denied"),
		strings.Contains(text, "forbidden"):
		rule, cause, fix = "workload/failed-create-admission", m("fc.admission.cause", text), m("fc.admission.fix")
	}
	im := Impact{Owners: append([]ObjectRef{ref}, x.owners(ref.Namespace, x.ownerRefsOf(ref))...)}
	im.Available, im.Desired = x.availability(im.Owners)
	if ref.Kind != "ReplicaSet" {
		im.Owners = []ObjectRef{ref}
		im.Available, im.Desired = x.availability(im.Owners)
	}
	return &draft{rule: rule, object: ref, base: High, baseWhy: m("urg.failedCreate"),
		problem: m("fc.problem", ref.String()), cause: cause, evidence: ev, fixes: []msg{fix}, impact: im,
		actions: []string{
			fmt.Sprintf("kubectl describe %s %s -n %s", strings.ToLower(ref.Kind), ref.Name, ref.Namespace),
			failedCreateLook(rule, ref.Namespace),
		}}
}

// failedCreateLook is the read that shows what refuses the pods.
func failedCreateLook(rule, ns string) string {
	if rule == "workload/failed-create-webhook" {
		return "kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations"
	}
	return fmt.Sprintf("kubectl get resourcequota,limitrange -n %s", ns)
}

// rollout explains a Deployment whose rollout is stuck or whose new
// ReplicaSet's pods cannot run while the old revision still serves: then the
// rollout is the cause, the new pods' findings are its evidence, and the
// previous revision is the fix.
func (x *index) rollout(dep *appsv1.Deployment, ref ObjectRef, pods []*draft) *draft {
	var newRS, prevRS *appsv1.ReplicaSet
	oldReplicas := int32(0)
	rev := dep.Annotations["deployment.kubernetes.io/revision"]
	for i := range x.f.ReplicaSets {
		rs := &x.f.ReplicaSets[i]
		if rs.Namespace != dep.Namespace || !ownedBy(rs.OwnerReferences, "Deployment", dep.Name) {
			continue
		}
		if rev != "" && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			newRS = rs
			continue
		}
		oldReplicas += rs.Status.Replicas
		if rs.Status.Replicas > 0 && (prevRS == nil || revisionOf(rs) > revisionOf(prevRS)) {
			prevRS = rs
		}
	}
	var ev []msg
	stuck := false
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			stuck = true
			ev = append(ev, m("ev.condition", "Progressing", "False", c.Reason, c.Message))
		}
	}
	var blockers []*draft
	if newRS != nil {
		for _, d := range pods {
			if len(d.impact.Owners) > 0 && d.impact.Owners[0].Name == newRS.Name && d.impact.Owners[0].Namespace == newRS.Namespace {
				blockers = append(blockers, d)
			}
		}
	}
	if len(blockers) > 0 && oldReplicas == 0 {
		return nil // nothing older serves: the pods' own finding tells it, with the Deployment as owner
	}
	if !stuck && len(blockers) == 0 {
		return nil
	}
	d := &draft{rule: "workload/rollout-stuck", object: ref, base: High, baseWhy: m("urg.rollout"),
		problem: m("rollout.problem", ref.String()), cause: m("rollout.cause"), evidence: ev,
		fixes: []msg{m("rollout.fix1"), m("rollout.fix2"), m("rollout.fix3")},
		actions: []string{
			fmt.Sprintf("kubectl rollout history deployment/%s -n %s", dep.Name, dep.Namespace),
			fmt.Sprintf("kubectl rollout status deployment/%s -n %s", dep.Name, dep.Namespace),
			fmt.Sprintf("kubectl get replicasets -n %s -l %s", dep.Namespace, selectorString(dep)),
		}}
	if newRS != nil {
		d.evidence = append(d.evidence, m("ev.newRS", newRS.Name, int(newRS.Status.ReadyReplicas), int(replicas(newRS.Spec.Replicas)), int(oldReplicas)))
		d.evidence = append(d.evidence, m("ev.revision", rev, newRS.Name, images(newRS.Spec.Template.Spec.Containers), int(newRS.Status.ReadyReplicas), int(replicas(newRS.Spec.Replicas))))
	}
	if prevRS != nil {
		d.evidence = append(d.evidence, m("ev.revision", strconv.Itoa(revisionOf(prevRS)), prevRS.Name, images(prevRS.Spec.Template.Spec.Containers), int(prevRS.Status.ReadyReplicas), int(replicas(prevRS.Spec.Replicas))))
	}
	if len(blockers) > 0 {
		b := blockers[0]
		if !stuck {
			d.rule, d.base, d.baseWhy = "workload/rollout-blocked", Medium, m("urg.rolloutOld")
		}
		d.cause = m("rollout.blocked", b.object.Name, b.cause)
		d.evidence = append(d.evidence, m("ev.blocker", b.object.Name, b.rule))
		if prevRS != nil && !strings.HasPrefix(b.rule, "scheduling/") { // the new revision itself is broken
			prev := strconv.Itoa(revisionOf(prevRS))
			d.cause = m("rollout.badRev", rev, b.object.Name, b.cause, prev)
			d.fixes = []msg{m("rollout.undo", dep.Name, dep.Namespace, prev), m("rollout.fix1"), m("rollout.fix3")}
		}
		d.evidence = append(d.evidence, b.evidence...)
		for _, a := range b.actions {
			if strings.HasPrefix(a, "kubectl logs ") {
				d.actions = append(d.actions, a)
			}
		}
		for _, bd := range blockers {
			bd.absorbed = true
			d.related = append(d.related, bd.object)
		}
	}
	d.impact = Impact{Owners: []ObjectRef{ref}}
	d.impact.Available, d.impact.Desired = x.availability(d.impact.Owners)
	return d
}

func revisionOf(rs *appsv1.ReplicaSet) int {
	n, _ := strconv.Atoi(rs.Annotations["deployment.kubernetes.io/revision"])
	return n
}

func images(cs []corev1.Container) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Image
	}
	return strings.Join(out, ", ")
}

func selectorString(dep *appsv1.Deployment) string {
	if dep.Spec.Selector == nil {
		return ""
	}
	return labels.Set(dep.Spec.Selector.MatchLabels).String()
}

func ownedBy(refs []metav1.OwnerReference, kind, name string) bool {
	for _, r := range refs {
		if r.Kind == kind && r.Name == name {
			return true
		}
	}
	return false
}

// short is a controller with fewer available replicas than desired and no other finding.
func (x *index) short(ref ObjectRef, available, desired int) *draft {
	im := Impact{Owners: []ObjectRef{ref}, Available: available, Desired: desired}
	var ev []msg
	for _, g := range x.events[ref] {
		ev = append(ev, evLine(&g))
	}
	ev = append(ev, m("ev.replicas", available, desired))
	return &draft{rule: "workload/replicas-short", object: ref, base: Medium, baseWhy: m("urg.short"),
		problem: m("short.problem", ref.String(), available, desired), cause: m("short.cause"),
		evidence: ev, fixes: []msg{m("short.fix")}, impact: im,
		actions: []string{fmt.Sprintf("kubectl describe %s %s -n %s", strings.ToLower(ref.Kind), ref.Name, ref.Namespace),
			fmt.Sprintf("kubectl get pods -n %s -o wide", ref.Namespace)}}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// nodeRules finds NotReady nodes, pressure conditions and cordoned nodes.
func (x *index) nodeRules() []*draft {
	var out []*draft
	for _, nf := range x.f.Nodes {
		n := nf.Node
		if n.CreationTimestamp.IsZero() && len(n.Status.Conditions) == 0 {
			continue // only known from pods bound to it
		}
		ref := ObjectRef{Kind: "Node", Name: n.Name}
		im := Impact{Nodes: []string{n.Name}, Pods: nf.PodCount}
		actions := []string{"kubectl describe node " + n.Name, fmt.Sprintf("kubectl get pods -A --field-selector spec.nodeName=%s -o wide", n.Name)}
		for _, c := range n.Status.Conditions {
			ev := []msg{m("ev.condition", string(c.Type), string(c.Status), c.Reason, c.Message),
				m("ev.since", c.LastTransitionTime.UTC().Format(time.RFC3339)), m("ev.podsOn", nf.PodCount)}
			switch {
			case c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue:
				out = append(out, &draft{rule: "node/not-ready", object: ref, base: High, baseWhy: m("urg.nodeNotReady", nf.PodCount),
					problem: m("node.notReady.problem", n.Name, string(c.Status)), cause: m("node.notReady.cause", c.Reason, c.Message),
					evidence: ev, fixes: []msg{m("node.notReady.fix1"), m("node.notReady.fix2")}, impact: im, actions: actions})
			case (c.Type == corev1.NodeMemoryPressure || c.Type == corev1.NodeDiskPressure || c.Type == corev1.NodePIDPressure ||
				c.Type == corev1.NodeNetworkUnavailable) && c.Status == corev1.ConditionTrue:
				out = append(out, &draft{rule: "node/pressure", object: ref, base: Medium, baseWhy: m("urg.pressure"),
					problem: m("node.pressure.problem", n.Name, string(c.Type)), cause: m("node.pressure.cause", string(c.Type), c.Message),
					evidence: ev, fixes: []msg{m("node.pressure.fix")}, impact: im, actions: actions})
			}
		}
		if n.Spec.Unschedulable {
			out = append(out, &draft{rule: "node/cordoned", object: ref, base: Low, baseWhy: m("urg.cordoned"),
				problem: m("node.cordoned.problem", n.Name), cause: m("node.cordoned.cause"),
				evidence: []msg{m("ev.field", "spec.unschedulable", "true")}, fixes: []msg{m("cordoned.fix")}, impact: im, actions: actions})
		}
	}
	return out
}

// storageRules finds claims that are not bound.
func (x *index) storageRules() []*draft {
	var out []*draft
	defaultClass := ""
	classes := map[string]bool{}
	for _, c := range x.f.StorageClasses {
		classes[c.Name] = true
		if c.Default {
			defaultClass = c.Name
		}
	}
	for i := range x.f.PVCs {
		c := &x.f.PVCs[i]
		ref := ObjectRef{Kind: "PersistentVolumeClaim", Namespace: c.Namespace, Name: c.Name}
		class := ""
		if c.Spec.StorageClassName != nil {
			class = *c.Spec.StorageClassName
		}
		ev := []msg{m("ev.field", "status.phase", string(c.Status.Phase)), m("ev.field", "spec.storageClassName", orNone(class))}
		for _, g := range x.events[ref] {
			ev = append(ev, evLine(&g))
		}
		d := &draft{rule: "storage/pvc-pending", object: ref, base: Medium, baseWhy: m("urg.pvc"),
			problem: m("pvc.problem", ref.String(), string(c.Status.Phase)), evidence: ev,
			actions: []string{fmt.Sprintf("kubectl describe pvc %s -n %s", c.Name, c.Namespace), "kubectl get storageclass,pv"}}
		switch {
		case c.Status.Phase == corev1.ClaimLost:
			d.rule, d.base, d.cause, d.fixes = "storage/pvc-lost", High, m("pvc.lost.cause"), []msg{m("pvc.lost.fix")}
		case c.Spec.StorageClassName != nil && class == "":
			d.cause, d.fixes = m("pvc.noVolume.cause"), []msg{m("pvc.noClass.fix2"), m("pvc.noClass.fix1")}
		case class == "" && defaultClass == "":
			d.cause, d.fixes = m("pvc.noClass.cause"), []msg{m("pvc.noClass.fix1"), m("pvc.noClass.fix2")}
		case class != "" && !classes[class] && len(x.f.StorageClasses) > 0:
			d.cause, d.fixes = m("pvc.missingClass.cause", class), []msg{m("pvc.missingClass.fix", class)}
		default:
			d.cause, d.fixes = m("pvc.provision.cause", orNone(class)), []msg{m("pvc.provision.fix")}
		}
		for i := range x.f.Pods { // a pod waiting for an unbound claim is a problem pod
			if p := &x.f.Pods[i]; p.Namespace == c.Namespace && usesClaim(p, c.Name) {
				d.impact.Pods++
			}
		}
		out = append(out, d)
	}
	return out
}

func usesClaim(p *corev1.Pod, claim string) bool {
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// jobFailed returns the Job's Failed condition, or its FailureTarget
// condition while the controller still waits for the pods to end.
func jobFailed(j *batchv1.Job) *batchv1.JobCondition {
	var target *batchv1.JobCondition
	for i, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobFailed:
			return &j.Status.Conditions[i]
		case batchv1.JobFailureTarget:
			target = &j.Status.Conditions[i]
		}
	}
	return target
}

func quotaEvidence(q *corev1.ResourceQuota) []msg {
	var ev []msg
	for _, name := range sortedNames(q.Status.Hard) {
		hard, used := q.Status.Hard[name], q.Status.Used[name]
		if used.Cmp(hard) >= 0 {
			ev = append(ev, m("ev.quota", q.Name, string(name), used.String(), hard.String()))
		}
	}
	return ev
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(l))
	for n := range l {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
