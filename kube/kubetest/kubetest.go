// Package kubetest runs a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok fake nodes, all v1.37.2) for
// end-to-end tests, and gives tests what they need to drive it: admin and
// read-only clients, Apply, event and pod waits, the API server's audit log and
// embedded scenarios.
//
// One control plane serves a whole test binary; it listens on free loopback
// ports in a temporary directory, so the test binaries of several packages can
// run at once. A package opts in with
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
//
// and each end-to-end test calls Start, which starts the control plane on first
// use and skips the test under -short or KUBERESPONDER_E2E=0:
//
//	c := kubetest.Start(t)
//	ns := c.Namespace(t)
//
// A test that needs a control plane set up otherwise (Options, e.g. without
// a controller) calls StartOwn for one of its own, at the cost of a start.
//
// Scenarios are the YAML files in testdata, embedded: Scenario("nodes") is
// testdata/nodes.yaml. Adding one is dropping a file there. SeedIncident
// reproduces the seed incident (two nodes, one nginx-with-10gi pod Pending for
// want of memory) in a namespace.
//
// The control-plane binary is built by e2e/cluster/build.sh into a cache
// directory on first use (about 7-10 minutes cold, then cached); give go test a
// generous -timeout.
package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// ReadOnlyUser is the user name of ReadOnlyKubeconfig; the audit log records
// this user's requests and nobody else's.
const ReadOnlyUser = "kuberesponder"

// Cluster is a running test control plane.
type Cluster struct {
	// Dir holds the control plane's state: pki/, logs/, pids/, kube-cache/.
	Dir string
	// AdminKubeconfig authenticates as a cluster admin (system:masters).
	AdminKubeconfig string
	// ReadOnlyKubeconfig authenticates as ReadOnlyUser, allowed get, list and
	// watch on everything, and otherwise only the self-reviews (auth can-i,
	// auth whoami) every authenticated user may create.
	ReadOnlyKubeconfig string
	// AdminConfig and ReadOnlyConfig are the rest configs of those two
	// kubeconfigs; copy them with rest.CopyConfig before changing them.
	AdminConfig    *rest.Config
	ReadOnlyConfig *rest.Config
	// Admin is a clientset with admin rights.
	Admin kubernetes.Interface
	// AuditLog is the API server's audit log (ReadOnlyUser, Metadata level).
	AuditLog string
	// KubectlPath is the path of the kubectl v1.37.2 built with the control plane.
	KubectlPath string

	scripts string
	opts    Options
	pgid    int
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	seedMu  sync.Mutex
}

// shared is the control plane of this test binary.
var shared struct {
	sync.Mutex
	main    bool
	started bool
	c       *Cluster
	err     error
}

// starting is the process group of an up.sh still running, for Main's signal
// handler.
var starting atomic.Int64

// Main runs the tests of a package and stops the control plane afterwards if a
// test started one. Call it from TestMain; it does not return.
func Main(m *testing.M) {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		if pgid := starting.Load(); pgid != 0 {
			_ = syscall.Kill(-int(pgid), syscall.SIGKILL)
		}
		if shared.TryLock() {
			shared.Unlock()
			stopShared()
		}
		fmt.Fprintf(os.Stderr, "kubetest: %v: stopped the control plane\n", s)
		os.Exit(130)
	}()
	code := m.Run()
	stopShared()
	os.Exit(code)
}

func stopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.c != nil {
		if err := shared.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		}
		shared.c = nil
	}
}

// Need skips the test when end-to-end tests are off: under -short or with
// KUBERESPONDER_E2E=0.
func Need(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	if os.Getenv("KUBERESPONDER_E2E") == "0" {
		t.Skip("end-to-end test: skipped with KUBERESPONDER_E2E=0")
	}
}

// Start returns the control plane of this test binary, starting it on first
// use. It skips the test as Need does, and fails it when the control plane
// cannot start. The package's TestMain must call Main.
func Start(t testing.TB) *Cluster {
	t.Helper()
	Need(t)
	shared.Lock()
	defer shared.Unlock()
	if !shared.main {
		t.Fatal("kubetest: call kubetest.Main(m) from TestMain so that the control plane is stopped")
	}
	if !shared.started {
		shared.started = true
		begin := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		shared.c, shared.err = New(ctx)
		cancel()
		if shared.err == nil {
			t.Logf("kubetest: control plane ready in %s (%s)", time.Since(begin).Round(time.Millisecond), shared.c.Dir)
		}
	}
	if shared.err != nil {
		t.Fatalf("kubetest: %v", shared.err)
	}
	return shared.c
}

// Options change what a control plane of NewWith or StartOwn runs. The zero
// value is the control plane of New and Start.
type Options struct {
	// Controllers, when set, is kube-controller-manager's --controllers list
	// instead of up.sh's: a test that needs a controller off (say, the
	// autoscaler's, to own an HPA's status) names the ones it needs.
	Controllers []string
}

// New builds the control-plane binary if needed and starts a control plane on
// free loopback ports in a new temporary directory. The caller must Stop it.
// Tests use Start instead.
func New(ctx context.Context) (*Cluster, error) {
	return NewWith(ctx, Options{})
}

// StartOwn starts a control plane of the test's own with opts and stops it
// when the test ends; it skips the test as Need does. It costs a control
// plane's start (10-20 s): use it only for what the shared one of Start
// cannot do. The package's TestMain must call Main.
func StartOwn(t testing.TB, opts Options) *Cluster {
	t.Helper()
	Need(t)
	shared.Lock()
	inMain := shared.main
	shared.Unlock()
	if !inMain {
		t.Fatal("kubetest: call kubetest.Main(m) from TestMain so that the control plane is stopped")
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	c, err := NewWith(ctx, opts)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("kubetest: %v", err)
		}
	})
	t.Logf("kubetest: own control plane ready in %s (%s)", time.Since(begin).Round(time.Millisecond), c.Dir)
	return c
}

