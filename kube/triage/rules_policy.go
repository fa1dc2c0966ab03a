package triage

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// serviceOut is a Service left with no ready endpoint because the pods of a
// finding fail: impact of that finding, not a finding of its own.
type serviceOut struct {
	ref     ObjectRef
	matched int
}

// serviceRules finds Services with a selector and no ready endpoint. When the
// pods it selects have a finding, the Service is that finding's impact (it
// raises its urgency); only a Service whose emptiness has its own cause stays
// a finding.
func (x *index) serviceRules(ds []*draft) []*draft {
	var out []*draft
	for _, s := range x.f.Services {
		svc := s.Service
		if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName || s.ReadyEndpoints > 0 {
			continue
		}
		ref := ObjectRef{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		matched, ready := 0, 0
		for _, p := range x.f.PodIndex {
			if p.Namespace == svc.Namespace && sel.Matches(labels.Set(p.Labels)) {
				matched++
				if p.Ready {
					ready++
				}
			}
		}
		explained := false
		for _, d := range ds {
			if d.pod != nil && !d.absorbed && d.pod.Namespace == svc.Namespace && sel.Matches(labels.Set(d.pod.Labels)) {
				d.servicesOut = addServiceOut(d.servicesOut, serviceOut{ref, matched})
				explained = true
			}
		}
		if explained && matched > 0 {
			continue
		}
		ev := []msg{m("ev.selector", sel.String()), m("ev.endpoints", s.ReadyEndpoints, s.Endpoints), m("ev.matched", matched, ready)}
		d := &draft{rule: "service/no-ready-endpoints", object: ref, base: High, baseWhy: m("urg.service"),
			problem: m("svc.problem", ref.String()), cause: m("svc.notReady.cause", matched), evidence: ev,
			fixes: []msg{m("svc.notReady.fix")}, impact: Impact{Services: []ObjectRef{ref}, Pods: matched},
			actions: []string{fmt.Sprintf("kubectl describe service %s -n %s", svc.Name, svc.Namespace),
				fmt.Sprintf("kubectl get pods -n %s -l %s --show-labels", svc.Namespace, sel.String()),
				fmt.Sprintf("kubectl get endpointslices -n %s -l kubernetes.io/service-name=%s", svc.Namespace, svc.Name)}}
		if matched == 0 {
			d.rule, d.cause, d.fixes = "service/no-matching-pods", m("svc.noPods.cause", sel.String()), []msg{m("svc.noPods.fix")}
		}
		out = append(out, d)
	}
	return out
}

func addServiceOut(list []serviceOut, s serviceOut) []serviceOut {
	for _, o := range list {
		if o.ref == s.ref {
			return list
		}
	}
	return append(list, s)
}

// jobRules finds failed Jobs, with their failed pods' last termination. A
// failed Job that a CronJob created is the CronJob's finding: its last run
// failed.
func (x *index) jobRules() []*draft {
	var out []*draft
	for i := range x.f.Jobs {
		j := &x.f.Jobs[i]
		c := jobFailed(j)
		if c == nil {
			continue
		}
		ref := ObjectRef{Kind: "Job", Namespace: j.Namespace, Name: j.Name}
		ev := []msg{m("ev.condition", string(c.Type), string(c.Status), c.Reason, c.Message), m("ev.jobCounts", int(j.Status.Failed), int(j.Status.Succeeded))}
		for _, g := range x.events[ref] {
			ev = append(ev, evLine(&g))
		}
		var logs []string
		for k := range x.f.Pods {
			p := &x.f.Pods[k]
			if p.Namespace != j.Namespace || !ownedBy(p.OwnerReferences, "Job", j.Name) {
				continue
			}
			for _, cs := range p.Status.ContainerStatuses {
				if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
					ev = append(ev, m("ev.jobPod", p.Name, cs.Name, t.Reason, int(t.ExitCode)))
					if len(logs) == 0 {
						logs = append(logs, fmt.Sprintf("kubectl logs %s -n %s -c %s", p.Name, p.Namespace, cs.Name))
					}
				}
			}
		}
		im := Impact{Owners: x.owners(j.Namespace, j.OwnerReferences)}
		d := &draft{rule: "job/failed", object: ref, base: Medium, baseWhy: m("urg.job"),
			problem: m("job.problem", ref.String(), c.Reason), cause: m("job.cause", c.Reason, c.Message),
			evidence: capLines(ev), fixes: []msg{m("job.fix")}, impact: im,
			actions: append([]string{fmt.Sprintf("kubectl describe job %s -n %s", j.Name, j.Namespace),
				fmt.Sprintf("kubectl logs job/%s -n %s", j.Name, j.Namespace)}, logs...)}
		if len(im.Owners) > 0 && im.Owners[0].Kind == "CronJob" {
			cron := im.Owners[0]
			d.rule, d.object, d.base, d.baseWhy = "cronjob/last-run-failed", cron, Medium, m("urg.cron")
			d.problem, d.cause = m("cron.problem", cron.String(), j.Name, c.Reason), m("cron.cause", c.Reason, c.Message)
			d.fixes = []msg{m("cron.fix"), m("fix.owner")}
			d.evidence = append(x.cronEvidence(cron), d.evidence...)
			d.actions = append([]string{fmt.Sprintf("kubectl get jobs -n %s", cron.Namespace)}, d.actions...)
			d.mergeKey = "cronjob|" + cron.String()
		}
		out = append(out, d)
	}
	return out
}

