package kube

import (
	"strings"
	"testing"
)

// parseCase is one proposed line and what must become of it. want is the
// canonical command for lines that run, or a fragment of the reason.
type parseCase struct {
	line string
	want string
}

// runs: read-only lines, executed after approval.
var runs = []parseCase{
	{"kubectl get pods", "kubectl get pods"},
	{"get pods", "kubectl get pods"},
	{"get pods -n shop", "kubectl get pods --namespace=shop"},
	{"get pods --namespace shop", "kubectl get pods --namespace=shop"},
	{"get pods --namespace=shop", "kubectl get pods --namespace=shop"},
	{"get pods -nshop", "kubectl get pods --namespace=shop"},
	{"get pods -n=shop", "kubectl get pods --namespace=shop"},
	{"-n shop get pods", "kubectl get pods --namespace=shop"},
	{"--namespace=shop get pods", "kubectl get pods --namespace=shop"},
	{"get pods -A", "kubectl get pods --all-namespaces"},
	{"get pods --all-namespaces", "kubectl get pods --all-namespaces"},
	{"get pods -o wide", "kubectl get pods --output=wide"},
	{"get pods -owide", "kubectl get pods --output=wide"},
	{"get pods -o=wide", "kubectl get pods --output=wide"},
	{"get pods --output=yaml", "kubectl get pods --output=yaml"},
	{"get pods -o json", "kubectl get pods --output=json"},
	{"get pods -o name", "kubectl get pods --output=name"},
	{"get pods -Ao wide", "kubectl get pods --all-namespaces --output=wide"},
	{"get pods -l app=web", "kubectl get pods --selector=app=web"},
	{"get pods --selector app=web,tier!=db", "kubectl get pods --selector='app=web,tier!=db'"},
	{"get pods -l 'env in (prod,staging)'", "kubectl get pods --selector='env in (prod,staging)'"},
	{`get pods -l "env in (prod, staging)"`, "kubectl get pods --selector='env in (prod, staging)'"},
	{"get pods --field-selector status.phase!=Running", "kubectl get pods --field-selector='status.phase!=Running'"},
	{"get pods --field-selector=spec.nodeName=node-1", "kubectl get pods --field-selector=spec.nodeName=node-1"},
	{"get pods --show-labels", "kubectl get pods --show-labels"},
	{"get pods --sort-by=.metadata.creationTimestamp", "kubectl get pods --sort-by=.metadata.creationTimestamp"},
	{"get pods --sort-by '{.status.startTime}'", "kubectl get pods --sort-by='{.status.startTime}'"},
	{"get pods -L app,tier", "kubectl get pods --label-columns=app,tier"},
	{"get pods --no-headers", "kubectl get pods --no-headers"},
	{"get pods --show-kind", "kubectl get pods --show-kind"},
	{"get pod web-1 --ignore-not-found", "kubectl get pod web-1 --ignore-not-found"},
	{"get pods --chunk-size=100", "kubectl get pods --chunk-size=100"},
	{"get pod web-1", "kubectl get pod web-1"},
	{"get pod/web-1", "kubectl get pod/web-1"},
	{"get pod web-1 web-2", "kubectl get pod web-1 web-2"},
	{"get pod/web-1 deploy/web", "kubectl get pod/web-1 deploy/web"},
	{"get pods,svc", "kubectl get pods,svc"},
	{"get deploy,rs,po -n shop -o wide", "kubectl get deploy,rs,po --namespace=shop --output=wide"},
	{"get nodes", "kubectl get nodes"},
	{"get no -o wide", "kubectl get no --output=wide"},
	{"get events --field-selector type=Warning", "kubectl get events --field-selector=type=Warning"},
	{"get ev -A --sort-by=.lastTimestamp", "kubectl get ev --all-namespaces --sort-by=.lastTimestamp"},
	{"get all -n shop", "kubectl get all --namespace=shop"},
	{"get deployments.apps", "kubectl get deployments.apps"},
	{"get deployments.v1.apps web", "kubectl get deployments.v1.apps web"},
	{"get crd", "kubectl get crd"},
	{"get widgets.example.com", "kubectl get widgets.example.com"},
	{"get configmap app-config -o yaml", "kubectl get configmap app-config --output=yaml"},
	{"get cm -o json", "kubectl get cm --output=json"},
	{"get serviceaccounts", "kubectl get serviceaccounts"},
	{"get pvc,pv", "kubectl get pvc,pv"},
	{"get rolebindings -A", "kubectl get rolebindings --all-namespaces"},
	{"get clusterrole system:controller:deployment-controller", "kubectl get clusterrole system:controller:deployment-controller"},
	{"get pods -o wide --", "kubectl get pods --output=wide"},
	{"get -- pods", "kubectl get pods"},
	{"get pods -A=false", "kubectl get pods"},
	{"get pods --show-labels=false", "kubectl get pods --show-labels=false"},
	{"  get   pods\t-n  shop  ", "kubectl get pods --namespace=shop"},
	{`get "pods"`, "kubectl get pods"},
	{`get pod we\b-1`, "kubectl get pod web-1"},
	{"describe pod web-1", "kubectl describe pod web-1"},
	{"describe pods", "kubectl describe pods"},
	{"describe nodes", "kubectl describe nodes"},
	{"describe node node-001", "kubectl describe node node-001"},
	{"describe deploy/web -n shop", "kubectl describe deploy/web --namespace=shop"},
	{"describe pods -l app=web", "kubectl describe pods --selector=app=web"},
	{"describe pods -A", "kubectl describe pods --all-namespaces"},
	{"describe pod web-1 --show-events=false", "kubectl describe pod web-1 --show-events=false"},
	{"describe cm app-config", "kubectl describe cm app-config"},
	{"logs web-1", "kubectl logs web-1 --tail=200"},
	{"logs web-1 --tail=50", "kubectl logs web-1 --tail=50"},
	{"logs web-1 --tail 50", "kubectl logs web-1 --tail=50"},
	{"logs web-1 --tail=-1", "kubectl logs web-1 --tail=-1"},
	{"logs web-1 -c app", "kubectl logs web-1 --container=app --tail=200"},
	{"logs web-1 app", "kubectl logs web-1 app --tail=200"},
	{"logs web-1 --container=app --previous", "kubectl logs web-1 --container=app --previous --tail=200"},
	{"logs web-1 -p", "kubectl logs web-1 --previous --tail=200"},
	{"logs web-1 -pc app", "kubectl logs web-1 --container=app --previous --tail=200"},
	{"logs web-1 --since=5m", "kubectl logs web-1 --since=5m --tail=200"},
	{"logs web-1 --since-time=2026-01-02T15:04:05Z", "kubectl logs web-1 --since-time=2026-01-02T15:04:05Z --tail=200"},
	{"logs web-1 --timestamps", "kubectl logs web-1 --tail=200 --timestamps"},
	{"logs web-1 --all-containers", "kubectl logs web-1 --all-containers --tail=200"},
	{"logs deploy/web", "kubectl logs deploy/web --tail=200"},
	{"logs job/migrate -n shop", "kubectl logs job/migrate --namespace=shop --tail=200"},
	{"logs -l app=web --prefix", "kubectl logs --prefix --selector=app=web --tail=200"},
	{"logs web-1 --limit-bytes=10000", "kubectl logs web-1 --limit-bytes=10000 --tail=200"},
	{"logs -n shop web-1", "kubectl logs web-1 --namespace=shop --tail=200"},
	{"events", "kubectl events"},
	{"events -A", "kubectl events --all-namespaces"},
	{"events -n shop", "kubectl events --namespace=shop"},
	{"events --for pod/web-1", "kubectl events --for=pod/web-1"},
	{"events --for=deployment/web -n shop", "kubectl events --namespace=shop --for=deployment/web"},
	{"events --types=Warning", "kubectl events --types=Warning"},
	{"events --types Warning,Normal", "kubectl events --types=Warning,Normal"},
	{"events -o yaml", "kubectl events --output=yaml"},
	{"events --no-headers", "kubectl events --no-headers"},
	{"top pod", "kubectl top pod"},
	{"top pods -A", "kubectl top pod --all-namespaces"},
	{"top po -n shop --sort-by=memory", "kubectl top pod --namespace=shop --sort-by=memory"},
	{"top pod web-1 --containers", "kubectl top pod web-1 --containers"},
	{"top node", "kubectl top node"},
	{"top nodes --sort-by=cpu", "kubectl top node --sort-by=cpu"},
	{"top no node-001", "kubectl top node node-001"},
	{"rollout status deploy/web", "kubectl rollout status deploy/web"},
	{"rollout status deployment web -n shop", "kubectl rollout status deployment web --namespace=shop"},
	{"rollout status deploy/web --watch=false", "kubectl rollout status deploy/web --watch=false"},
	{"rollout status sts/db --revision=2", "kubectl rollout status sts/db --revision=2"},
	{"rollout history deploy/web", "kubectl rollout history deploy/web"},
	{"rollout history deploy/web --revision=3", "kubectl rollout history deploy/web --revision=3"},
	{"api-resources", "kubectl api-resources"},
	{"api-resources --namespaced=true", "kubectl api-resources --namespaced"},
	{"api-resources --api-group=apps -o wide", "kubectl api-resources --api-group=apps --output=wide"},
	{"api-resources --verbs=list,get -o name", "kubectl api-resources --output=name --verbs=list,get"},
	{"api-resources --sort-by=name", "kubectl api-resources --sort-by=name"},
	{"api-versions", "kubectl api-versions"},
	{"version", "kubectl version"},
	{"cluster-info", "kubectl cluster-info"},
	{"explain pods", "kubectl explain pods"},
	{"explain pod.spec.containers.resources", "kubectl explain pod.spec.containers.resources"},
	{"explain deployment.spec.strategy --recursive", "kubectl explain deployment.spec.strategy --recursive"},
	{"explain deployments --api-version=apps/v1", "kubectl explain deployments --api-version=apps/v1"},
	{"auth can-i list pods", "kubectl auth can-i list pods"},
	{"auth can-i create deployments -n shop", "kubectl auth can-i create deployments --namespace=shop"},
	{"auth can-i delete pod/web-1", "kubectl auth can-i delete pod/web-1"},
	{"auth can-i get /logs", "kubectl auth can-i get /logs"},
	{"auth can-i '*' '*'", "kubectl auth can-i '*' '*'"},
	{"auth can-i --list", "kubectl auth can-i --list"},
	{"auth can-i --list -n shop", "kubectl auth can-i --namespace=shop --list"},
	{"auth whoami", "kubectl auth whoami"},
	{"auth whoami -o yaml", "kubectl auth whoami --output=yaml"},
}

