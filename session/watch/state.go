package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// OpenState reads dir/state.json; a missing file is an empty state.
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

// memoryState is a state kept in memory only, never written.
func memoryState() *State {
	return &State{s: stateFile{Version: stateVersion}}
}

// Incidents returns the incidents saved as delivered.
func (st *State) Incidents() []Incident {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]Incident(nil), st.s.Incidents...)
}

// AlertGroups returns the Alertmanager groups saved as open.
func (st *State) AlertGroups() []AlertGroup {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]AlertGroup(nil), st.s.AlertGroups...)
}

// SaveIncidents replaces the incidents and writes the file.
func (st *State) SaveIncidents(in []Incident) error {
	return st.save(func(s *stateFile) { s.Incidents = in })
}

// AlertGroup returns the open group of fingerprint fp.
func (st *State) AlertGroup(fp string) (AlertGroup, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	i, ok := st.alertGroup(fp)
	if !ok {
		return AlertGroup{}, false
	}
	return st.s.AlertGroups[i], true
}

// PutAlertGroup keeps g open, in the place of the group of its fingerprint,
// and writes the file.
func (st *State) PutAlertGroup(g AlertGroup) error {
	return st.save(func(s *stateFile) {
		if i, ok := st.alertGroup(g.Fingerprint); ok {
			s.AlertGroups[i] = g
		} else {
			s.AlertGroups = slices.Insert(s.AlertGroups, i, g)
		}
	})
}

// DropAlertGroup closes the group of fingerprint fp and writes the file.
func (st *State) DropAlertGroup(fp string) error {
	return st.save(func(s *stateFile) {
		if i, ok := st.alertGroup(fp); ok {
			s.AlertGroups = slices.Delete(s.AlertGroups, i, i+1)
		}
	})
}

// alertGroup finds fp among the groups, kept sorted by fingerprint; st.mu
// is held.
func (st *State) alertGroup(fp string) (int, bool) {
	return slices.BinarySearchFunc(st.s.AlertGroups, fp, func(g AlertGroup, fp string) int {
		return strings.Compare(g.Fingerprint, fp)
	})
}

// save applies set to the state and writes it atomically (mode 0600),
// unless it is kept in memory only. The watcher saves after every
// evaluation: content already on disk is not written again.
func (st *State) save(set func(*stateFile)) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	set(&st.s)
	b, err := json.MarshalIndent(st.s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the watch state: %w", err)
	}
	if st.path == "" || bytes.Equal(b, st.written) {
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
