package kube

import "strings"

// ClusterScoped reports whether resource names a built-in cluster-scoped
// resource (nodes, namespaces, persistent volumes, …): its plural, singular
// or short name in any case, with or without its API group
// ("storageclasses.storage.k8s.io"). Custom resources and names it does not
// know are taken as namespaced. It is the one list of scopes in the product:
// the approval card and the snapshot both ask it.
func ClusterScoped(resource string) bool {
	r, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(resource)), ".")
	switch r {
	case "nodes", "node", "no",
		"namespaces", "namespace", "ns",
		"persistentvolumes", "persistentvolume", "pv",
		"storageclasses", "storageclass", "sc",
		"clusterroles", "clusterrole",
		"clusterrolebindings", "clusterrolebinding",
		"customresourcedefinitions", "customresourcedefinition", "crd", "crds",
		"priorityclasses", "priorityclass", "pc",
		"ingressclasses", "ingressclass",
		"runtimeclasses", "runtimeclass",
		"csidrivers", "csidriver", "csinodes", "csinode",
		"volumeattachments", "volumeattachment",
		"certificatesigningrequests", "certificatesigningrequest", "csr",
		"mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
		"validatingwebhookconfigurations", "validatingwebhookconfiguration",
		"apiservices", "apiservice",
		"componentstatuses", "componentstatus", "cs",
		"flowschemas", "flowschema",
		"prioritylevelconfigurations", "prioritylevelconfiguration":
		return true
	}
	return false
}
