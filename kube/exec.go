package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/tiktoken-go/tokenizer"
	"k8s.io/apimachinery/pkg/api/meta"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/describe"
)

// Defaults of ExecOptions.
const (
	DefaultTokenBudget = 4000
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBytes    = 2 << 20
)

// ExecOptions configure an Executor.
type ExecOptions struct {
	// Namespace is used by actions that give none (the pinned namespace);
	// empty means "default".
	Namespace string
	// TokenBudget caps Result.ModelView, counted with the o200k tokenizer;
	// 0 means DefaultTokenBudget.
	TokenBudget int
	// Timeout bounds one action and each of its requests; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes caps Result.Output; 0 means DefaultMaxBytes. An action may
	// print up to captureFactor times as much: the whole of it is redacted
	// first, and only then is it cut to MaxBytes.
	MaxBytes int
	// Redactor removes secret values; nil means redact.New().
	Redactor *redact.Redactor
}

// captureFactor is how much more than MaxBytes an action may print before
// it is stopped: the text is redacted whole and then cut, so a cut never
// falls where the redactor could not see what it needs.
const captureFactor = 4

// Executor runs read-only actions in-process through client-go. It is safe
// for concurrent use: each action runs on a copy of it whose clients belong
// to that action alone (see forAction).
type Executor struct {
	cfg    *rest.Config
	cs     kubernetes.Interface
	disc   discovery.CachedDiscoveryInterface
	mapper meta.RESTMapper
	opts   ExecOptions
	red    *redact.Redactor
	codec  tokenizer.Codec

	// redacted counts the values an action's transport removed from the
	// objects it received; nil outside an action.
	redacted *atomic.Int64
}

// ErrNotExecuted is returned (wrapped) for actions that policy keeps from
// running: mutating and refused ones.
var ErrNotExecuted = errors.New("not executed by policy")

// NewExecutor builds an Executor over a read-only copy of cfg: every client
// it makes, including kubectl's describers and printers, sends only reads.
func NewExecutor(cfg *rest.Config, opts ExecOptions) (*Executor, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.TokenBudget <= 0 {
		opts.TokenBudget = DefaultTokenBudget
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	red := opts.Redactor
	if red == nil {
		red = redact.New()
	}
	c := ReadOnlyConfig(cfg)
	c.Timeout = opts.Timeout
	c.WarningHandler = rest.NoWarnings{}
	// Objects are redacted as JSON on their way in (actionTransport).
	c.ContentType = "application/json"
	c.AcceptContentTypes = "application/json"
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("build client for %s: %w", c.Host, err)
	}
	codec, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	disc := memory.NewMemCacheClient(cs.Discovery())
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(disc), disc, func(string) {})
	return &Executor{cfg: c, cs: cs, disc: disc, mapper: mapper, opts: opts, red: red, codec: codec}, nil
}

// forAction returns a copy of e whose clients serve one action: their
// transport redacts every object received and sends nothing once ctx has
// ended, so an abandoned action stops issuing requests.
func (e *Executor) forAction(ctx context.Context) (*Executor, error) {
	a := *e
	a.redacted = new(atomic.Int64)
	a.cfg = rest.CopyConfig(e.cfg)
	a.cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &actionTransport{next: rt, ctx: ctx, red: e.red, n: a.redacted}
	})
	cs, err := kubernetes.NewForConfig(a.cfg)
	if err != nil {
		return nil, fmt.Errorf("build client for %s: %w", a.cfg.Host, err)
	}
	a.cs = cs
	return &a, nil
}

// Run parses a.Args again, refuses anything that is not ReadOnly or
// Sensitive without touching the network, runs the action and returns its
// redacted, terminal-safe output. On failure the error is one sentence and
// the Result holds whatever output there was.
func (e *Executor) Run(ctx context.Context, a Action) (Result, error) {
	started := time.Now()
	checked, err := ParseArgs(a.Args)
	res := Result{Command: checked.String(), Started: started}
	switch {
	case checked.Risk == Mutating:
		return res, fmt.Errorf("%w: %s", ErrNotExecuted, strings.TrimPrefix(checked.Reason, "not executed by policy: "))
	case err != nil:
		return res, fmt.Errorf("%w: %v", ErrNotExecuted, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()

	act, err := e.forAction(ctx)
	if err != nil {
		return res, e.sentence(err)
	}

	// kubectl's library code takes no context; run it aside and stop
	// waiting when ctx ends. The action's transport then refuses its
	// further requests and cancels those in flight.
	out := &capWriter{max: e.opts.MaxBytes * captureFactor}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- &sentenceError{msg: fmt.Sprintf("%s failed unexpectedly: %v", checked.verbName(), p)}
			}
		}()
		done <- act.dispatch(ctx, checked, out)
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = &sentenceError{msg: fmt.Sprintf("%s did not finish within %s", checked.verbName(), e.opts.Timeout), err: ctx.Err()}
		out = &capWriter{max: e.opts.MaxBytes} // the abandoned run keeps its own buffer
	}
	switch {
	case out.full || errors.Is(err, errOutputFull):
		err = nil // the output is cut, and says so
	case err != nil:
		err = e.sentence(err)
	}
	e.finish(&res, out)
	res.Redactions += int(act.redacted.Load())
	res.Duration = time.Since(started)
	return res, err
}