// NewWith is New with opts.
func NewWith(ctx context.Context, opts Options) (*Cluster, error) {
	scripts, err := findScripts()
	if err != nil {
		return nil, err
	}
	bin, err := build(ctx, scripts)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kuberesponder-e2e-")
	if err != nil {
		return nil, fmt.Errorf("create the control-plane directory: %w", err)
	}
	c := &Cluster{
		Dir:                dir,
		AdminKubeconfig:    filepath.Join(dir, "admin.kubeconfig"),
		ReadOnlyKubeconfig: filepath.Join(dir, "readonly.kubeconfig"),
		AuditLog:           filepath.Join(dir, "audit.log"),
		KubectlPath:        filepath.Join(bin, "bin", "kubectl"),
		scripts:            scripts,
		opts:               opts,
	}
	// A port picked free can be taken by someone else before the server binds
	// it; a fresh set of ports usually does it.
	for attempt := 1; ; attempt++ {
		err = c.up(ctx, bin)
		if err == nil {
			break
		}
		c.kill()
		if attempt == 3 || ctx.Err() != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.connect(); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// up runs up.sh in its own process group, so that Stop can end every process
// it started; up.sh's watchdog also ends them if this process dies first.
func (c *Cluster) up(ctx context.Context, bin string) error {
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.scripts, "up.sh"), c.Dir)
	cmd.Env = append(os.Environ(),
		"CONTROLPLANE_DIR="+bin,
		"API_PORT="+strconv.Itoa(ports[0]),
		"ETCD_PORT="+strconv.Itoa(ports[1]),
		"ETCD_PEER_PORT="+strconv.Itoa(ports[2]),
		"KUBELET_PORT="+strconv.Itoa(ports[3]),
		"WATCH_PID="+strconv.Itoa(os.Getpid()),
		"WATCH_REMOVE="+map[bool]string{true: "0", false: "1"}[keep()],
	)
	if len(c.opts.Controllers) > 0 {
		cmd.Env = append(cmd.Env, "KCM_CONTROLLERS="+strings.Join(c.opts.Controllers, ","))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	c.pgid = cmd.Process.Pid
	starting.Store(int64(c.pgid))
	defer starting.Store(0)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("start the control plane: %w\n%s", err, out.String())
	}
	return nil
}

func (c *Cluster) connect() error {
	var err error
	if c.AdminConfig, err = clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig); err != nil {
		return fmt.Errorf("load %s: %w", c.AdminKubeconfig, err)
	}
	c.AdminConfig.QPS, c.AdminConfig.Burst = 100, 200
	if c.ReadOnlyConfig, err = clientcmd.BuildConfigFromFlags("", c.ReadOnlyKubeconfig); err != nil {
		return fmt.Errorf("load %s: %w", c.ReadOnlyKubeconfig, err)
	}
	if c.Admin, err = kubernetes.NewForConfig(c.AdminConfig); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	if c.dynamic, err = dynamic.NewForConfig(c.AdminConfig); err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Admin.Discovery()))
	return nil
}

// ReadOnly returns a clientset of the read-only user with the rate limits
// the product's gather asks for (QPS 50, burst 100).
func (c *Cluster) ReadOnly(t testing.TB) kubernetes.Interface {
	t.Helper()
	cfg := rest.CopyConfig(c.ReadOnlyConfig)
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Stop stops every process of the control plane and removes Dir, unless
// KUBERESPONDER_E2E_KEEP=1 asks to keep it (its logs/ then tell what happened).
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(c.scripts, "down.sh"), c.Dir).CombinedOutput()
	c.kill()
	if err != nil {
		return fmt.Errorf("stop the control plane in %s: %w: %s", c.Dir, err, out)
	}
	if keep() {
		fmt.Fprintf(os.Stderr, "kubetest: control-plane directory kept: %s\n", c.Dir)
		return nil
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("remove %s: %w", c.Dir, err)
	}
	return nil
}

// keep reports whether KUBERESPONDER_E2E_KEEP=1 asks to keep the directory.
func keep() bool { return os.Getenv("KUBERESPONDER_E2E_KEEP") == "1" }

// kill ends whatever is left of up.sh's process group.
func (c *Cluster) kill() {
	if c.pgid > 0 {
		_ = syscall.Kill(-c.pgid, syscall.SIGKILL)
		c.pgid = 0
	}
}

// build runs build.sh, serialised across processes by its lock, and returns
// the directory holding bin/ and etc/.
func build(ctx context.Context, scripts string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(scripts, "build.sh"))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // silent unless it really builds
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the control plane with %s: %w", cmd.Path, err)
	}
	lines := strings.Fields(out.String())
	if len(lines) == 0 {
		return "", errors.New("build.sh printed no directory")
	}
	return lines[len(lines)-1], nil
}

// findScripts locates e2e/cluster: upwards from the working directory (a test
// runs in its package directory), else from this source file.
func findScripts() (string, error) {
	const rel = "e2e/cluster/up.sh"
	dir, err := os.Getwd()
	if err == nil {
		for {
			if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
				return filepath.Join(dir, "e2e", "cluster"), nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if _, err := os.Stat(filepath.Join(root, rel)); err == nil {
			return filepath.Join(root, "e2e", "cluster"), nil
		}
	}
	return "", errors.New("cannot find e2e/cluster/up.sh above the working directory")
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
