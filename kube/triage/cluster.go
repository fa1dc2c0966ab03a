package triage

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// clusterInfo derives the bug-report cluster facts from what was gathered.
func clusterInfo(version string, nodes []NodeFacts, systemDS []appsv1.DaemonSet, csi []string) ClusterInfo {
	ci := ClusterInfo{Version: version, CSI: csi}
	os, rt, kv := map[string]int{}, map[string]int{}, map[string]int{}
	for _, nf := range nodes {
		n := nf.Node
		info := n.Status.NodeInfo
		count(os, info.OSImage)
		count(rt, info.ContainerRuntimeVersion)
		count(kv, info.KubeletVersion)
		if isControlPlane(&n) {
			ci.ControlPlaneNodes++
		} else {
			ci.WorkerNodes++
		}
	}
	ci.OSImages, ci.Runtimes, ci.KubeletVersions = counted(os), counted(rt), counted(kv)
	ci.Provider = guessProvider(version, nodes)
	for _, d := range systemDS {
		if name := cniName(d.Name); name != "" {
			ci.CNI = append(ci.CNI, name+" "+imageTag(d.Spec.Template.Spec.Containers))
		}
	}
	sort.Strings(ci.CNI)
	return ci
}

// tools recognises installed tools from the managed-by labels of workloads.
func tools(f *Facts, systemDS []appsv1.DaemonSet) []string {
	seen := map[string]bool{}
	add := func(l map[string]string) {
		switch by := l["app.kubernetes.io/managed-by"]; by {
		case "Helm", "Tiller":
			seen["Helm"] = true
		case "kustomize", "argocd", "Argo CD", "flux", "Kustomize":
			seen[by] = true
		}
	}
	for _, d := range f.Deployments {
		add(d.Labels)
	}
	for _, d := range f.StatefulSets {
		add(d.Labels)
	}
	for _, d := range f.DaemonSets {
		add(d.Labels)
	}
	for _, d := range systemDS {
		add(d.Labels)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func count(m map[string]int, s string) {
	if s != "" {
		m[s]++
	}
}

// counted renders a tally as "value (n)" sorted by value; a single value with
// no other has no count.
func counted(m map[string]int) []string {
	var out []string
	for k, n := range m {
		if len(m) == 1 {
			out = append(out, k)
		} else {
			out = append(out, fmt.Sprintf("%s (%d)", k, n))
		}
	}
	sort.Strings(out)
	return out
}

func isControlPlane(n *corev1.Node) bool {
	_, cp := n.Labels["node-role.kubernetes.io/control-plane"]
	_, master := n.Labels["node-role.kubernetes.io/master"]
	return cp || master
}

// guessProvider names the installer or cloud from the server version suffix,
// node provider IDs and well-known node labels.
func guessProvider(version string, nodes []NodeFacts) string {
	v := strings.ToLower(version)
	if name := firstRule(v, []textRule{
		{all: [2]string{"+k0s"}, name: "k0s"}, {all: [2]string{"+k3s"}, name: "k3s"},
		{all: [2]string{"+rke2"}, name: "rke2"}, {all: [2]string{"-eks-"}, name: "Amazon EKS"},
		{all: [2]string{"-gke."}, name: "Google GKE"}, {all: [2]string{"+vmware"}, name: "VMware Tanzu"},
		{all: [2]string{"-aliyun"}, name: "Alibaba ACK"},
	}); name != "" {
		return name
	}
	for _, nf := range nodes {
		n := nf.Node
		if name := firstRule(n.Spec.ProviderID, []textRule{
			{prefix: "aws://", name: "AWS"}, {prefix: "gce://", name: "Google Cloud"},
			{prefix: "azure://", name: "Azure"}, {prefix: "kind://", name: "kind"},
			{prefix: "digitalocean://", name: "DigitalOcean"}, {prefix: "openstack://", name: "OpenStack"},
			{prefix: "k3s://", name: "k3s"},
		}); name != "" {
			return name
		}
		for label, name := range map[string]string{
			"eks.amazonaws.com/nodegroup":   "Amazon EKS",
			"cloud.google.com/gke-nodepool": "Google GKE",
			"kubernetes.azure.com/cluster":  "Azure AKS",
			"minikube.k8s.io/name":          "minikube",
			"node.k0sproject.io/role":       "k0s",
			"microk8s.io/cluster":           "MicroK8s",
		} {
			if _, ok := n.Labels[label]; ok {
				return name
			}
		}
		if n.Annotations["kwok.x-k8s.io/node"] != "" {
			return "kwok (simulated nodes)"
		}
		if n.Annotations["kubeadm.alpha.kubernetes.io/cri-socket"] != "" {
			return "kubeadm"
		}
	}
	return "unknown"
}

// cniName recognises the DaemonSet of a well-known CNI plugin.
func cniName(ds string) string {
	return firstRule(ds, []textRule{
		{prefix: "calico-node", name: "Calico"}, {prefix: "cilium", name: "Cilium"},
		{prefix: "kube-router", name: "kube-router"}, {prefix: "kube-flannel", name: "Flannel"},
		{prefix: "flannel", name: "Flannel"}, {prefix: "weave-net", name: "Weave Net"},
		{prefix: "aws-node", name: "Amazon VPC CNI"}, {prefix: "antrea-agent", name: "Antrea"},
		{prefix: "canal", name: "Canal"}, {prefix: "kube-ovn", name: "Kube-OVN"},
		{prefix: "azure-cni", name: "Azure CNI"}, {prefix: "kindnet", name: "kindnet"},
		{prefix: "ovnkube-node", name: "OVN-Kubernetes"},
	})
}

// textRule names the texts that start with prefix and contain every one of
// all (an empty one matches any text).
type textRule struct {
	prefix string
	all    [2]string
	name   string
}

// firstRule returns the name of the first of rules that text matches, or "".
func firstRule(text string, rules []textRule) string {
	for _, r := range rules {
		if strings.HasPrefix(text, r.prefix) && strings.Contains(text, r.all[0]) && strings.Contains(text, r.all[1]) {
			return r.name
		}
	}
	return ""
}

func imageTag(cs []corev1.Container) string {
	if len(cs) == 0 {
		return ""
	}
	img := cs[0].Image
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[i+1:]
	}
	return ""
}

// messagePattern masks the object's own name, UIDs, hashes and numbers so that
// messages that differ only in those group together. It scans the message
// once: regular expressions cost too much over thousands of events.
func messagePattern(msg, name string) string {
	if name != "" {
		msg = strings.ReplaceAll(msg, name, "<name>")
	}
	msg = strings.TrimSpace(msg)
	var b strings.Builder
	b.Grow(len(msg))
	for i := 0; i < len(msg); {
		if !isAlnum(msg[i]) {
			b.WriteByte(msg[i])
			i++
			continue
		}
		j := i
		for j < len(msg) && (isAlnum(msg[j]) || (msg[j] == '-' && j+1 < len(msg) && isAlnum(msg[j+1]) && isHexRun(msg[i:j]))) {
			j++
		}
		word := msg[i:j]
		if isID(word) {
			b.WriteString("<id>")
		} else {
			maskDigits(&b, word)
		}
		i = j
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHexRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// isID recognises UUIDs and hex hashes of 8 or more digits that hold a number.
func isID(w string) bool {
	if len(w) < 8 || !isHexRun(w) {
		return false
	}
	return strings.ContainsAny(w, "0123456789")
}

// maskDigits writes w with every number (digits, optionally with one decimal
// part) replaced by "#".
func maskDigits(b *strings.Builder, w string) {
	for i := 0; i < len(w); {
		if w[i] < '0' || w[i] > '9' {
			if w[i] == '-' { // a hyphen joined only hex words; keep it
				b.WriteByte('-')
			} else {
				b.WriteByte(w[i])
			}
			i++
			continue
		}
		for i < len(w) && w[i] >= '0' && w[i] <= '9' {
			i++
		}
		b.WriteByte('#')
	}
}

// human renders a quantity of a resource the way an operator reads it:
// memory in Gi/Mi with one decimal, cpu in cores or millicores.
func human(name corev1.ResourceName, q resource.Quantity) string {
	switch name {
	case corev1.ResourceCPU:
		m := q.MilliValue()
		if m%1000 == 0 {
			return fmt.Sprintf("%d", m/1000)
		}
		return fmt.Sprintf("%dm", m)
	case corev1.ResourceMemory, corev1.ResourceEphemeralStorage, corev1.ResourceStorage:
		b := float64(q.Value())
		neg := ""
		if b < 0 {
			neg, b = "-", -b
		}
		switch {
		case b >= 1<<30 && int64(b)%(1<<30) == 0:
			return fmt.Sprintf("%s%.0fGi", neg, b/(1<<30))
		case b >= 1<<30:
			return fmt.Sprintf("%s%.1fGi", neg, b/(1<<30))
		case b >= 1<<20:
			return fmt.Sprintf("%s%.0fMi", neg, b/(1<<20))
		default:
			return fmt.Sprintf("%s%.0f", neg, b)
		}
	}
	return q.String()
}
