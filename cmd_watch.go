package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/snapshot"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session/watch"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// watchOptions are the flags of kuberesponder watch.
type watchOptions struct {
	all            bool
	settle         time.Duration
	resolveAfter   time.Duration
	ignoreExisting bool
	sinks          []string
	secretFile     string
	listen         string
	tokenFile      string
	stateDir       string
	rate           int
	queue          int
	drain          time.Duration
	maxBody        int64
	modelTimeout   time.Duration
}

func newWatchCmd(o *rootOptions) *cobra.Command {
	w := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch [-n NAMESPACE | -A]",
		Short: "Watch the cluster and deliver a first-response report per incident",
		Long: "Watch the cluster read-only with shared informers; findings about one owner that persist for\n" +
			"--settle become an incident, delivered with the first-response report and a snapshot of the\n" +
			"cluster at that moment to every --sink: stdout (the default: one JSON line per delivery),\n" +
			"file=DIR, webhook=URL (signed with --webhook-secret-file) or slack=URL (or SLACK_WEBHOOK_URL).\n" +
			"--listen ADDR serves /healthz, /readyz, /metrics and Alertmanager's webhook at /alertmanager.\n" +
			"Without --offline the model writes the six sections of each new incident and alert group,\n" +
			"delivered as an update after the rules report, which never waits for it (at most --model-timeout).\n" +
			"SIGTERM or SIGINT drain the delivery queues (at most --drain) and exit 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd, o, w)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&w.all, "all-namespaces", "A", false, "watch every namespace (the default without -n)")
	f.DurationVar(&w.settle, "settle", 30*time.Second, "how long findings must persist to be an incident")
	f.DurationVar(&w.resolveAfter, "resolve-after", 5*time.Minute, "how long an incident's findings must be gone to resolve it")
	f.BoolVar(&w.ignoreExisting, "ignore-existing", false, "skip the findings already there at start (default: one summary)")
	f.StringArrayVar(&w.sinks, "sink", nil, "where to deliver: stdout, file=DIR, webhook=URL, slack=URL (repeatable)")
	f.StringVar(&w.secretFile, "webhook-secret-file", "", "file holding the HMAC-SHA256 key that signs webhook deliveries")
	f.StringVar(&w.listen, "listen", "", "serve health, metrics and the Alertmanager receiver on ADDR (loopback unless a token is set)")
	f.StringVar(&w.tokenFile, "listen-token-file", "", "file holding the bearer token the Alertmanager receiver requires")
	f.StringVar(&w.stateDir, "state-dir", "", "incident state and snapshots (default $XDG_STATE_HOME/kuberesponder/watch)")
	f.IntVar(&w.rate, "rate", 20, "at most this many posts a minute per sink; more go out as one digest")
	f.IntVar(&w.queue, "queue", 100, "deliveries a sink may have waiting before new ones are dropped (counted)")
	f.DurationVar(&w.drain, "drain", 10*time.Second, "on SIGTERM, how long to wait for the queues to empty")
	f.Int64Var(&w.maxBody, "max-body", 1<<20, "largest Alertmanager request body accepted, in bytes")
	f.DurationVar(&w.modelTimeout, "model-timeout", 2*time.Minute, "how long the model may take to write the six sections of an incident or alert group (without --offline)")
	return cmd
}

func runWatch(cmd *cobra.Command, o *rootOptions, w *watchOptions) error {
	if err := checkLang(o.lang); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
	// SIGTERM stops the informers; the queues then drain on their own clock.
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	model, err := modelClient(o)
	if err != nil {
		return err
	}
	var explainer watch.Explainer
	if model != nil {
		explainer = modelExplainer{client: model, model: o.model, lang: o.lang}
	}
	conn, err := kube.Connect(ctx, o.kube)
	if err != nil {
		return err
	}
	ns := ""
	if cmd.Flags().Changed("namespace") {
		if w.all {
			return errors.New("give either -n NAMESPACE or -A, not both")
		}
		ns = conn.Namespace
	}
	stateDir, err := watchStateDir(w.stateDir)
	if err != nil {
		return err
	}
	sinks, err := buildSinks(w, stateDir, cmd)
	if err != nil {
		return err
	}
	informerClient, err := watchClient(conn.Config)
	if err != nil {
		return err
	}
	metrics := watch.NewMetrics()
	// The dispatcher outlives ctx by the drain time, so that SIGTERM delivers
	// what is queued.
	dctx, dcancel := context.WithCancel(context.Background())
	defer dcancel()
	disp := watch.NewDispatcher(sinks, watch.DispatchOptions{QueueSize: w.queue, Rate: w.rate}, metrics, log)
	disp.Start(dctx)
	wt, err := watch.New(watch.Config{
		Client: informerClient, Namespace: ns, Settle: w.settle, ResolveAfter: w.resolveAfter,
		IgnoreExisting: w.ignoreExisting, Lang: o.lang, StateDir: stateDir,
		Snapshots: &capturer{cs: conn.Clientset, conn: conn},
		Out:       disp, Metrics: metrics, Log: log,
		Explainer: explainer, ModelTimeout: w.modelTimeout,
	})
	if err != nil {
		return err
	}
	errs := make(chan error, 2)
	running := 1
	go func() { errs <- wt.Run(ctx) }()
	if w.listen != "" {
		token, err := readSecretFile(w.tokenFile, "listen token")
		if err != nil {
			return err
		}
		alerts := watch.NewAlertReceiver(watch.AlertConfig{
			Gather: wt, Out: disp, Metrics: metrics, Log: log, Lang: o.lang, MaxBody: w.maxBody,
			State: wt.State(), Explainer: explainer, ModelTimeout: w.modelTimeout,
		})
		running++
		go func() {
			err := watch.Serve(ctx, watch.ServerConfig{
				Addr: w.listen, Token: token, Ready: wt, Metrics: metrics, Alerts: alerts, Log: log,
			}, func(addr string) { log.Info("listening", "addr", addr) })
			alerts.Close() // the model answers still running end before the queues drain
			errs <- err
		}()
	}
	var first error
	for ; running > 0; running-- {
		if err := <-errs; err != nil && first == nil {
			first = err
			stop() // one part failed: stop the other
		}
	}
	dctxDrain, cancel := context.WithTimeout(context.Background(), w.drain)
	defer cancel()
	if err := disp.Drain(dctxDrain); err != nil {
		dcancel() // what is still queued is dropped, counted and logged
		log.Error("drain", "error", err)
		_ = disp.Drain(context.Background())
	}
	log.Info("stopped")
	return first
}