// runsRedacted: reads that can show Secret values; they run with every
// value redacted.
var runsRedacted = []parseCase{
	{"get secret -o yaml", "kubectl get secret --output=yaml"},
	{"get secrets", "kubectl get secrets"},
	{"get secret db-creds -o json -n shop", "kubectl get secret db-creds --namespace=shop --output=json"},
	{"get secret/db-creds -oyaml", "kubectl get secret/db-creds --output=yaml"},
	{"get secrets -A", "kubectl get secrets --all-namespaces"},
	{"get pods,secrets", "kubectl get pods,secrets"},
	{"get Secrets", "kubectl get Secrets"},
	{"get secrets.v1. -o yaml", "kubectl get secrets.v1. --output=yaml"},
	{"get pod/web-1 secret/db", "kubectl get pod/web-1 secret/db"},
	{"get externalsecrets.external-secrets.io", "kubectl get externalsecrets.external-secrets.io"},
	{"get sealedsecrets -o yaml", "kubectl get sealedsecrets --output=yaml"},
	{"describe secret db-creds", "kubectl describe secret db-creds"},
	{"describe secrets -n kube-system", "kubectl describe secrets --namespace=kube-system"},
	{"describe secret/db-creds", "kubectl describe secret/db-creds"},
	{"get secret -o name", "kubectl get secret --output=name"},
}

