package watch_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

// restartAPIServer stops the control plane's kube-apiserver and starts it
// again with the same command line, recording the new PID where down.sh
// finds it, and waits until it answers again.
func restartAPIServer(ctx context.Context, t *testing.T, c *kubetest.Cluster) {
	t.Helper()
	pidFile := filepath.Join(c.Dir, "pids", "kube-apiserver.pid")
	b, err := os.ReadFile(pidFile)
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
	argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "kube-apiserver stopped", func() bool {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return err != nil || bytes.Contains(stat, []byte(") Z "))
	})
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
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "kube-apiserver ready again", func() bool {
		body, err := c.Admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok"
	})
}

// TestE2EAPIServerRestart stops the API server in the middle of a watch and
// starts it again: the watcher re-lists without delivering again what it
// delivered, and goes on to deliver a new incident.
func TestE2EAPIServerRestart(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := buildBinary(ctx, t)
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
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

	restartAPIServer(ctx, t, c)

	after := c.Namespace(t)
	if err := c.ApplyIn(ctx, after, scenario(t, "node-selector")); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "an incident after the restart", func() bool { return fired("Deployment "+after+"/ssd-only") == 1 })
	if code, _ := w.get("/readyz"); code != 200 {
		t.Errorf("/readyz answered %d after the restart", code)
	}
	w.stop(t)
	if n := fired("Service " + before + "/orphan"); n != 1 {
		t.Errorf("the incident of before the restart was delivered %d times", n)
	}
	if n := fired("Deployment " + after + "/ssd-only"); n != 1 {
		t.Errorf("the incident of after the restart was delivered %d times", n)
	}
	if hook.Repeats() != 0 {
		t.Errorf("%d repeats", hook.Repeats())
	}
}
