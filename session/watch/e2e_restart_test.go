package watch_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

// controlPlaneProcess returns the PID and command line of one of the control
// plane's processes (etcd, kube-apiserver, ...).
func controlPlaneProcess(t *testing.T, c *kubetest.Cluster, name string) (int, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, "pids", name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	return pid, strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

// stopAPIServer stops the control plane's kube-apiserver and returns its
// command line, for startAPIServer.
func stopAPIServer(ctx context.Context, t *testing.T, c *kubetest.Cluster) []string {
	t.Helper()
	pid, argv := controlPlaneProcess(t, c, "kube-apiserver")
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "kube-apiserver stopped", func() bool {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return err != nil || bytes.Contains(stat, []byte(") Z "))
	})
	return argv
}

// startAPIServer starts kube-apiserver with argv, records its PID where
// down.sh finds it, and waits until it answers again.
func startAPIServer(ctx context.Context, t *testing.T, c *kubetest.Cluster, argv []string) {
	t.Helper()
	log, err := os.OpenFile(filepath.Join(c.Dir, "logs", "kube-apiserver.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	pidFile := filepath.Join(c.Dir, "pids", "kube-apiserver.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "kube-apiserver ready again", func() bool {
		body, err := c.Admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok"
	})
}

// etcdCall posts a request to etcd's gRPC gateway (JSON over HTTP, plain on
// the test control plane's loopback client URL) and decodes the answer.
func etcdCall(ctx context.Context, t *testing.T, c *kubetest.Cluster, path string, req, resp any) {
	t.Helper()
	_, argv := controlPlaneProcess(t, c, "etcd")
	endpoint := ""
	for _, a := range argv {
		if v, ok := strings.CutPrefix(a, "--listen-client-urls="); ok {
			endpoint = strings.Split(v, ",")[0]
		}
	}
	if endpoint == "" {
		t.Fatalf("no --listen-client-urls in etcd's command line %q", argv)
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("etcd %s: %v", path, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("etcd %s: %d %s", path, r.StatusCode, b)
	}
	if err := json.Unmarshal(b, resp); err != nil {
		t.Fatalf("etcd %s: %v: %s", path, err, b)
	}
}

// compactEtcdPastEverything moves etcd's revision past every resource
// version handed out so far (a key outside /registry, which no API server
// reads) and compacts etcd there: no watch may resume from before it.
func compactEtcdPastEverything(ctx context.Context, t *testing.T, c *kubetest.Cluster) int64 {
	t.Helper()
	enc := base64.StdEncoding.EncodeToString
	var put struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	etcdCall(ctx, t, c, "/v3/kv/put", map[string]string{"key": enc([]byte("/kuberesponder-e2e/expired-watch")), "value": enc([]byte("410"))}, &put)
	rev, err := strconv.ParseInt(put.Header.Revision, 10, 64)
	if err != nil || rev <= 0 {
		t.Fatalf("etcd put: revision %q", put.Header.Revision)
	}
	var compacted map[string]any
	etcdCall(ctx, t, c, "/v3/kv/compaction", map[string]any{"revision": strconv.FormatInt(rev, 10), "physical": true}, &compacted)
	return rev
}

// watchedResources are what the watcher's informers list and watch.
var watchedResources = []string{"cronjobs", "csidrivers", "daemonsets", "deployments", "endpointslices", "events",
	"horizontalpodautoscalers", "jobs", "nodes", "persistentvolumeclaims", "poddisruptionbudgets", "pods",
	"replicasets", "resourcequotas", "services", "statefulsets", "storageclasses"}

// informerRequests sorts the requests of the watcher's informers since mark
// by resource: expired are watches resuming from a resource version before
// rev (which etcd compacted away: 410 Gone), relisted are lists and watches
// that start with the initial state (sendInitialEvents, client-go's
// streaming list).
func informerRequests(t *testing.T, c *kubetest.Cluster, mark, rev int64) (expired, relisted map[string]int) {
	t.Helper()
	events, err := c.AuditSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	expired, relisted = map[string]int{}, map[string]int{}
	for _, e := range events {
		if e.User != kubetest.ReadOnlyUser || !strings.HasPrefix(e.UserAgent, "kuberesponder-watch") || e.Stage != "ResponseComplete" {
			continue
		}
		q := e.RequestURI
		if i := strings.IndexByte(q, '?'); i >= 0 {
			q = q[i+1:]
		}
		vals, _ := url.ParseQuery(q)
		switch {
		case e.Verb == "list" || (e.Verb == "watch" && vals.Get("sendInitialEvents") == "true"):
			relisted[e.Resource]++
		case e.Verb == "watch":
			if rv, err := strconv.ParseInt(vals.Get("resourceVersion"), 10, 64); err == nil && rv > 0 && rv < rev {
				expired[e.Resource]++
			}
		}
	}
	return expired, relisted
}

// TestE2EExpiredWatch makes the watcher's informers meet 410 Gone: the API
// server goes away, etcd moves on and is compacted past every resource
// version they hold, and the API server comes back with a watch cache that
// starts after them. Every informer re-lists; /readyz stays ready; the
// incident delivered before is not delivered again; a new incident after
// the re-list is delivered once.
func TestE2EExpiredWatch(t *testing.T) {
	c, ctx, bin := watchCluster(t, 10*time.Minute)
	hook := sinktest.NewWebhook(t, nil)
	w := startWatcher(t, bin, "-A", "--kubeconfig", c.ReadOnlyKubeconfig, "--offline", "--ignore-existing",
		"--settle=2s", "--resolve-after=1h", "--sink=webhook="+hook.URL(), "--state-dir", t.TempDir())
	waitUntil(ctx, t, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })

	fired := func(owner string) int { return byOwner(hook.Deliveries(), sink.StateFiring)[owner] }
	before := c.Namespace(t)
	if err := c.ApplyIn(ctx, before, scenario(t, "service")); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the first incident", func() bool { return fired("Service "+before+"/orphan") == 1 })

	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	notReady := 0
	poll, stopPoll := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() { // /readyz all along: the informers were synced once and stay so
		defer close(polled)
		for poll.Err() == nil {
			if code, _ := w.get("/readyz"); code != 200 {
				notReady++
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	argv := stopAPIServer(ctx, t, c)
	rev := compactEtcdPastEverything(ctx, t, c)
	startAPIServer(ctx, t, c, argv)
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute) // the informers' backoff is at most 30 s
	for wctx.Err() == nil {
		if _, got := informerRequests(t, c, mark, rev); len(got) >= len(watchedResources) {
			break
		}
		sleep(wctx, 500*time.Millisecond)
	}
	wcancel()
	stopPoll()
	<-polled
	expired, got := informerRequests(t, c, mark, rev)
	for _, r := range watchedResources {
		if expired[r] == 0 || got[r] == 0 {
			t.Errorf("%s: %d watches from a compacted resource version, %d re-lists; want both", r, expired[r], got[r])
		}
	}
	if notReady > 0 {
		t.Errorf("/readyz was not ready %d times while the watches expired", notReady)
	}

	after := c.Namespace(t)
	if err := c.ApplyIn(ctx, after, scenario(t, "node-selector")); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "an incident after the re-list", func() bool { return fired("Deployment "+after+"/ssd-only") == 1 })
	if code, _ := w.get("/readyz"); code != 200 {
		t.Errorf("/readyz answered %d after the re-list", code)
	}
	w.stop(t)
	if n := fired("Service " + before + "/orphan"); n != 1 {
		t.Errorf("the incident of before the re-list was delivered %d times", n)
	}
	if n := fired("Deployment " + after + "/ssd-only"); n != 1 {
		t.Errorf("the incident of after the re-list was delivered %d times", n)
	}
	if hook.Repeats() != 0 {
		t.Errorf("%d repeats", hook.Repeats())
	}
	keys := make([]string, 0, len(got))
	for r, n := range got {
		keys = append(keys, fmt.Sprintf("%s=%d/%d", r, expired[r], n))
	}
	sort.Strings(keys)
	t.Logf("etcd compacted at revision %d; expired watches/re-lists by resource: %s", rev, strings.Join(keys, " "))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