// neverRuns: writes; shown as a fix for a human, never executed.
var neverRuns = []parseCase{
	{"apply -f deploy.yaml", "kubectl apply -f deploy.yaml"},
	{"apply -k overlays/prod", "apply"},
	{"apply view-last-applied deploy/web", "apply"},
	{"create deployment web --image=nginx", "create deployment"},
	{"create secret generic db --from-literal=password=x", "create secret"},
	{"create token default", "create token"},
	{"create ns test", "create"},
	{"delete pod web-1", "kubectl delete pod web-1"},
	{"delete pod web-1 -n shop --grace-period=0 --force", "kubectl delete pod web-1 -n shop --grace-period=0 --force"},
	{"delete pods --all", "delete"},
	{"delete ns shop", "delete"},
	{"edit deploy/web", "edit"},
	{"patch deploy web -p '{\"spec\":{\"replicas\":3}}'", "patch"},
	{"patch node node-1 --type=json -p '[]'", "patch"},
	{"replace -f pod.yaml --force", "replace"},
	{"scale deploy/web --replicas=3", "kubectl scale deploy/web --replicas=3"},
	{"scale --replicas=0 deployment web -n shop", "scale"},
	{"set image deploy/web nginx=nginx:1.27", "set image"},
	{"set resources deploy/web --limits=memory=5Gi", "set resources"},
	{"set env deploy/web DB_HOST=db", "set env"},
	{"label pod web-1 tier=frontend", "label"},
	{"label pod web-1 tier-", "label"},
	{"annotate deploy web note=x --overwrite", "annotate"},
	{"taint nodes node-1 key=value:NoSchedule", "taint"},
	{"cordon node-1", "cordon"},
	{"uncordon node-1", "uncordon"},
	{"drain node-1 --ignore-daemonsets", "drain"},
	{"rollout restart deploy/web", "rollout restart"},
	{"rollout undo deploy/web --to-revision=2", "rollout undo"},
	{"rollout pause deploy/web", "rollout pause"},
	{"rollout resume deploy/web", "rollout resume"},
	{"autoscale deploy web --min=2 --max=5", "autoscale"},
	{"expose deploy web --port=80", "expose"},
	{"run debug --image=busybox -- sleep 1d", "run"},
	{"cp web-1:/etc/passwd ./passwd", "cp"},
	{"cp ./x web-1:/tmp/x", "cp"},
	{"certificate approve csr-1", "certificate approve"},
	{"certificate deny csr-1", "certificate deny"},
	{"debug web-1 -it --image=busybox", "debug"},
	{"debug node/node-1 -it --image=busybox", "debug"},
	{"auth reconcile -f rbac.yaml", "auth reconcile"},
	{"kubectl delete deployment nginx-with-10gi", "kubectl delete deployment nginx-with-10gi"},
	{"-n shop delete pod web-1", "delete"},
	{"rolling-update web --image=nginx", "rolling-update"},
}

// refused: not supported at all; the reason goes back to the model.
var refused = []parseCase{
	// Shell constructs.
	{"get pods > pods.txt", "redirects"},
	{"get pods >pods.txt", "redirects"},
	{"get pods >> f", "redirects"},
	{"get pods < /dev/null", "redirects"},
	{"get pods 2>&1", "redirects"},
	{"get pods &> f", "redirects"},
	{"get pods | grep web", "pipes are not supported; narrow with -l, --field-selector or --tail"},
	{"get pods|head", "pipes"},
	{"get pods || true", "one command at a time"},
	{"get pods && delete pod web-1", "one command at a time"},
	{"get pods; delete pod web-1", "one command at a time"},
	{"get pods ;", "one command at a time"},
	{"port-forward svc/web 8080:80 &", "background"},
	{"get pods &", "background"},
	{"get pods $(cat names)", "substitution"},
	{"get pods `cat names`", "substitution"},
	{`get pods "$(id)"`, "substitution"},
	{"get pods $NAME", "shell variables"},
	{"get pods -n ${NS}", "shell variables"},
	{`get pods -n "$NS"`, "shell variables"},
	{"get pods\ndelete pod web-1", "newlines"},
	{"get pods\r\n", "newlines"},
	{"get pods \\", "trailing backslash"},
	{"get pods 'unterminated", "unterminated single quote"},
	{`get pods "unterminated`, "unterminated double quote"},
	{"get pods # comment", "comments"},
	{"get pods (x)", "parentheses"},
	{"get pods \x1b[31m", "control characters"},
	{"get pods \x00", "control characters"},
	{"get pod web\u202e1-", "direction-changing"},
	{"get pods --field-selector=metadata.name=a\u200bb", "invisible"},
	{"get pods \xff", "invalid characters"},
	{"", "empty command"},
	{"   ", "empty command"},
	{"kubectl", "empty command"},
	{"-n shop", "no verb"},
	// Pinned cluster, context and identity.
	{"config use-context prod", "config is refused"},
	{"config view --raw", "config is refused"},
	{"config set-context --current --namespace=x", "pinned"},
	{"--server=https://evil:6443 get pods", "--server is refused"},
	{"--server https://evil:6443 get pods", "--server is refused"},
	{"-s https://evil get pods", "pinned"},
	{"get pods -s https://evil", "pinned"},
	{"get pods --server=https://evil", "pinned"},
	{"get pods --context=prod", "--context is refused"},
	{"--context prod get pods", "--context is refused"},
	{"get pods --kubeconfig=/tmp/k", "--kubeconfig is refused"},
	{"get pods --cluster=prod", "--cluster is refused"},
	{"get pods --user=admin", "--user is refused"},
	{"get pods --token=abc", "--token is refused"},
	{"get pods --as=system:admin", "--as is refused"},
	{"get pods --as-group=system:masters", "--as-group is refused"},
	{"get pods --as-uid=0", "--as-uid is refused"},
	{"get pods --certificate-authority=/tmp/ca", "--certificate-authority is refused"},
	{"get pods --insecure-skip-tls-verify", "--insecure-skip-tls-verify is refused"},
	{"get pods --insecure-skip-tls-verify=true", "pinned"},
	{"delete pod web-1 --context=prod", "--context is refused"},
	{"logs web-1 --as admin", "--as is refused"},
	// Streams into the cluster.
	{"exec web-1 -- cat /etc/passwd", "exec is refused"},
	{"exec -it web-1 -- sh", "exec is refused"},
	{"attach web-1", "attach is refused"},
	{"port-forward svc/web 8080:80", "port-forward is refused"},
	{"proxy", "proxy is refused"},
	{"proxy --port=8001", "proxy is refused"},
	// Watching and following.
	{"get pods -w", "watching is not supported"},
	{"get pods --watch", "watching is not supported"},
	{"get pods --watch-only", "watching is not supported"},
	{"get pods -o wide -w", "watching"},
	{"events -w", "watching"},
	{"events --watch", "watching"},
	{"rollout status deploy/web -w", "watching"},
	{"rollout status deploy/web --watch", "watching"},
	{"rollout status deploy/web --watch=true", "watching"},
	{"logs -f web-1", "following logs is not supported"},
	{"logs web-1 --follow", "following logs is not supported"},
	{"logs web-1 -f --tail=10", "following logs"},
	// Other verbs and forms.
	{"plugin list", "plugin is refused"},
	{"cluster-info dump", "cluster-info dump is refused"},
	{"cluster-info dump --output-directory=/tmp", "cluster-info dump is refused"},
	{"wait --for=condition=Ready pod/web-1", "wait is refused"},
	{"diff -f deploy.yaml", "diff is refused"},
	{"kustomize .", "kustomize is refused"},
	{"alpha events", "alpha"},
	{"completion bash", "completion is refused"},
	{"help", "help is refused"},
	{"kubectl kubectl get pods", "not a supported verb"},
	{"sudo kubectl get pods", "not a supported verb"},
	{"KUBECONFIG=/tmp/k kubectl get pods", "not a supported verb"},
	{"k get pods", "not a supported verb"},
	{"list pods", "not a supported verb"},
	{"rollout", "rollout needs status or history"},
	{"rollout foo deploy/web", "rollout needs status or history"},
	{"auth", "auth supports can-i and whoami"},
	{"top", "top supports pod and node"},
	{"top deployments", "top supports pod and node"},
	// Unknown flags and bad values.
	{"get pods --raw /api/v1/secrets", "--raw is not supported"},
	{"get --raw /api/v1/namespaces/x/secrets", "--raw"},
	{"get pods -o jsonpath='{.items[*].spec}'", "--output=jsonpath"},
	{"get pods -o custom-columns=NAME:.metadata.name", "--output=custom-columns"},
	{"get pods -o go-template='{{.}}'", "--output=go-template"},
	{"get pods --dry-run=client", "unknown flag --dry-run for get; supported: -n/--namespace"},
	{"get pods --filename=x.yaml", "unknown flag --filename"},
	{"get pods -f x.yaml", "unknown flag -f"},
	{"get pods --v=9", "unknown flag --v"},
	{"get pods -v 9", "unknown flag -v"},
	{"get pods --selector", "needs a value"},
	{"get pods -n", "needs a value"},
	{"get pods -n ''", "needs a non-empty value"},
	{"get pods -n ../secrets", "not a valid namespace"},
	{"get pods -n Shop", "not a valid namespace"},
	{"get pods -l 'a b c'", "not a label selector"},
	{"get pods --field-selector 'x'", "not a field selector"},
	{"get pods --show-labels=maybe", "takes true or false"},
	{"get", "needs a resource type"},
	{"get -n shop", "needs a resource type"},
	{"get pods/", "not a valid object name"},
	{"get pods ../../secrets", "not a valid object name"},
	{"get pod/a/b", "not a valid object name"},
	{"get pod/web-1 extra", "mixing TYPE/NAME and plain names"},
	{"get 0 -- -0", "may not start with -"},
	{"get pods%2fx", "not a resource type"},
	{"describe", "needs a resource type"},
	{"logs", "logs needs a pod"},
	{"logs web-1 app extra", "logs takes one pod"},
	{"logs web-1 -l app=web", "logs takes one pod"},
	{"logs web-1 --tail=ten", "not a whole number"},
	{"logs web-1 --tail=-5", "not a whole number"},
	{"logs web-1 --since=yesterday", "--since takes a duration"},
	{"logs web-1 --since=-5m", "--since takes a duration"},
	{"logs web-1 --since-time=yesterday", "RFC 3339"},
	{"logs web-1 app -c app", "either as an argument or with -c"},
	{"events pod/web-1", "takes no arguments"},
	{"events --for web-1", "TYPE/NAME"},
	{"events --types=Error", "--types takes Normal, Warning"},
	{"events -o wide", "--output=wide is not supported"},
	{"top pod --sort-by=name", "--sort-by=name is not supported"},
	{"top pod a b", "at most one name"},
	{"rollout status", "needs exactly one TYPE NAME or TYPE/NAME"},
	{"rollout history deploy", "needs TYPE NAME or TYPE/NAME"},
	{"rollout status deploy a b", "needs exactly one"},
	{"api-resources pods", "takes no arguments"},
	{"api-versions -o json", "unknown flag -o"},
	{"version --client", "unknown flag --client"},
	{"cluster-info pods", "takes no arguments"},
	{"explain", "explain needs one resource"},
	{"explain 'pod spec'", "explain needs a resource or field path"},
	{"explain pods -o plaintext-openapiv2", "--output=plaintext-openapiv2"},
	{"auth can-i", "auth can-i needs VERB TYPE"},
	{"auth can-i list", "auth can-i needs VERB TYPE"},
	{"auth can-i --list pods", "takes no arguments"},
	{"auth can-i get pods web-1", "auth can-i needs VERB TYPE"},
	{"auth whoami extra", "takes no arguments"},
	{"--foo get pods", "before the verb"},
	{"-A get pods", "before the verb"},
}

func TestParse(t *testing.T) {
	total := len(runs) + len(runsRedacted) + len(neverRuns) + len(refused)
	if total < 150 {
		t.Fatalf("only %d cases", total)
	}
	groups := []struct {
		name  string
		risk  Risk
		cases []parseCase
	}{
		{"runs", ReadOnly, runs},
		{"runs redacted", Sensitive, runsRedacted},
		{"never runs", Mutating, neverRuns},
		{"refused", Refused, refused},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				a, err := Parse(tc.line)
				if a.Risk != g.risk {
					t.Errorf("Parse(%q).Risk = %s (%s), want %s", tc.line, a.Risk, a.Reason, g.risk)
					continue
				}
				switch g.risk {
				case ReadOnly, Sensitive:
					if err != nil {
						t.Errorf("Parse(%q) error = %v", tc.line, err)
					}
					if got := a.String(); got != tc.want {
						t.Errorf("Parse(%q).String() = %q, want %q", tc.line, got, tc.want)
					}
					again, err := Parse(a.String())
					if err != nil || again.String() != a.String() || again.Risk != a.Risk {
						t.Errorf("canonical %q does not parse to itself: %q %s %v", a.String(), again.String(), again.Risk, err)
					}
				case Mutating:
					if err != nil {
						t.Errorf("Parse(%q) error = %v", tc.line, err)
					}
					if !strings.Contains(a.String(), tc.want) && !strings.Contains(a.Reason, tc.want) {
						t.Errorf("Parse(%q) = %q (%s), want it to mention %q", tc.line, a.String(), a.Reason, tc.want)
					}
					if !strings.HasPrefix(a.Reason, "not executed by policy: ") || !strings.Contains(a.Reason, a.String()) {
						t.Errorf("Parse(%q).Reason = %q, want the policy answer with the command", tc.line, a.Reason)
					}
				case Refused:
					if err == nil || err.Error() != a.Reason {
						t.Errorf("Parse(%q) error = %v, want the reason %q", tc.line, err, a.Reason)
					}
					if !strings.Contains(a.Reason, tc.want) {
						t.Errorf("Parse(%q).Reason = %q, want it to contain %q", tc.line, a.Reason, tc.want)
					}
				}
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	a, err := Parse("kubectl get pod/web-1 -n shop -o wide -l app=web")
	if err != nil {
		t.Fatal(err)
	}
	if a.Verb != "get" || a.Resource != "pod" || len(a.Names) != 1 || a.Names[0] != "web-1" || a.Namespace != "shop" ||
		a.Flags.Get("output") != "wide" || a.Flags.Get("selector") != "app=web" || a.Input != "kubectl get pod/web-1 -n shop -o wide -l app=web" {
		t.Errorf("fields = %+v", a)
	}
	a, _ = Parse("rollout status deploy web -n shop")
	if a.Verb != "rollout" || a.SubVerb != "status" || a.Resource != "deploy" || a.Names[0] != "web" || a.Namespace != "shop" {
		t.Errorf("rollout fields = %+v", a)
	}
	a, _ = Parse("delete pod web-1 -n shop")
	if a.Verb != "delete" || a.Resource != "pod" || a.Names[0] != "web-1" || a.Namespace != "shop" {
		t.Errorf("delete fields = %+v", a)
	}
	a, _ = Parse("top pods")
	if a.SubVerb != "pod" {
		t.Errorf("top alias: %+v", a)
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		risk Risk
		want string
	}{
		{[]string{"get", "pods", "-n", "shop"}, ReadOnly, "kubectl get pods --namespace=shop"},
		{[]string{"get", "pods", "-l", "env in (a,b)"}, ReadOnly, "kubectl get pods --selector='env in (a,b)'"},
		{[]string{"get", "pods", "|", "grep", "x"}, Refused, "pipes"},
		{[]string{"get", "pods", ">", "f"}, Refused, "redirects"},
		{[]string{"get", "pods", "2>&1"}, Refused, "redirects"},
		{[]string{"get", "pods", "&&", "delete", "pod", "x"}, Refused, "one command at a time"},
		{[]string{"delete", "pod", "x"}, Mutating, "kubectl delete pod x"},
		{[]string{"config", "use-context", "prod"}, Refused, "pinned"},
		{nil, Refused, "empty command"},
	}
	for _, tc := range tests {
		a, err := ParseArgs(tc.args)
		if a.Risk != tc.risk || (tc.risk == Refused) != (err != nil) {
			t.Errorf("ParseArgs(%q) = %s, %v", tc.args, a.Risk, err)
			continue
		}
		if !strings.Contains(a.String(), tc.want) && !strings.Contains(a.Reason, tc.want) {
			t.Errorf("ParseArgs(%q) = %q (%s), want %q", tc.args, a.String(), a.Reason, tc.want)
		}
	}
}
