// Package snapshot captures what the first response and the read-only verbs
// need from a cluster into one file, and answers from that file with no
// cluster at all.
//
// A snapshot is one gzip'd JSON document (File): discovery, the server
// version, the triage facts, the objects kubectl's get, describe, logs and
// events read, the log tails of failing containers, and what could not be
// captured (Gaps). Secret values are never captured (names, types, keys and
// sizes only); ConfigMap values are replaced by their sizes, since
// configuration often embeds credentials no pattern recognises; every other
// string passes the redactor before it is written.
//
// A Snapshot answers through the live engine: Runner is a kube.Executor over
// RESTConfig, an in-memory, GET-only API server built from the file, which
// serves discovery, objects (as Tables with the API server's columns when
// asked), node Leases and the captured logs. Outputs, errors, redaction and
// the model's budget are therefore those of a live run; ages are relative to
// now, as kubectl's describe and events print them. A question the snapshot
// holds no data for (metrics, permissions, kinds or logs not captured) is
// answered with a sentence naming the command and the capture time.
package snapshot

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// FormatVersion is the version of the File layout. Load refuses files of
// another version with a sentence saying which version it can read.
const FormatVersion = 1

// maxFileSize bounds what Load reads after decompression.
const maxFileSize = 512 << 20

// File is the document a snapshot file holds.
type File struct {
	// Version is FormatVersion at capture time.
	Version int `json:"version"`
	// Captured is when the capture started; it is the clock of every AGE the
	// snapshot prints.
	Captured time.Time `json:"captured"`
	// Context, Cluster and Server name where the snapshot was taken.
	Context string `json:"context,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	Server  string `json:"server,omitempty"`
	// Namespace is the namespace captured; empty means all namespaces.
	// Cluster-scoped objects (nodes, PVs, storage classes, namespaces) are
	// always captured.
	Namespace string `json:"namespace,omitempty"`
	// DefaultNamespace is the namespace of the kubeconfig context, used when
	// a verb names none.
	DefaultNamespace string `json:"defaultNamespace,omitempty"`
	// ServerVersion is the API server's /version.
	ServerVersion *version.Info `json:"serverVersion,omitempty"`
	// Groups and Resources are the server's discovery information (preferred
	// versions), answering api-versions and api-resources and resolving the
	// resource names the verbs are given.
	Groups    *metav1.APIGroupList      `json:"groups,omitempty"`
	Resources []*metav1.APIResourceList `json:"resources,omitempty"`
	// Facts is what the first response gathered, for the report.
	Facts *triage.Facts `json:"facts,omitempty"`
	// Objects are the objects the read verbs answer from.
	Objects Objects `json:"objects"`
	// Logs are the recent log tails of failing containers.
	Logs []ContainerLog `json:"logs,omitempty"`
	// Gaps names what could not be captured and why.
	Gaps []string `json:"gaps,omitempty"`
	// Redactions counts the values the redactor removed at capture.
	Redactions int `json:"redactions"`
}

// Objects holds the captured API objects, kind by kind, managedFields dropped.
type Objects struct {
	Namespaces             []corev1.Namespace             `json:"namespaces,omitempty"`
	Nodes                  []corev1.Node                  `json:"nodes,omitempty"`
	Pods                   []corev1.Pod                   `json:"pods,omitempty"`
	Events                 []corev1.Event                 `json:"events,omitempty"`
	Services               []corev1.Service               `json:"services,omitempty"`
	EndpointSlices         []discoveryv1.EndpointSlice    `json:"endpointSlices,omitempty"`
	PersistentVolumeClaims []corev1.PersistentVolumeClaim `json:"persistentVolumeClaims,omitempty"`
	PersistentVolumes      []corev1.PersistentVolume      `json:"persistentVolumes,omitempty"`
	StorageClasses         []storagev1.StorageClass       `json:"storageClasses,omitempty"`
	ConfigMaps             []corev1.ConfigMap             `json:"configMaps,omitempty"`
	Secrets                []Secret                       `json:"secrets,omitempty"`
	ResourceQuotas         []corev1.ResourceQuota         `json:"resourceQuotas,omitempty"`
	LimitRanges            []corev1.LimitRange            `json:"limitRanges,omitempty"`
	Deployments            []appsv1.Deployment            `json:"deployments,omitempty"`
	ReplicaSets            []appsv1.ReplicaSet            `json:"replicaSets,omitempty"`
	StatefulSets           []appsv1.StatefulSet           `json:"statefulSets,omitempty"`
	DaemonSets             []appsv1.DaemonSet             `json:"daemonSets,omitempty"`
	Jobs                   []batchv1.Job                  `json:"jobs,omitempty"`
	// Leases are the node heartbeats (namespace kube-node-lease) that
	// describe node shows.
	Leases []coordinationv1.Lease `json:"leases,omitempty"`
}

// Secret is all a snapshot keeps of a Secret: its metadata, its type and the
// size of each value. It has no field that could hold a value.
type Secret struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Type     corev1.SecretType `json:"type,omitempty"`
	// Keys maps each data key to the size of its value in bytes.
	Keys map[string]int `json:"keys,omitempty"`
}

// ContainerLog is the captured tail of one container's log.
type ContainerLog struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	// Previous is true for the log of the previous (terminated) instance.
	Previous bool `json:"previous,omitempty"`
	// Lines is the redacted tail, one entry per log line.
	Lines []string `json:"lines,omitempty"`
	// Error is the server's answer when the log could not be read.
	Error string `json:"error,omitempty"`
}

// Snapshot is a loaded snapshot file, ready to answer.
type Snapshot struct {
	file  *File
	store *store
}

//go:embed demo/seed.snapshot.json.gz
var demoSnapshot []byte

// Load reads a snapshot file.
func Load(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	return s, nil
}

// LoadEmbeddedDemo loads the snapshot of the seed incident built into the binary.
func LoadEmbeddedDemo() (*Snapshot, error) {
	s, err := Read(bytes.NewReader(demoSnapshot))
	if err != nil {
		return nil, fmt.Errorf("read the built-in demo snapshot: %w", err)
	}
	return s, nil
}

// Read decodes a snapshot from gzip'd JSON.
func Read(r io.Reader) (*Snapshot, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, errors.New("not a kuberesponder snapshot (not gzip data)")
	}
	defer zr.Close()
	var f File
	dec := json.NewDecoder(io.LimitReader(zr, maxFileSize))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a kuberesponder snapshot: %w", err)
	}
	return Open(&f)
}

// Open makes a Snapshot of a File already in memory.
func Open(f *File) (*Snapshot, error) {
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("snapshot format version %d is not supported; this build reads version %d", f.Version, FormatVersion)
	}
	if f.Captured.IsZero() {
		return nil, errors.New("the snapshot has no capture time")
	}
	if f.Facts != nil && f.Facts.Version != triage.FactsVersion {
		return nil, fmt.Errorf("the snapshot's facts have layout version %d; this build reads version %d", f.Facts.Version, triage.FactsVersion)
	}
	return &Snapshot{file: f, store: newStore(f)}, nil
}

// Write encodes f as gzip'd JSON.
func (f *File) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	enc := json.NewEncoder(zw)
	if err := enc.Encode(f); err != nil {
		zw.Close()
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// File returns the decoded document.
func (s *Snapshot) File() *File { return s.file }

// Facts returns what the first response gathered when the snapshot was taken.
func (s *Snapshot) Facts() *triage.Facts { return s.file.Facts }

// Captured returns when the snapshot was taken.
func (s *Snapshot) Captured() time.Time { return s.file.Captured }

// Describe says what the snapshot is, for a header:
// "snapshot of prod-eu taken 2026-11-28 18:40 UTC".
func (s *Snapshot) Describe() string {
	name := s.file.Context
	if name == "" {
		name = s.file.Cluster
	}
	if name == "" {
		name = "a cluster"
	}
	if s.file.Namespace != "" {
		name += " (namespace " + s.file.Namespace + ")"
	}
	return "snapshot of " + name + " taken " + stamp(s.file.Captured)
}

// stamp renders a capture time the way headers and sentences show it.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }
