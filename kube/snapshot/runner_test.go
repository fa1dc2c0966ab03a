package snapshot

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube"
)

func fixtureSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	var buf bytes.Buffer
	if err := fixture().Write(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s *Snapshot, line string) (kube.Result, error) {
	t.Helper()
	a, err := kube.Parse(line)
	if err != nil && a.Risk != kube.Refused {
		t.Fatalf("parse %q: %v", line, err)
	}
	return s.Runner().Run(context.Background(), a)
}

func TestDump(t *testing.T) {
	s := fixtureSnapshot(t)
	for _, line := range strings.Split(dumpLines, "\n") {
		if line == "" {
			continue
		}
		res, err := run(t, s, line)
		t.Logf("$ %s\nerr=%v\n%s", line, err, res.Output)
	}
}

const dumpLines = `get pods
get pods -o wide
get po -A --show-labels
get nodes -o wide
get deploy,rs
get all
get events
get events -o wide --sort-by=.lastTimestamp
get pods --field-selector status.phase=Pending
get pods -l app=nginx-with-5gi -o name
get pod nginx-with-10gi-77579bdb99-ckfj9 -o yaml
get secret db -o yaml
get cm app-config -o json
get pods nope
get ingress
describe pod nginx-with-10gi
describe node 3shake-k8s-node-001
describe deploy nginx-with-10gi
describe secret db
logs nginx-with-10gi-77579bdb99-rtbd7
logs deploy/nginx-with-10gi --timestamps
logs nginx-with-5gi-766bc97857-tjqtf
events
events -A --types=Warning
version
api-resources
api-versions
top pods
delete pod x`