// cronEvidence tells a CronJob's schedule and last runs.
func (x *index) cronEvidence(ref ObjectRef) []msg {
	for _, c := range x.f.CronJobs {
		if c.Namespace == ref.Namespace && c.Name == ref.Name {
			last, ok := "<never>", "<never>"
			if t := c.Status.LastScheduleTime; t != nil {
				last = t.UTC().Format(time.RFC3339)
			}
			if t := c.Status.LastSuccessfulTime; t != nil {
				ok = t.UTC().Format(time.RFC3339)
			}
			return []msg{m("ev.cronLast", last, ok, c.Spec.Schedule)}
		}
	}
	return nil
}

// cronJobRules finds CronJobs whose controller reports missed schedules.
func (x *index) cronJobRules() []*draft {
	var out []*draft
	for _, c := range x.f.CronJobs {
		ref := ObjectRef{Kind: "CronJob", Namespace: c.Namespace, Name: c.Name}
		g := x.latest(ref, "TooManyMissedTimes", "MissSchedule", "FailedNeedsStart")
		if g == nil || (c.Spec.Suspend != nil && *c.Spec.Suspend) {
			continue
		}
		out = append(out, &draft{rule: "cronjob/missed-schedule", object: ref, base: Medium, baseWhy: m("urg.cron"),
			problem: m("cron.missed.problem", ref.String()), cause: m("cron.missed.cause", g.Message),
			evidence: append(x.cronEvidence(ref), evLine(g)), fixes: []msg{m("cron.missed.fix")},
			impact:  Impact{Owners: []ObjectRef{ref}},
			actions: []string{fmt.Sprintf("kubectl describe cronjob %s -n %s", c.Name, c.Namespace), fmt.Sprintf("kubectl get jobs -n %s", c.Namespace)}})
	}
	return out
}

// hpaRules finds autoscalers at their maximum while a metric is above its target.
func (x *index) hpaRules() []*draft {
	var out []*draft
	for _, h := range x.f.HPAs {
		if h.Status.CurrentReplicas < h.Spec.MaxReplicas {
			continue
		}
		limited := false
		var ev []msg
		for _, c := range h.Status.Conditions {
			if c.Type == "ScalingLimited" && c.Status == corev1.ConditionTrue && c.Reason == "TooManyReplicas" {
				limited = true
				ev = append(ev, m("ev.condition", string(c.Type), string(c.Status), c.Reason, c.Message))
			}
		}
		above := false
		for i, cur := range h.Status.CurrentMetrics {
			if cur.Resource == nil || i >= len(h.Spec.Metrics) || h.Spec.Metrics[i].Resource == nil {
				continue
			}
			want := h.Spec.Metrics[i].Resource.Target
			if want.AverageUtilization != nil && cur.Resource.Current.AverageUtilization != nil {
				got, target := *cur.Resource.Current.AverageUtilization, *want.AverageUtilization
				ev = append(ev, m("ev.hpaMetric", string(cur.Resource.Name), fmt.Sprintf("%d%%", got), fmt.Sprintf("%d%%", target)))
				above = above || got > target
			}
		}
		if !limited && !above {
			continue
		}
		minR := int32(1)
		if h.Spec.MinReplicas != nil {
			minR = *h.Spec.MinReplicas
		}
		ref := ObjectRef{Kind: "HorizontalPodAutoscaler", Namespace: h.Namespace, Name: h.Name}
		target := ObjectRef{Kind: h.Spec.ScaleTargetRef.Kind, Namespace: h.Namespace, Name: h.Spec.ScaleTargetRef.Name}
		im := Impact{Owners: []ObjectRef{target}}
		im.Available, im.Desired = x.availability(im.Owners)
		out = append(out, &draft{rule: "hpa/at-max", object: ref, base: Medium, baseWhy: m("urg.hpa"),
			problem: m("hpa.problem", ref.String(), int(h.Spec.MaxReplicas)), cause: m("hpa.cause"),
			evidence: append([]msg{m("ev.hpa", int(h.Status.CurrentReplicas), int(minR), int(h.Spec.MaxReplicas))}, ev...),
			fixes:    []msg{m("hpa.fix1"), m("hpa.fix2")}, impact: im,
			actions: []string{fmt.Sprintf("kubectl describe hpa %s -n %s", h.Name, h.Namespace),
				fmt.Sprintf("kubectl get %s %s -n %s -o wide", strings.ToLower(target.Kind), target.Name, h.Namespace)}})
	}
	return out
}

