package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/kube/snapshot"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/postmortem"
)

// gatherTimeout and modelTimeout bound the two slow steps of a first response.
const (
	gatherTimeout = 60 * time.Second
	modelTimeout  = 3 * time.Minute
)

// source is where a session's facts and actions come from: a live cluster
// or a snapshot.
type source struct {
	meta   session.Meta
	runner session.Runner
	// gather returns the facts; for a snapshot they are the captured ones.
	gather func(ctx context.Context) (*triage.Facts, error)
}

// openSource connects to the cluster, or loads the snapshot or the demo.
func openSource(ctx context.Context, o *rootOptions) (*source, error) {
	if o.demo || o.snapshot != "" {
		var snap *snapshot.Snapshot
		var err error
		if o.demo {
			snap, err = snapshot.LoadEmbeddedDemo()
		} else {
			snap, err = snapshot.Load(o.snapshot)
		}
		if err != nil {
			return nil, err
		}
		return snapshotSource(snap, o)
	}
	conn, err := kube.Connect(ctx, o.kube)
	if err != nil {
		return nil, err
	}
	ns := conn.Namespace
	if o.allNamespaces {
		ns = ""
	}
	exec, err := kube.NewExecutor(conn.Config, kube.ExecOptions{Namespace: conn.Namespace})
	if err != nil {
		return nil, err
	}
	return &source{
		meta: session.Meta{
			Context: conn.Context, Cluster: conn.Cluster, Server: conn.Server,
			User: conn.User, Namespace: ns,
		},
		runner: exec,
		gather: func(ctx context.Context) (*triage.Facts, error) {
			return gatherIn(ctx, conn, ns)
		},
	}, nil
}

// gatherIn gathers the facts of one namespace of a live cluster, or of all
// when ns is "", within gatherTimeout.
func gatherIn(ctx context.Context, conn *kube.Conn, ns string) (*triage.Facts, error) {
	ctx, cancel := context.WithTimeout(ctx, gatherTimeout)
	defer cancel()
	cs, err := listClient(conn)
	if err != nil {
		return nil, err
	}
	return triage.Gather(ctx, cs, triage.Options{Namespace: ns})
}

// listClient returns a clientset for gathering: protobuf lists thousands of
// pods about a third faster than JSON, and the copy keeps the connection's
// read-only transport.
func listClient(conn *kube.Conn) (kubernetes.Interface, error) {
	cfg := rest.CopyConfig(conn.Config)
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build a client for %s: %w", conn.Server, err)
	}
	return cs, nil
}

func snapshotSource(snap *snapshot.Snapshot, o *rootOptions) (*source, error) {
	f := snap.File()
	r, err := snap.Runner(kube.ExecOptions{Namespace: snap.DefaultNamespace()})
	if err != nil {
		return nil, err
	}
	if snap.Facts() == nil {
		return nil, errors.New("the snapshot holds no gathered facts: take it again with kuberesponder snapshot")
	}
	return &source{
		meta: session.Meta{
			Context: f.Context, Cluster: f.Cluster, Server: f.Server,
			User: localUser(), Namespace: f.Namespace, Snapshot: snap.Describe(),
		},
		runner: r,
		gather: func(context.Context) (*triage.Facts, error) { return snap.Facts(), nil },
	}, nil
}

// modelClient returns the model, or nil when the session runs offline.
func modelClient(o *rootOptions) (llm.Client, error) {
	if o.offline {
		return nil, nil
	}
	key := os.Getenv(llm.DefaultKeyName)
	if key == "" && o.demo {
		return nil, nil // the demo runs offline unless a key is set
	}
	return llm.NewOpenAI(llm.Config{APIKey: key, BaseURL: o.baseURL, Model: o.model})
}

// firstResponse builds the triage report from the facts and, when a model is
// configured, asks it for its own six sections grounded by the findings.
func firstResponse(ctx context.Context, src *source, model llm.Client, o *rootOptions) (session.FirstResponse, []triage.Finding, error) {
	facts, err := src.gather(ctx)
	if err != nil {
		return session.FirstResponse{}, nil, err
	}
	rep := triage.Build(facts).In(o.lang)
	js, err := rep.JSON()
	if err != nil {
		return session.FirstResponse{}, nil, err
	}
	fr := session.FirstResponse{Markdown: rep.Markdown(o.lang), Findings: js, Title: session.Title(rep)}
	if model != nil {
		// The rule report stands on its own; the model's failure is said in it.
		ans := askModel(ctx, model, o.model, rep, o.lang)
		fr.ModelText = ans.Text
		if ans.Error != "" {
			fr.ModelText = session.PhraseModelFirstFailed.In(o.lang, ans.Error)
		}
	}
	return fr, rep.Findings, nil
}

// findingsOf decodes the findings recorded in a session's first response
// (session.DecodeFindings); none when there is no report or it cannot be read.
func findingsOf(s *session.Session) []triage.Finding {
	for _, e := range s.Events() {
		if e.Kind == session.KindReport && len(e.Findings) > 0 {
			if rep, err := session.DecodeFindings(e.Findings); err == nil {
				return rep.Findings
			}
		}
	}
	return nil
}

// offlineClient is the offline responder of a session whose findings arrive
// with the first response, after the screen has started.
type offlineClient struct {
	lang    string
	journal session.Outcomes
	mu      sync.Mutex
	c       *session.Offline
}

func (o *offlineClient) set(findings []triage.Finding) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.c = session.NewOffline(findings, o.lang).For(o.journal)
}

// Complete answers with the offline responder.
func (o *offlineClient) Complete(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Reply, error) {
	o.mu.Lock()
	c := o.c
	o.mu.Unlock()
	if c == nil {
		c = session.NewOffline(nil, o.lang).For(o.journal)
	}
	return c.Complete(ctx, req, onDelta)
}

// openSession starts a new session or resumes one.
func openSession(o *rootOptions, meta session.Meta) (*session.Session, error) {
	root, err := session.StateDir()
	if err != nil {
		return nil, err
	}
	if o.resume != "" {
		dir, err := session.FindDir(root, o.resume)
		if err != nil {
			return nil, err
		}
		return session.Open(dir, session.Options{})
	}
	meta.ID = session.NewID(time.Now())
	return session.New(filepath.Join(root, meta.ID), meta, session.Options{})
}

// exporter writes the session's postmortem next to its journal.
func exporter(s *session.Session, model llm.Client, o *rootOptions) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		x := postmortem.Exporter{Model: model, ModelName: o.model, Redactor: redact.StripRedactor{R: redact.New()}}
		src, err := postmortem.ReadDir(s.Dir())
		if err != nil {
			return "", err
		}
		return x.Export(ctx, src)
	}
}

// localUser names the operator of a snapshot session, where no kube user applies.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}
