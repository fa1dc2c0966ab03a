package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateVersion is the layout of the state file.
const stateVersion = 1

// stateFile keeps the incidents delivered and not yet resolved, so that a
// restarted watcher does not deliver them again.
type stateFile struct {
	Version   int        `json:"version"`
	Incidents []Incident `json:"incidents"`
}

// loadState reads the incidents saved in path; a missing file is no incident.
func loadState(path string) ([]Incident, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the watch state: %w", err)
	}
	var s stateFile
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read the watch state %s: %w", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("read the watch state %s: version %d, want %d", path, s.Version, stateVersion)
	}
	return s.Incidents, nil
}

// saveState writes the incidents atomically (mode 0600).
func saveState(path string, incidents []Incident) error {
	b, err := json.MarshalIndent(stateFile{Version: stateVersion, Incidents: incidents}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the watch state: %w", err)
	}
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
