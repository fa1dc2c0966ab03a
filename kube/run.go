package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/cli-runtime/pkg/resource"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	restclient "k8s.io/client-go/rest"
	"k8s.io/kubectl/pkg/cmd/apiresources"
	"k8s.io/kubectl/pkg/cmd/auth"
	"k8s.io/kubectl/pkg/cmd/clusterinfo"
	"k8s.io/kubectl/pkg/cmd/describe"
	"k8s.io/kubectl/pkg/cmd/explain"
	"k8s.io/kubectl/pkg/cmd/get"
	"k8s.io/kubectl/pkg/cmd/logs"
	"k8s.io/kubectl/pkg/cmd/rollout"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	kdescribe "k8s.io/kubectl/pkg/describe"
	"k8s.io/kubectl/pkg/polymorphichelpers"
	"k8s.io/kubectl/pkg/util/podutils"
)

// dispatch runs one checked action, writing what kubectl would print.
func (e *Executor) dispatch(ctx context.Context, a Action, w *capWriter) error {
	ns := a.Namespace
	if ns == "" {
		ns = e.opts.Namespace
	}
	g := getter{e: e, namespace: ns}
	switch a.verbName() {
	case "get":
		return e.runGet(a, g, w)
	case "describe":
		return e.runDescribe(a, g, w)
	case "logs":
		return runLogs(a, g, w)
	case "events":
		return e.runEvents(ctx, a, ns, w)
	case "top pod", "top node":
		return e.runTop(ctx, a, ns, w)
	case "rollout status":
		return e.runRolloutStatus(a, g, w)
	case "rollout history":
		return runRolloutHistory(a, g, w)
	case "api-resources":
		return runAPIResources(a, g, w)
	case "api-versions":
		o := apiresources.NewAPIVersionsOptions(streams(w))
		if err := o.Complete(g, &cobra.Command{}, nil); err != nil {
			return err
		}
		return o.RunAPIVersions()
	case "version":
		return e.runVersion(ctx, w)
	case "cluster-info":
		if a.Namespace == "" {
			ns = "kube-system"
		}
		o := &clusterinfo.ClusterInfoOptions{IOStreams: streams(w), Namespace: ns, Builder: resource.NewBuilder(g), Client: e.cfg}
		return o.Run()
	case "explain":
		return runExplain(a, g, w)
	case "auth can-i":
		return runCanI(a, g, w)
	case "auth whoami":
		f := auth.NewWhoAmIFlags(g, streams(w))
		*f.PrintFlags.OutputFormat = a.Flags.Get("output")
		f.PrintFlags.OutputFlagSpecified = func() bool { return a.Flags.Get("output") != "" }
		o, err := f.ToOptions(ctx, nil)
		if err != nil {
			return err
		}
		return o.Run()
	}
	return fmt.Errorf("%s cannot run here", a.verbName())
}

// setFlags copies the named flags of an action onto a cobra command that
// carries kubectl's own flag definitions.
func setFlags(cmd *cobra.Command, a Action, names ...string) error {
	for _, name := range names {
		if v, ok := a.Flags.Lookup(name); ok {
			if err := cmd.Flags().Set(name, v); err != nil {
				return fmt.Errorf("--%s=%s: %w", name, v, err)
			}
		}
	}
	return nil
}

func (e *Executor) runGet(a Action, g getter, w *capWriter) error {
	sortBy := a.Flags.Get("sort-by")
	var f cmdutil.Factory
	var ios genericiooptions.IOStreams
	var held *heldWriter
	if sortBy == "" {
		f, ios = cmdutil.NewFactory(g), streams(w)
	} else {
		// kubectl's get never sees --sort-by: its sorter can end the
		// process (sortby.go). Its output is held until the sort is checked.
		held = &heldWriter{max: e.opts.MaxBytes + 1}
		f = cmdutil.NewFactory(objectsGetter{g})
		ios = genericiooptions.IOStreams{In: strings.NewReader(""), Out: held, ErrOut: held}
	}
	o := get.NewGetOptions("kubectl", ios)
	cmd := &cobra.Command{Use: "get"}
	o.PrintFlags.AddFlags(cmd)
	if err := setFlags(cmd, a, "output", "no-headers", "show-labels", "label-columns", "show-kind"); err != nil {
		return err
	}
	o.LabelSelector = a.Flags.Get("selector")
	o.FieldSelector = a.Flags.Get("field-selector")
	o.AllNamespaces = a.AllNamespaces
	o.IgnoreNotFound = a.Flags.Get("ignore-not-found") == "true"
	if v, ok := a.Flags.Lookup("chunk-size"); ok {
		o.ChunkSize, _ = strconv.ParseInt(v, 10, 64)
	}
	if err := o.Complete(f, cmd, a.Operands); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if held == nil {
		return o.Run(f, a.Operands)
	}
	var sortErr error
	field, _ := get.RelaxedJSONPathExpression(sortBy) // checkSortBy accepted it
	o.ChunkSize = 0                                   // one list, sorted whole, as kubectl sorts it
	toPrinter := o.ToPrinter
	o.ToPrinter = func(m *meta.RESTMapping, objects *bool, withNamespace, withKind bool) (printers.ResourcePrinterFunc, error) {
		p, err := toPrinter(m, objects, withNamespace, withKind)
		if err != nil {
			return nil, err
		}
		return sortPrinter{sortBy: sortBy, field: field, next: p, err: &sortErr}.PrintObj, nil
	}
	err := o.Run(f, a.Operands)
	if sortErr != nil {
		return sortErr // nothing is printed of a get that cannot be sorted
	}
	if _, werr := w.Write(held.buf.Bytes()); werr != nil || held.full {
		return werr
	}
	return err
}