// modelExplainer asks the model for an incident's six sections with the
// prompt kuberesponder report uses.
type modelExplainer struct {
	client      llm.Client
	model, lang string
}

// Explain implements watch.Explainer.
func (m modelExplainer) Explain(ctx context.Context, r triage.Report) *triage.ModelAnswer {
	return askModel(ctx, m.client, m.model, r, m.lang)
}

// watchClient is the informers' own client over the read-only config:
// protobuf, and a deliberate rate (informers list once, then watch).
func watchClient(cfg *rest.Config) (kubernetes.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.ContentType = runtime.ContentTypeProtobuf
	c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	c.QPS, c.Burst = 20, 40
	c.UserAgent = "kuberesponder-watch"
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("build the informers' client: %w", err)
	}
	return cs, nil
}

// watchStateDir returns the state directory, created with mode 0700.
func watchStateDir(dir string) (string, error) {
	if dir == "" {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find the state directory: %w", err)
			}
			base = filepath.Join(home, ".local", "state")
		}
		dir = filepath.Join(base, "kuberesponder", "watch")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the state directory: %w", err)
	}
	return dir, nil
}

// buildSinks parses --sink; sinks are named by kind and position, never by URL.
func buildSinks(w *watchOptions, stateDir string, cmd *cobra.Command) ([]watch.Sink, error) {
	specs := w.sinks
	if len(specs) == 0 {
		specs = []string{"stdout"}
		if os.Getenv("SLACK_WEBHOOK_URL") != "" {
			specs = append(specs, "slack=")
		}
	}
	secret, err := readSecretFile(w.secretFile, "webhook secret")
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 15 * time.Second}
	count := map[string]int{}
	var out []watch.Sink
	for _, spec := range specs {
		kind, val, _ := strings.Cut(spec, "=")
		count[kind]++
		name := kind
		if count[kind] > 1 {
			name = fmt.Sprintf("%s-%d", kind, count[kind])
		}
		var s sink.Sender
		switch kind {
		case "stdout":
			s = sink.NewStdout(cmd.OutOrStdout())
		case "file":
			if val == "" {
				val = filepath.Join(stateDir, "incidents")
			}
			d, err := sink.NewDir(val)
			if err != nil {
				return nil, err
			}
			s = d
		case "webhook":
			if val == "" {
				return nil, errors.New("--sink webhook=URL needs a URL")
			}
			s = sink.NewWebhook(name, val, []byte(secret), client)
		case "slack":
			if val == "" {
				val = os.Getenv("SLACK_WEBHOOK_URL")
			}
			if val == "" {
				return nil, errors.New("--sink slack needs a URL: slack=URL or SLACK_WEBHOOK_URL")
			}
			s = sink.NewSlack(name, val, client)
		default:
			return nil, fmt.Errorf("unknown sink %q: use stdout, file=DIR, webhook=URL or slack=URL", kind)
		}
		out = append(out, watch.Sink{Name: name, Sender: s})
	}
	return out, nil
}

// readSecretFile reads a key or token file; "" when no file is given.
func readSecretFile(path, what string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the %s file: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("the %s file %s is empty", what, path)
	}
	return s, nil
}

// capturer takes an incident's snapshot through the read-only connection.
type capturer struct {
	cs   kubernetes.Interface
	conn *kube.Conn
}

// Capture snapshots one namespace, or all of them.
func (c *capturer) Capture(ctx context.Context, namespace string) (*snapshot.File, error) {
	return snapshot.Capture(ctx, c.cs, snapshot.Options{
		Namespace: namespace, Context: c.conn.Context, Cluster: c.conn.Cluster, Server: c.conn.Server,
		DefaultNamespace: c.conn.Namespace,
	})
}
