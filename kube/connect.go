package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Conn is a checked connection to one cluster, pinned for the session: the
// context, cluster and user never change after Connect.
type Conn struct {
	// Config is the read-only rest config every client must be built from.
	Config *rest.Config
	// Clientset is a typed client over Config.
	Clientset kubernetes.Interface
	// Context, Cluster and User are the kubeconfig names in use.
	Context string
	Cluster string
	User    string
	// Server is the API server URL.
	Server string
	// Namespace is the namespace from the flags or the kubeconfig context.
	Namespace string
	// ServerVersion is the server's git version, e.g. "v1.37.2".
	ServerVersion string
}

// Connect loads the kubeconfig through getter (normally the command's
// --kubeconfig, --context and -n flags), builds a read-only config and asks
// the server for its version. Every failure comes back as one sentence that
// says what is wrong: no kubeconfig, an invalid kubeconfig file, an unknown
// context, an unreachable server, a TLS failure, rejected credentials or a
// forbidden request.
func Connect(ctx context.Context, getter genericclioptions.RESTClientGetter) (*Conn, error) {
	loader := getter.ToRawKubeConfigLoader()
	raw, rawErr := loader.RawConfig()
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		if rawErr != nil {
			err = rawErr
		}
		return nil, configError(err, raw, getter)
	}
	if rawErr == nil && len(raw.Clusters) == 0 && len(raw.Contexts) == 0 && strings.Contains(cfg.Host, "localhost:8080") {
		// clientcmd's last resort when it found no kubeconfig at all.
		return nil, configError(clientcmd.ErrEmptyConfig, raw, getter)
	}
	c := &Conn{Config: ReadOnlyConfig(cfg), Server: cfg.Host}
	c.Context, c.Cluster, c.User = names(raw, getter)
	if c.Namespace, _, err = loader.Namespace(); err != nil {
		return nil, configError(err, raw, getter)
	}
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, fmt.Errorf("cannot build a client for %s: %w", c.Server, err)
	}
	c.Clientset = cs
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		var st metav1.Status
		if json.Unmarshal(body, &st) == nil && st.Kind == "Status" && st.Message != "" {
			err = &apierrors.StatusError{ErrStatus: st}
		}
		return nil, ServerError(err, c.Server, c.User)
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("the server at %s did not answer like a Kubernetes API server: %w", c.Server, err)
	}
	c.ServerVersion = v.GitVersion
	return c, nil
}

// names returns the context, cluster and user in use, honouring overrides
// given as flags.
func names(raw clientcmdapi.Config, getter genericclioptions.RESTClientGetter) (context, cluster, user string) {
	context = raw.CurrentContext
	f, _ := getter.(*genericclioptions.ConfigFlags)
	if f != nil && f.Context != nil && *f.Context != "" {
		context = *f.Context
	}
	if c := raw.Contexts[context]; c != nil {
		cluster, user = c.Cluster, c.AuthInfo
	}
	if f != nil && f.ClusterName != nil && *f.ClusterName != "" {
		cluster = *f.ClusterName
	}
	if f != nil && f.AuthInfoName != nil && *f.AuthInfoName != "" {
		user = *f.AuthInfoName
	}
	return context, cluster, user
}

var (
	loadFileRe    = regexp.MustCompile(`error loading config file "([^"]+)": (.*)`)
	noContextRe   = regexp.MustCompile(`context "([^"]*)" does not exist`)
	missingFileRe = regexp.MustCompile(`stat ([^:]+): no such file or directory`)
)

// configError turns a kubeconfig loading error into one sentence.
func configError(err error, raw clientcmdapi.Config, getter genericclioptions.RESTClientGetter) error {
	msg := err.Error()
	switch {
	case clientcmd.IsEmptyConfig(err):
		return &sentenceError{msg: "no kubeconfig found: set KUBECONFIG or pass --kubeconfig (the default is ~/.kube/config)", err: err}
	case loadFileRe.MatchString(msg):
		m := loadFileRe.FindStringSubmatch(msg)
		return &sentenceError{msg: fmt.Sprintf("the kubeconfig file %s is not valid: %s", m[1], firstLine(m[2])), err: err}
	case missingFileRe.MatchString(msg):
		return &sentenceError{msg: fmt.Sprintf("the kubeconfig file %s does not exist", missingFileRe.FindStringSubmatch(msg)[1]), err: err}
	case clientcmd.IsContextNotFound(err) || noContextRe.MatchString(msg):
		ctxName, _, _ := names(raw, getter)
		available := make([]string, 0, len(raw.Contexts))
		for name := range raw.Contexts {
			available = append(available, name)
		}
		slices.Sort(available)
		list := "none"
		if len(available) > 0 {
			list = strings.Join(available, ", ")
		}
		return &sentenceError{msg: fmt.Sprintf("context %q is not in the kubeconfig; available contexts: %s", ctxName, list), err: err}
	case clientcmd.IsConfigurationInvalid(err):
		return &sentenceError{msg: "the kubeconfig is not valid: " + firstLine(strings.TrimPrefix(msg, "invalid configuration: ")), err: err}
	}
	return &sentenceError{msg: "cannot load the kubeconfig: " + firstLine(msg), err: err}
}

// ServerError turns an error from a request to the API server at server,
// made as user, into one sentence: unreachable, TLS, 401, 403 or the
// server's own message.
func ServerError(err error, server, user string) error {
	var (
		refused  *RefusedRequestError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		dnsErr   *net.DNSError
		opErr    *net.OpError
		status   apierrors.APIStatus
	)
	who := "the user"
	if user != "" {
		who = fmt.Sprintf("user %q", user)
	}
	s := func(format string, args ...any) error {
		return &sentenceError{msg: fmt.Sprintf(format, args...), err: err}
	}
	switch {
	case errors.As(err, &refused):
		return err
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return s("TLS verification of the API server at %s failed: %s", server, tlsReason(err))
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return s("TLS handshake with the API server at %s failed: it does not speak TLS on that port", server)
	case strings.Contains(err.Error(), "tls: "):
		return s("TLS handshake with the API server at %s failed: %s", server, tlsReason(err))
	case apierrors.IsUnauthorized(err):
		return s("the API server at %s rejected the credentials of %s (401 Unauthorized); log in again or renew them", server, who)
	case apierrors.IsForbidden(err):
		return s("%s is forbidden: %s (403 Forbidden)", who, firstLine(apiMessage(err)))
	case errors.As(err, &dnsErr):
		return s("cannot reach the API server at %s: host %s not found", server, dnsErr.Name)
	case errors.As(err, &opErr) || strings.Contains(err.Error(), "connection refused"):
		return s("cannot reach the API server at %s: %s", server, netReason(err))
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") || strings.Contains(err.Error(), "i/o timeout"):
		return s("cannot reach the API server at %s: no answer before the timeout", server)
	case errors.As(err, &status):
		return s("the API server at %s answered: %s", server, firstLine(apiMessage(err)))
	}
	return s("request to the API server at %s failed: %s", server, firstLine(err.Error()))
}

func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}

func tlsReason(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &unknown):
		return "its certificate is signed by an authority the kubeconfig does not trust"
	case errors.As(err, &hostname):
		return "its certificate is not valid for " + hostname.Host
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		return msg[i+len("tls: "):]
	}
	if i := strings.LastIndex(msg, "x509: "); i >= 0 {
		return msg[i+len("x509: "):]
	}
	return firstLine(msg)
}

func netReason(err error) string {
	msg := err.Error()
	for _, r := range []string{"connection refused", "no route to host", "network is unreachable", "connection reset by peer", "i/o timeout"} {
		if strings.Contains(msg, r) {
			return r
		}
	}
	return firstLine(msg)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// sentenceError is an error whose text is a sentence for the user; it keeps
// the underlying error for errors.Is and errors.As.
type sentenceError struct {
	msg string
	err error
}

func (e *sentenceError) Error() string { return e.msg }
func (e *sentenceError) Unwrap() error { return e.err }