func (e *Executor) runDescribe(a Action, g getter, w *capWriter) error {
	f := cmdutil.NewFactory(g)
	settings := &kdescribe.DescriberSettings{ShowEvents: true, ChunkSize: cmdutil.DefaultChunkSize}
	if v, ok := a.Flags.Lookup("show-events"); ok {
		settings.ShowEvents = v == "true"
	}
	if v, ok := a.Flags.Lookup("chunk-size"); ok {
		settings.ChunkSize, _ = strconv.ParseInt(v, 10, 64)
	}
	_, explicit := a.Flags.Lookup("show-events")
	o := &describe.DescribeOptions{
		CmdParent:               "kubectl",
		Selector:                a.Flags.Get("selector"),
		Namespace:               g.namespace,
		Describer:               e.describer,
		NewBuilder:              f.NewBuilder,
		BuilderArgs:             a.Operands,
		EnforceNamespace:        !a.AllNamespaces,
		AllNamespaces:           a.AllNamespaces,
		ShowEventsExplicitlySet: explicit,
		DescriberSettings:       settings,
		FilenameOptions:         &resource.FilenameOptions{},
		IOStreams:               streams(w),
	}
	return o.Run()
}

func runLogs(a Action, g getter, w *capWriter) error {
	f := cmdutil.NewFactory(g)
	o := logs.NewLogsOptions(streams(w))
	cmd := &cobra.Command{Use: "logs"}
	o.AddFlags(cmd)
	err := setFlags(cmd, a, "container", "previous", "tail", "since", "since-time", "timestamps", "all-containers",
		"prefix", "limit-bytes", "max-log-requests", "ignore-errors", "selector")
	if err != nil {
		return err
	}
	if err := o.Complete(f, cmd, a.Operands); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	o.LogsForObject = firstPodLogs(o.LogsForObject, w)
	return readLogs(o)
}

// readLogs reads the logs as kubectl's RunLogs does without --follow, one
// container after the other. RunLogs itself is not called: it installs a
// signal handler that calls os.Exit(1) on SIGINT, SIGTERM, SIGHUP or SIGQUIT
// while logs are read, which would end the whole program.
func readLogs(o *logs.LogsOptions) error {
	// --all-pods and --follow are never set.
	requests, err := o.LogsForObject(o.RESTClientGetter, o.Object, o.Options, o.GetPodTimeout, o.AllContainers)
	if err != nil {
		return err
	}
	for ref, req := range requests {
		out := o.Out
		if o.Prefix && ref.FieldPath != "" && ref.Name != "" {
			container := ""
			if m := containerFieldPath.FindStringSubmatch(ref.FieldPath); len(m) == 2 {
				container = m[1]
			}
			out = &prefixWriter{prefix: []byte(fmt.Sprintf("[pod/%s/%s] ", ref.Name, container)), w: o.Out}
		}
		err := o.ConsumeRequestFn(context.Background(), req, out)
		if err != nil && o.IgnoreLogErrors {
			fmt.Fprint(o.Out, "error: "+err.Error()+"\n")
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// containerFieldPath finds the container name in a log request's field
// path, as kubectl's logs does for --prefix.
var containerFieldPath = regexp.MustCompile(`spec\.(?:initContainers|containers|ephemeralContainers){(.+)}`)

// prefixWriter puts a prefix before each line; the log reader writes one
// line at a time.
type prefixWriter struct {
	prefix []byte
	w      io.Writer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := p.w.Write(append(p.prefix[:len(p.prefix):len(p.prefix)], b...))
	return min(n, len(b)), err
}

// firstPodLogs wraps kubectl's logs lookup so that, for a workload such as
// deploy/web, the pod is chosen here and the "Found N pods, using pod/…"
// notice goes into the action's output: kubectl's own lookup writes it to
// the process's stderr, which would land on the terminal screen.
func firstPodLogs(inner polymorphichelpers.LogsForObjectFunc, w io.Writer) polymorphichelpers.LogsForObjectFunc {
	return func(g genericclioptions.RESTClientGetter, obj, opts runtime.Object, timeout time.Duration, all bool) (map[corev1.ObjectReference]restclient.ResponseWrapper, error) {
		switch obj.(type) {
		case *corev1.Pod, *corev1.PodList:
			return inner(g, obj, opts, timeout, all)
		}
		namespace, selector, err := polymorphichelpers.SelectorsForObject(obj)
		if err != nil {
			return inner(g, obj, opts, timeout, all)
		}
		cfg, err := g.ToRESTConfig()
		if err != nil {
			return nil, err
		}
		cs, err := corev1client.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		byLogging := func(pods []*corev1.Pod) sort.Interface { return podutils.ByLogging(pods) }
		pod, n, err := polymorphichelpers.GetFirstPod(cs, namespace, selector.String(), timeout, byLogging)
		if err != nil {
			return nil, err
		}
		if n > 1 {
			fmt.Fprintf(w, "Found %d pods, using pod/%s\n", n, pod.Name)
		}
		return inner(g, pod, opts, timeout, all)
	}
}

func (e *Executor) runRolloutStatus(a Action, g getter, w *capWriter) error {
	revision, _ := strconv.ParseInt(a.Flags.Get("revision"), 10, 64)
	r := resource.NewBuilder(g).
		Unstructured().
		NamespaceParam(g.namespace).DefaultNamespace().
		LabelSelectorParam(a.Flags.Get("selector")).
		ResourceTypeOrNameArgs(true, a.Operands...).
		ContinueOnError().
		Flatten().
		Do()
	if err := r.Err(); err != nil {
		return err
	}
	found := false
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		found = true
		viewer, err := polymorphichelpers.StatusViewerFn(info.Mapping)
		if err != nil {
			return err
		}
		obj, ok := info.Object.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("unexpected object %T", info.Object)
		}
		status, _, err := viewer.Status(obj, revision)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, status)
		return err
	})
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(w, "No resources found in %s namespace.\n", g.namespace)
	}
	return nil
}

func runRolloutHistory(a Action, g getter, w *capWriter) error {
	f := cmdutil.NewFactory(g)
	o := rollout.NewRolloutHistoryOptions(streams(w))
	o.Revision, _ = strconv.ParseInt(a.Flags.Get("revision"), 10, 64)
	o.LabelSelector = a.Flags.Get("selector")
	o.PrintFlags.OutputFlagSpecified = func() bool { return false }
	if err := o.Complete(f, &cobra.Command{}, a.Operands); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.Run()
}

func runAPIResources(a Action, g getter, w *capWriter) error {
	o := apiresources.NewAPIResourceOptions(streams(w))
	cmd := &cobra.Command{Use: "api-resources"}
	o.PrintFlags.AddFlags(cmd)
	cmd.Flags().StringVar(&o.APIGroup, "api-group", o.APIGroup, "")
	cmd.Flags().BoolVar(&o.Namespaced, "namespaced", o.Namespaced, "")
	cmd.Flags().StringSliceVar(&o.Verbs, "verbs", o.Verbs, "")
	cmd.Flags().StringVar(&o.SortBy, "sort-by", o.SortBy, "")
	cmd.Flags().StringSliceVar(&o.Categories, "categories", o.Categories, "")
	if err := setFlags(cmd, a, "output", "no-headers", "api-group", "namespaced", "verbs", "sort-by", "categories"); err != nil {
		return err
	}
	if err := o.Complete(g, cmd, nil); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.RunAPIResources()
}

func runExplain(a Action, g getter, w *capWriter) error {
	fl := explain.NewExplainFlags(streams(w))
	fl.Recursive = a.Flags.Get("recursive") == "true"
	fl.APIVersion = a.Flags.Get("api-version")
	if v := a.Flags.Get("output"); v != "" {
		fl.OutputFormat = v
	}
	o, err := fl.ToOptions(cmdutil.NewFactory(g), "kubectl", a.Operands)
	if err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.Run()
}

func runCanI(a Action, g getter, w *capWriter) error {
	o := &auth.CanIOptions{
		AllNamespaces: a.AllNamespaces,
		Quiet:         a.Flags.Get("quiet") == "true",
		NoHeaders:     a.Flags.Get("no-headers") == "true",
		Subresource:   a.Flags.Get("subresource"),
		List:          a.Flags.Get("list") == "true",
		IOStreams:     streams(w),
	}
	if err := o.Complete(cmdutil.NewFactory(g), a.Operands); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if o.List {
		return o.RunAccessList()
	}
	_, err := o.RunAccessCheck()
	return err
}

// runVersion prints the client and server versions as kubectl does, without
// kubectl's Kustomize line: kustomize is not part of this program.
func (e *Executor) runVersion(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "Client Version: %s\n", clientVersion)
	body, err := e.cs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return err
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("decode server version: %w", err)
	}
	fmt.Fprintf(w, "Server Version: %s\n", v.GitVersion)
	return nil
}

// clientVersion is the Kubernetes release of the client-go this program is
// built with (client-go v0.37.2 is Kubernetes v1.37.2); a test keeps it in
// step with go.mod.
const clientVersion = "v1.37.2"
