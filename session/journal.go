package session

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// JournalFile is the name of the journal inside a session directory.
const JournalFile = "journal.jsonl"

// outDir holds the full outputs of actions inside a session directory.
const outDir = "out"

// journal appends hash-chained events to journal.jsonl, fsyncing each one.
type journal struct {
	f    *os.File
	dir  string
	seq  int
	last string // hash of the last event
	size int64  // bytes of whole lines written
}

// eventHash returns the hex sha256 of e's JSON with Hash empty.
func eventHash(e Event) (string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode event %d: %w", e.Seq, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// createJournal creates dir (0700) inside its sessions directory (0700) and
// an empty journal (0600) in it; it fails when a journal already exists,
// and refuses directories that are symbolic links or open to other users.
func createJournal(dir string) (*journal, error) {
	if err := prepareRoot(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	if err := makePrivateDir(dir, "the session directory"); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict the session directory %s: %w", dir, err)
	}
	if err := makePrivateDir(filepath.Join(dir, outDir), "the output directory"); err != nil {
		return nil, err
	}
	f, err := openNoFollow(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	syncDir(dir)
	return &journal{f: f, dir: dir}, nil
}

// syncDir makes a new directory entry durable; failures only cost durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// append stamps e with its sequence number and hashes, writes it as one line
// and fsyncs the file. On failure nothing of e remains in the file.
func (j *journal) append(e *Event) error {
	e.Seq = j.seq + 1
	e.Prev = j.last
	h, err := eventHash(*e)
	if err != nil {
		return err
	}
	e.Hash = h
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event %d: %w", e.Seq, err)
	}
	b = append(b, '\n')
	if _, err := j.f.Write(b); err != nil {
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("write journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("sync journal: %w", err)
	}
	j.seq, j.last = e.Seq, h
	j.size += int64(len(b))
	return nil
}

// writeOutput stores the full output of the result event about to be
// appended and returns its relative name and sha256.
func (j *journal) writeOutput(text string) (name, sum string, err error) {
	name = outputName(j.seq + 1)
	path, err := localPath(j.dir, name)
	if err != nil {
		return "", "", fmt.Errorf("create output file: %w", err)
	}
	f, err := openNoFollow(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("create output file: %w", err)
	}
	if _, err = io.WriteString(f, text); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", fmt.Errorf("write output file: %w", err)
	}
	s := sha256.Sum256([]byte(text))
	return filepath.ToSlash(name), hex.EncodeToString(s[:]), nil
}

func (j *journal) close() error {
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// readResult is what reading a journal found.
type readResult struct {
	events []Event
	good   int64 // bytes of whole, valid lines
	torn   int   // bytes of a partial last line, 0 when none
	// problems lists chain breaks; a journal with problems is not resumed.
	problems []string
}

// readJournal reads every event of r, checking the hash chain. A last line
// without its newline that does not decode is reported as torn, not as a
// problem: it is what a process killed in the middle of a write leaves.
func readJournal(r io.Reader) (readResult, error) {
	var res readResult
	br := bufio.NewReaderSize(r, 64*1024)
	prev := ""
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return res, fmt.Errorf("read journal: %w", err)
		}
		complete := bytes.HasSuffix(line, []byte("\n"))
		var e Event
		if derr := json.Unmarshal(bytes.TrimSpace(line), &e); derr != nil {
			if !complete {
				res.torn = len(line)
				return res, nil
			}
			res.problems = append(res.problems, fmt.Sprintf("line %d is not a valid event: %v", n, derr))
			res.good += int64(len(line))
			continue
		}
		if e.Seq != len(res.events)+1 {
			res.problems = append(res.problems, fmt.Sprintf("line %d has sequence number %d, want %d", n, e.Seq, len(res.events)+1))
		}
		if e.Prev != prev {
			res.problems = append(res.problems, fmt.Sprintf("event %d does not follow event %d: the chain is broken", e.Seq, e.Seq-1))
		}
		if h, herr := eventHash(e); herr != nil || h != e.Hash {
			res.problems = append(res.problems, fmt.Sprintf("event %d was changed after it was written (hash mismatch)", e.Seq))
		}
		prev = e.Hash
		res.events = append(res.events, e)
		res.good += int64(len(line))
		if !complete {
			// A whole event whose newline was lost: keep it, the next
			// append starts on a new line.
			res.torn = -1
			return res, nil
		}
	}
}

// openJournal reads dir's journal for resuming. A torn last line is cut off;
// torn says how many bytes were dropped.
func openJournal(dir string) (j *journal, events []Event, torn int, err error) {
	if err := checkSessionDir(dir); err != nil {
		return nil, nil, 0, err
	}
	path := filepath.Join(dir, JournalFile)
	f, err := openNoFollow(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("open journal: %w", err)
	}
	res, err := readJournal(f)
	if err == nil && len(res.problems) > 0 {
		err = fmt.Errorf("journal %s cannot be resumed: %s", path, res.problems[0])
	}
	if err == nil && len(res.events) == 0 {
		err = fmt.Errorf("journal %s holds no events", path)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, 0, err
	}
	switch {
	case res.torn > 0:
		if err := f.Truncate(res.good); err != nil {
			_ = f.Close()
			return nil, nil, 0, fmt.Errorf("cut the partial last line of the journal: %w", err)
		}
		torn = res.torn
	case res.torn < 0:
		if _, err := f.Write([]byte("\n")); err != nil {
			_ = f.Close()
			return nil, nil, 0, fmt.Errorf("repair the last line of the journal: %w", err)
		}
		res.good++
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, nil, 0, fmt.Errorf("sync journal: %w", err)
	}
	last := res.events[len(res.events)-1]
	if err := sweepOutputs(dir, last.Seq); err != nil {
		_ = f.Close()
		return nil, nil, 0, err
	}
	j = &journal{f: f, dir: dir, seq: last.Seq, last: last.Hash, size: res.good}
	return j, res.events, torn, nil
}
