package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// stateVersion is the layout of the state file. Version 1 files written
// before alert groups were kept read as having none open.
const stateVersion = 1

// stateFile keeps the incidents delivered and not yet resolved and the
// Alertmanager groups delivered and not yet resolved, so that a restarted
// watcher delivers neither again and can still close them.
type stateFile struct {
	Version     int          `json:"version"`
	Incidents   []Incident   `json:"incidents"`
	AlertGroups []AlertGroup `json:"alertGroups,omitempty"`
}

// AlertGroup is an Alertmanager group delivered as firing and not resolved.
type AlertGroup struct {
	// ID names the occurrence (fingerprint and start); Fingerprint is the
	// hash of the receiver and the group key.
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
	// Started is the earliest startsAt of its alerts.
	Started time.Time `json:"started"`
	// Alerts are the firing alerts' fingerprints last delivered, sorted and
	// joined with commas.
	Alerts string `json:"alerts"`
	// Snapshot is the file of the cluster state saved when it fired.
	Snapshot string `json:"snapshot,omitempty"`
}

// State is the watcher's state file, shared by the incident tracker and the
// Alertmanager receiver: each saves its part and the file holds both.
type State struct {
	path string
	mu   sync.Mutex
	s    stateFile
	// written is the content last saved, not written again.
	written []byte
}

// OpenState reads dir/state.json; a missing file is an empty state. A nil
// *State keeps nothing (every method is a no-op), for tests.
func OpenState(dir string) (*State, error) {
	path := filepath.Join(dir, "state.json")
	st := &State{path: path, s: stateFile{Version: stateVersion}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the watch state: %w", err)
	}
	if err := json.Unmarshal(b, &st.s); err != nil {
		return nil, fmt.Errorf("read the watch state %s: %w", path, err)
	}
	if st.s.Version != stateVersion {
		return nil, fmt.Errorf("read the watch state %s: version %d, want %d", path, st.s.Version, stateVersion)
	}
	return st, nil
}

// Incidents returns the incidents saved as delivered.
func (st *State) Incidents() []Incident {
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]Incident(nil), st.s.Incidents...)
}

// AlertGroups returns the Alertmanager groups saved as open.
func (st *State) AlertGroups() []AlertGroup {
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]AlertGroup(nil), st.s.AlertGroups...)
}

// SaveIncidents replaces the incidents and writes the file.
func (st *State) SaveIncidents(in []Incident) error {
	return st.save(func(s *stateFile) { s.Incidents = in })
}

// SaveAlertGroups replaces the open alert groups and writes the file.
func (st *State) SaveAlertGroups(gs []AlertGroup) error {
	return st.save(func(s *stateFile) { s.AlertGroups = gs })
}

// save applies set to the state and writes it atomically (mode 0600). The
// watcher saves after every evaluation: content already on disk is not
// written again.
func (st *State) save(set func(*stateFile)) error {
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	set(&st.s)
	b, err := json.MarshalIndent(st.s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the watch state: %w", err)
	}
	if bytes.Equal(b, st.written) {
		return nil
	}
	if err := writeState(st.path, b); err != nil {
		return err
	}
	st.written = b
	return nil
}

// writeState replaces path with b through a synced temporary file.
func writeState(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return fmt.Errorf("save the watch state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save the watch state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save the watch state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save the watch state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save the watch state: %w", err)
	}
	return nil
}