// finish makes the output safe, redacts the whole of it, then cuts it to
// MaxBytes at a line end and cuts the model's view from what is left.
func (e *Executor) finish(res *Result, out *capWriter) {
	text := redact.Terminal(out.buf.String())
	if out.full {
		// The last line was cut mid-way by the capture limit: drop it,
		// the redactor could not see its end.
		if i := strings.LastIndexByte(text, '\n'); i >= 0 {
			text = text[:i+1]
		}
	}
	text, res.Redactions = e.red.Redact(text)
	cut := out.full
	if len(text) > e.opts.MaxBytes {
		text, cut = cutAt(text, e.opts.MaxBytes), true
	}
	if cut {
		text += fmt.Sprintf("\n%s%d bytes; narrow with -l, --field-selector, --tail or --since]\n", CutNote, e.opts.MaxBytes)
	}
	res.Output = text
	res.ModelView, res.OmittedLines = e.budget(text)
	lines := strings.Count(strings.TrimRight(text, "\n"), "\n") + 1
	if text == "" {
		lines = 0
	}
	parts := []string{plural(lines, "line")}
	if res.Redactions > 0 {
		parts = append(parts, plural(res.Redactions, "value")+" redacted")
	}
	if res.OmittedLines > 0 {
		parts = append(parts, plural(res.OmittedLines, "line")+" left out for the model")
	}
	res.Summary = strings.Join(parts, ", ")
}

// sentence turns an error from a run into one safe, redacted sentence,
// worded the way kubectl words it ("Error from server (NotFound): ...").
func (e *Executor) sentence(err error) error {
	var own *sentenceError
	msg := err.Error()
	if !errors.As(err, &own) {
		msg = kubectlMessage(err)
	}
	msg = strings.TrimSpace(redact.Terminal(msg))
	msg, _ = e.red.Redact(msg)
	msg = strings.Join(strings.Fields(msg), " ")
	return &sentenceError{msg: msg, err: err}
}

// kubectlMessage words an error as kubectl prints it before exiting.
func kubectlMessage(err error) string {
	if agg, ok := err.(utilerrors.Aggregate); ok && len(agg.Errors()) == 1 {
		err = agg.Errors()[0]
	}
	var noMatch *meta.NoResourceMatchError
	if errors.As(err, &noMatch) {
		r := noMatch.PartialResource
		msg := fmt.Sprintf("the server doesn't have a resource type %q", r.Resource)
		switch {
		case r.Group != "" && r.Version != "":
			msg += fmt.Sprintf(" in group %q and version %q", r.Group, r.Version)
		case r.Group != "":
			msg += fmt.Sprintf(" in group %q", r.Group)
		case r.Version != "":
			msg += fmt.Sprintf(" in version %q", r.Version)
		}
		return msg
	}
	if agg, ok := err.(utilerrors.Aggregate); ok {
		return cmdutil.MultipleErrors("", agg.Errors())
	}
	if msg, ok := cmdutil.StandardErrorMessage(err); ok {
		return msg
	}
	if msg := err.Error(); strings.HasPrefix(msg, "error: ") {
		return msg
	}
	return "error: " + err.Error()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// errOutputFull stops a writer once Output reached its cap.
var errOutputFull = errors.New("output limit reached")

// capWriter keeps at most max bytes and then fails every write, which ends
// log streams and printers early.
type capWriter struct {
	buf  bytes.Buffer
	max  int
	full bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.full {
		return 0, errOutputFull
	}
	if room := w.max - w.buf.Len(); len(p) > room {
		w.buf.Write(p[:room])
		w.full = true
		return room, errOutputFull
	}
	return w.buf.Write(p)
}

// streams sends both standard output and standard error of kubectl's code
// to the one output, as a terminal would show them.
func streams(w *capWriter) genericiooptions.IOStreams {
	return genericiooptions.IOStreams{In: strings.NewReader(""), Out: w, ErrOut: w}
}

// getter gives kubectl's code our read-only config, cached discovery and
// mapper, with the namespace of one action.
type getter struct {
	e         *Executor
	namespace string
}

func (g getter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.e.cfg), nil }
func (g getter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.e.disc, nil
}
func (g getter) ToRESTMapper() (meta.RESTMapper, error)        { return g.e.mapper, nil }
func (g getter) ToRawKubeConfigLoader() clientcmd.ClientConfig { return pinnedConfig(g) }

// pinnedConfig is the kubeconfig view kubectl's code sees: our config and
// the action's namespace, never a file.
type pinnedConfig getter

func (p pinnedConfig) RawConfig() (clientcmdapi.Config, error) { return clientcmdapi.Config{}, nil }
func (p pinnedConfig) ClientConfig() (*rest.Config, error)     { return rest.CopyConfig(p.e.cfg), nil }
func (p pinnedConfig) Namespace() (string, bool, error)        { return p.namespace, true, nil }
func (p pinnedConfig) ConfigAccess() clientcmd.ConfigAccess {
	return &clientcmd.ClientConfigLoadingRules{}
}

// describer returns the describer for a mapping, built over the action's
// clients.
func (e *Executor) describer(m *meta.RESTMapping) (describe.ResourceDescriber, error) {
	gk := m.GroupVersionKind.GroupKind()
	d, ok := describe.DescriberFor(gk, e.cfg)
	if !ok {
		var found bool
		if d, found = describe.GenericDescriberFor(m, e.cfg); !found {
			return nil, fmt.Errorf("no description has been implemented for %s", gk)
		}
	}
	return d, nil
}

// cutAt cuts text to at most max bytes, at the end of a line when one
// ends in the last quarter, and never inside a UTF-8 character.
func cutAt(text string, max int) string {
	if len(text) <= max {
		return text
	}
	if i := strings.LastIndexByte(text[:max], '\n'); i >= max*3/4 {
		return text[:i+1]
	}
	for max > 0 && !utf8.RuneStart(text[max]) {
		max--
	}
	return text[:max]
}
