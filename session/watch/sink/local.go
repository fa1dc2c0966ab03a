package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Stdout writes one JSON line per delivery.
type Stdout struct {
	mu sync.Mutex
	w  io.Writer
}

// NewStdout returns a sink writing to w (os.Stdout in the product).
func NewStdout(w io.Writer) *Stdout { return &Stdout{w: w} }

var _ Sender = (*Stdout)(nil)

// Send writes d as one line of JSON.
func (s *Stdout) Send(_ context.Context, d Delivery) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("%w: encode delivery %s: %w", ErrPermanent, d.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write delivery %s to stdout: %w", d.ID, err)
	}
	return nil
}

// Dir writes each delivery as markdown and JSON into a directory, next to
// the snapshot the watcher saved there: NAME.md and NAME.json, NAME being the
// incident id and the state.
type Dir struct{ path string }

// NewDir returns a sink writing into dir, created if missing (mode 0700).
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the incident directory: %w", err)
	}
	return &Dir{path: dir}, nil
}

var _ Sender = (*Dir)(nil)

// Send writes the two files, each atomically.
func (s *Dir) Send(_ context.Context, d Delivery) error {
	name := fileName(d.ID + "." + d.State)
	if d.State == StateUpdated || d.State == StateDigest {
		name += "." + d.SentAt.UTC().Format("150405")
	}
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: encode delivery %s: %w", ErrPermanent, d.ID, err)
	}
	if err := writeAtomic(filepath.Join(s.path, name+".json"), append(js, '\n')); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(s.path, name+".md"), []byte(Text(d)))
}

// fileName keeps letters, digits, dots and dashes.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// Text renders a delivery as markdown: a header, then the report.
func Text(d Delivery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# [%s] %s\n\n", strings.ToUpper(d.State), d.Title)
	fmt.Fprintf(&b, "- urgency: %s\n- incident: %s (fingerprint %s)\n- source: %s\n", d.Urgency, d.ID, d.Fingerprint, d.Source)
	if d.Owner != "" {
		fmt.Fprintf(&b, "- owner: %s\n", d.Owner)
	}
	fmt.Fprintf(&b, "- started: %s\n", d.StartedAt.UTC().Format("2006-01-02 15:04:05 MST"))
	if d.ResolvedAt != nil {
		fmt.Fprintf(&b, "- resolved: %s after %s\n", d.ResolvedAt.UTC().Format("2006-01-02 15:04:05 MST"), durationText(d.DurationSeconds))
	}
	if d.SnapshotHint != "" {
		fmt.Fprintf(&b, "- snapshot: `%s`\n", d.SnapshotHint)
	}
	if a := d.Alert; a != nil {
		fmt.Fprintf(&b, "- alert: %s (%s, %d alerts)\n", a.Name, a.Status, a.Alerts)
		for _, k := range sortedKeys(a.Labels) {
			fmt.Fprintf(&b, "  - %s=%s\n", k, a.Labels[k])
		}
		for _, k := range sortedKeys(a.Annotations) {
			fmt.Fprintf(&b, "  - %s: %s\n", k, a.Annotations[k])
		}
	}
	for _, in := range d.Incidents {
		fmt.Fprintf(&b, "- %s [%s] %s (%s)\n", in.State, in.Urgency, in.Title, in.ID)
	}
	if d.Markdown != "" {
		b.WriteString("\n" + d.Markdown)
	}
	return b.String()
}
