package kubetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"testing"
)

// AuditEvent is one request of ReadOnlyUser as the API server's audit log
// recorded it. A watch is recorded twice: when its response starts and when it
// ends.
type AuditEvent struct {
	Stage       string // ResponseStarted, ResponseComplete or Panic
	User        string
	UserAgent   string
	Verb        string // get, list, watch, create, delete, ...
	RequestURI  string
	APIGroup    string
	Resource    string // empty for non-resource URLs such as /api
	Subresource string
	Namespace   string
	Name        string
	Decision    string // the authorizer's "allow" or "forbid"
	Code        int    // HTTP status of the response
}

// ReadOnly reports whether the request only read: get, list or watch.
func (e AuditEvent) ReadOnly() bool {
	return e.Verb == "get" || e.Verb == "list" || e.Verb == "watch"
}

// String renders the event as one line, for test failures.
func (e AuditEvent) String() string {
	what := e.RequestURI
	if e.Resource != "" {
		what = e.Resource
		if e.Subresource != "" {
			what += "/" + e.Subresource
		}
		if e.Namespace != "" {
			what = e.Namespace + " " + what
		}
		if e.Name != "" {
			what += " " + e.Name
		}
	}
	return fmt.Sprintf("%s %s %s %s %d", e.User, e.Verb, what, e.Decision, e.Code)
}

// AuditMark returns the current end of the audit log, for AuditSince.
func (c *Cluster) AuditMark() (int64, error) {
	fi, err := os.Stat(c.AuditLog)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit log: %w", err)
	}
	return fi.Size(), nil
}

// AuditSince returns the audit events written after mark. The API server
// writes an event before it responds, so a request that returned is there.
func (c *Cluster) AuditSince(mark int64) ([]AuditEvent, error) {
	f, err := os.Open(c.AuditLog)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(mark, io.SeekStart); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return parseAudit(data)
}

// rawAudit is the part of an audit.k8s.io/v1 Event that AuditEvent keeps.
type rawAudit struct {
	Stage      string `json:"stage"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	UserAgent  string `json:"userAgent"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	Annotations map[string]string `json:"annotations"`
}

// parseAudit parses JSON lines; an unfinished last line is left for later.
func parseAudit(data []byte) ([]AuditEvent, error) {
	var events []AuditEvent
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSpace(data[:i])
		data = data[i+1:]
		if len(line) == 0 {
			continue
		}
		var r rawAudit
		if err := json.Unmarshal(line, &r); err != nil {
			return events, fmt.Errorf("audit log line %q: %w", line, err)
		}
		e := AuditEvent{
			Stage:      r.Stage,
			User:       r.User.Username,
			UserAgent:  r.UserAgent,
			Verb:       r.Verb,
			RequestURI: r.RequestURI,
			Decision:   r.Annotations["authorization.k8s.io/decision"],
		}
		if r.ObjectRef != nil {
			e.APIGroup, e.Resource, e.Subresource = r.ObjectRef.APIGroup, r.ObjectRef.Resource, r.ObjectRef.Subresource
			e.Namespace, e.Name = r.ObjectRef.Namespace, r.ObjectRef.Name
		}
		if r.ResponseStatus != nil {
			e.Code = r.ResponseStatus.Code
		}
		events = append(events, e)
	}
	return events, nil
}

// OnlyReads fails t for every request of ReadOnlyUser since mark that is not
// a read (AuditEvent.ReadOnly), and returns how many requests there were:
// the audit log is the witness that nothing but reads reached the cluster.
func (c *Cluster) OnlyReads(t testing.TB, mark int64) int {
	t.Helper()
	events, err := c.AuditSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if !e.ReadOnly() {
			t.Errorf("the read-only user sent more than a read: %s", e)
		}
	}
	return len(events)
}
