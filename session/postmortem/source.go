package postmortem

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kuberesponder/kuberesponder/session"
)

// Dir is a session read from its directory without opening it for writing:
// exporting never changes a journal, works while the session is still
// running elsewhere, and still works when the hash chain is broken (the
// export then says so).
type Dir struct {
	dir    string
	meta   session.Meta
	events []session.Event
}

var _ Source = (*Dir)(nil)

// ReadDir reads the journal in dir. Lines that do not decode are skipped;
// Verify reports them.
func ReadDir(dir string) (*Dir, error) {
	f, err := os.Open(filepath.Join(dir, session.JournalFile))
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", filepath.Base(dir), err)
	}
	defer f.Close()
	d := &Dir{dir: dir}
	br := bufio.NewReaderSize(f, 64*1024)
	for {
		line, err := br.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			var e session.Event
			if json.Unmarshal(line, &e) == nil {
				if e.Kind == session.KindStart && e.Meta != nil {
					d.meta = *e.Meta
				}
				d.events = append(d.events, e)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read session %s: %w", filepath.Base(dir), err)
		}
	}
	if len(d.events) == 0 {
		return nil, fmt.Errorf("read session %s: the journal holds no events", filepath.Base(dir))
	}
	return d, nil
}

// Snapshot copies what an export needs from src, so that the export can run
// in another goroutine while the session goes on: call it where the session
// lives (the screen's Update), then Export the snapshot from a command.
func Snapshot(src Source) *Dir {
	return &Dir{dir: src.Dir(), meta: src.Meta(), events: src.Events()}
}

// Meta returns the session's description from its start event.
func (d *Dir) Meta() session.Meta { return d.meta }

// Dir returns the session directory.
func (d *Dir) Dir() string { return d.dir }

// Events returns the journal's events.
func (d *Dir) Events() []session.Event { return append([]session.Event(nil), d.events...) }

// OutputPath returns the path of a result's full output, "" when it has none.
// A name that would leave the session directory is refused.
func (d *Dir) OutputPath(e session.Event) string {
	if e.Output == "" || !filepath.IsLocal(filepath.FromSlash(e.Output)) {
		return ""
	}
	return filepath.Join(d.dir, filepath.FromSlash(e.Output))
}
