package session

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// StateDir returns the directory holding every session:
// $XDG_STATE_HOME/kuberesponder/sessions, or ~/.local/state/kuberesponder/sessions.
func StateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the session directory: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "kuberesponder", "sessions"), nil
}

// NewID returns a new session id: the UTC start time and 4 random hex digits.
// Ids sort by start time.
func NewID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// List describes every session under root, newest first. A session that
// cannot be read is listed with Err set.
func List(root string) ([]Summary, error) {
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err := checkPrivateDir(root, "the sessions directory"); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	var out []Summary
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(root, d.Name())
		if fi, err := os.Lstat(filepath.Join(dir, JournalFile)); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, summarize(dir))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.After(out[j].Started)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

// summarize reads one session for listing.
func summarize(dir string) Summary {
	s := Summary{ID: filepath.Base(dir), Dir: dir, Phase: PhaseTriage}
	f, err := openNoFollow(filepath.Join(dir, JournalFile), os.O_RDONLY, 0)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	defer f.Close()
	res, err := readJournal(f)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	if len(res.problems) > 0 {
		s.Err = res.problems[0]
	}
	s.Events = len(res.events)
	for _, e := range res.events {
		s.Updated = e.Time
		switch e.Kind {
		case KindStart:
			if e.Meta != nil {
				s.ID, s.Context, s.Namespace, s.Model = e.Meta.ID, e.Meta.Context, e.Meta.Namespace, e.Meta.Model
			}
			s.Started = e.Time
		case KindReport:
			s.Title = e.Title
		case KindPhase:
			s.Phase = e.Phase
		}
	}
	return s
}

// FindDir returns the directory of the session idOrLast names under root:
// "last" (the newest), a full id, or a prefix matching exactly one id.
func FindDir(root, idOrLast string) (string, error) {
	idOrLast = strings.TrimSpace(idOrLast)
	if idOrLast == "" {
		return "", errors.New("name a session id, or \"last\"")
	}
	if strings.ContainsAny(idOrLast, `/\`) || idOrLast == "." || idOrLast == ".." {
		return "", fmt.Errorf("%q is not a session id", idOrLast)
	}
	list, err := List(root)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("there are no saved sessions in %s", root)
	}
	if idOrLast == "last" {
		return list[0].Dir, nil
	}
	var match []Summary
	for _, s := range list {
		name := filepath.Base(s.Dir)
		if name == idOrLast {
			return s.Dir, nil
		}
		if strings.HasPrefix(name, idOrLast) {
			match = append(match, s)
		}
	}
	switch len(match) {
	case 0:
		return "", fmt.Errorf("there is no session %q; `kuberesponder sessions` lists them", idOrLast)
	case 1:
		return match[0].Dir, nil
	}
	return "", fmt.Errorf("%q matches %d sessions; give more of the id", idOrLast, len(match))
}

// Verify checks a session's hash chain and the sha256 of every output file.
// The error is only for a journal that cannot be read at all.
func Verify(dir string) (VerifyReport, error) {
	var rep VerifyReport
	data, err := readLocal(dir, JournalFile)
	if err != nil {
		return rep, fmt.Errorf("verify session %s: %w", filepath.Base(dir), err)
	}
	res, err := readJournal(bytes.NewReader(data))
	if err != nil {
		return rep, fmt.Errorf("verify session %s: %w", filepath.Base(dir), err)
	}
	rep.Events = len(res.events)
	rep.Torn = res.torn > 0
	rep.Problems = res.problems
	if len(res.events) > 0 {
		rep.LastHash = res.events[len(res.events)-1].Hash
		if res.events[0].Kind != KindStart {
			rep.Problems = append(rep.Problems, "the journal does not begin with a start event")
		}
	} else {
		rep.Problems = append(rep.Problems, "the journal holds no events")
	}
	for _, e := range res.events {
		if e.Output == "" {
			continue
		}
		rep.Outputs++
		if !filepath.IsLocal(filepath.FromSlash(e.Output)) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("event %d names an output outside the session: %s", e.Seq, e.Output))
			continue
		}
		b, err := readLocal(dir, e.Output)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("event %d: output %s is missing", e.Seq, e.Output))
			continue
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != e.OutputSHA {
			rep.Problems = append(rep.Problems, fmt.Sprintf("event %d: output %s was changed after it was written", e.Seq, e.Output))
		}
	}
	return rep, nil
}

// compactJSON checks and compacts a JSON document so that it hashes the
// same after a round trip.
func compactJSON(b []byte) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return json.RawMessage(buf.Bytes()), nil
}

// titleOf is the headline of a first response's findings JSON (Title of
// DecodeFindings), "" when there are none or they cannot be read.
func titleOf(findings json.RawMessage) string {
	if len(bytes.TrimSpace(findings)) == 0 {
		return ""
	}
	rep, err := DecodeFindings(findings)
	if err != nil {
		return ""
	}
	return clip(Title(rep), 120)
}
