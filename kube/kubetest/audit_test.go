package kubetest

import (
	"reflect"
	"testing"
)

func TestParseAudit(t *testing.T) {
	const log = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/configmaps/settings","verb":"delete","user":{"username":"kuberesponder","groups":["system:authenticated"]},"userAgent":"kubectl/v1.37.2","objectRef":{"resource":"configmaps","namespace":"shop","name":"settings","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403},"annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}}
{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","requestURI":"/api?timeout=32s","verb":"get","user":{"username":"kuberesponder"},"responseStatus":{"code":200},"annotations":{"authorization.k8s.io/decision":"allow"}}

{"kind":"Event","stage":"ResponseStar`
	got, err := parseAudit([]byte(log))
	if err != nil {
		t.Fatal(err)
	}
	want := []AuditEvent{
		{Stage: "ResponseComplete", User: "kuberesponder", UserAgent: "kubectl/v1.37.2", Verb: "delete",
			RequestURI: "/api/v1/namespaces/shop/configmaps/settings", Resource: "configmaps",
			Namespace: "shop", Name: "settings", Decision: "forbid", Code: 403},
		{Stage: "ResponseComplete", User: "kuberesponder", Verb: "get", RequestURI: "/api?timeout=32s", Decision: "allow", Code: 200},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseAudit:\n got %+v\nwant %+v", got, want)
	}
	if got[0].ReadOnly() || !got[1].ReadOnly() {
		t.Errorf("ReadOnly() = %v, %v; want false, true", got[0].ReadOnly(), got[1].ReadOnly())
	}
	if s := got[0].String(); s != "kuberesponder delete shop configmaps settings forbid 403" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseAuditBadLine(t *testing.T) {
	if _, err := parseAudit([]byte("not json\n")); err == nil {
		t.Error("parseAudit accepted a line that is not JSON")
	}
}

func TestDecodeYAML(t *testing.T) {
	objs, err := decodeYAML("---\n# only a comment\n---\n" + Scenario("nodes") + "\n---\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetName() != "3shake-k8s-node-001" || objs[1].GetKind() != "Node" {
		t.Errorf("decodeYAML(nodes) = %d objects", len(objs))
	}
	if _, err := decodeYAML("kind: ConfigMap\n"); err == nil {
		t.Error("decodeYAML accepted an object without apiVersion and name")
	}
}