// pdbRules finds disruption budgets that allow no eviction although every
// pod they protect is healthy: the budget itself blocks drains. When pods are
// unhealthy the budget is impact of their finding.
func (x *index) pdbRules() []*draft {
	var out []*draft
	for _, p := range x.f.PDBs {
		s := p.Status
		if s.DisruptionsAllowed > 0 || s.ExpectedPods == 0 || s.CurrentHealthy < s.ExpectedPods {
			continue
		}
		ref := ObjectRef{Kind: "PodDisruptionBudget", Namespace: p.Namespace, Name: p.Name}
		rule := ""
		switch {
		case p.Spec.MinAvailable != nil:
			rule = "minAvailable " + p.Spec.MinAvailable.String()
		case p.Spec.MaxUnavailable != nil:
			rule = "maxUnavailable " + p.Spec.MaxUnavailable.String()
		}
		out = append(out, &draft{rule: "pdb/no-disruptions", object: ref, base: Low, baseWhy: m("urg.pdb"),
			problem: m("pdb.problem", ref.String()), cause: m("pdb.cause", rule),
			evidence: []msg{m("ev.pdb", int(s.ExpectedPods), int(s.CurrentHealthy), int(s.DesiredHealthy), int(s.DisruptionsAllowed))},
			fixes:    []msg{m("pdb.fix")}, impact: Impact{Pods: int(s.ExpectedPods)},
			actions: []string{fmt.Sprintf("kubectl describe pdb %s -n %s", p.Name, p.Namespace)}})
	}
	return out
}

// quotaRules reports ResourceQuotas at their limit. A quota that refuses
// pods is the evidence of that FailedCreate finding, not a finding of its own.
func (x *index) quotaRules(ds []*draft) []*draft {
	var out []*draft
	for i := range x.f.Quotas {
		q := &x.f.Quotas[i]
		named := false
		for _, d := range ds {
			if d.rule == "workload/failed-create-quota" && d.object.Namespace == q.Namespace {
				named = true
			}
		}
		if named {
			continue
		}
		ref := ObjectRef{Kind: "ResourceQuota", Namespace: q.Namespace, Name: q.Name}
		out = append(out, &draft{rule: "quota/exhausted", object: ref, base: Low, baseWhy: m("urg.quota"),
			problem: m("quota.problem", ref.String()), cause: m("quota.cause"), evidence: quotaEvidence(q),
			fixes:   []msg{m("quota.fix")},
			actions: []string{fmt.Sprintf("kubectl describe resourcequota %s -n %s", q.Name, q.Namespace)}})
	}
	return out
}

// webhookName finds the webhook named in an API server refusal.
func webhookName(text string) string {
	for _, marker := range []string{`admission webhook "`, `failed calling webhook "`} {
		if i := strings.Index(text, marker); i >= 0 {
			rest := text[i+len(marker):]
			if j := strings.IndexByte(rest, '"'); j > 0 {
				return rest[:j]
			}
		}
	}
	return ""
}
