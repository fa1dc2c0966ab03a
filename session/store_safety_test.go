package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnsafeStorageIsRefused plants symbolic links and open permissions
// where the session keeps its files; each must be refused with a sentence
// naming the place and the fix, and nothing may be written through a link.
func TestUnsafeStorageIsRefused(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares base (a private temporary directory) and returns
		// the session directory to start or resume and the target a link
		// points at, whose content must not change.
		setup  func(t *testing.T, base string) (dir, target string)
		resume bool
		want   []string // in the error
	}{
		{name: "sessions directory is a symlink", want: []string{"is a symbolic link", "sessions"},
			setup: func(t *testing.T, base string) (string, string) {
				real := filepath.Join(base, "real")
				os.Mkdir(real, 0o700)
				link := filepath.Join(base, "sessions")
				os.Symlink(real, link)
				return filepath.Join(link, "s1"), ""
			}},
		{name: "sessions directory writable by others", want: []string{"writable by other users", "chmod 700 "},
			setup: func(t *testing.T, base string) (string, string) {
				root := filepath.Join(base, "sessions")
				os.Mkdir(root, 0o700)
				os.Chmod(root, 0o777)
				return filepath.Join(root, "s1"), ""
			}},
		{name: "sessions directory writable by the group", want: []string{"chmod 700 "},
			setup: func(t *testing.T, base string) (string, string) {
				root := filepath.Join(base, "sessions")
				os.Mkdir(root, 0o700)
				os.Chmod(root, 0o770)
				return filepath.Join(root, "s1"), ""
			}},
		{name: "session directory is a symlink", want: []string{"the session directory", "symbolic link"},
			setup: func(t *testing.T, base string) (string, string) {
				root := filepath.Join(base, "sessions")
				os.Mkdir(root, 0o700)
				elsewhere := filepath.Join(base, "elsewhere")
				os.Mkdir(elsewhere, 0o700)
				os.Symlink(elsewhere, filepath.Join(root, "s1"))
				return filepath.Join(root, "s1"), ""
			}},
		{name: "output directory is a symlink", want: []string{"output directory", "symbolic link"},
			setup: func(t *testing.T, base string) (string, string) {
				root := filepath.Join(base, "sessions")
				dir := filepath.Join(root, "s1")
				os.MkdirAll(dir, 0o700)
				elsewhere := filepath.Join(base, "elsewhere")
				os.Mkdir(elsewhere, 0o700)
				os.Symlink(elsewhere, filepath.Join(dir, outDir))
				return dir, ""
			}},
		{name: "journal is a symlink", want: []string{"journal"},
			setup: func(t *testing.T, base string) (string, string) {
				root := filepath.Join(base, "sessions")
				dir := filepath.Join(root, "s1")
				os.MkdirAll(dir, 0o700)
				target := filepath.Join(base, "victim")
				os.WriteFile(target, []byte("keep me\n"), 0o600)
				os.Symlink(target, filepath.Join(dir, JournalFile))
				return dir, target
			}},
		{name: "resume: journal is a symlink", resume: true, want: []string{"journal"},
			setup: func(t *testing.T, base string) (string, string) {
				_, dir := closedSession(t, base)
				target := filepath.Join(base, "victim")
				os.Rename(filepath.Join(dir, JournalFile), target)
				os.Symlink(target, filepath.Join(dir, JournalFile))
				return dir, target
			}},
		{name: "resume: sessions directory opened to others", resume: true, want: []string{"writable by other users", "chmod 700 "},
			setup: func(t *testing.T, base string) (string, string) {
				root, dir := closedSession(t, base)
				os.Chmod(root, 0o757)
				return dir, ""
			}},
		{name: "resume: session directory replaced by a symlink", resume: true, want: []string{"the session directory", "symbolic link"},
			setup: func(t *testing.T, base string) (string, string) {
				_, dir := closedSession(t, base)
				moved := filepath.Join(base, "moved")
				os.Rename(dir, moved)
				os.Symlink(moved, dir)
				return dir, ""
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			dir, target := tt.setup(t, base)
			var before []byte
			if target != "" {
				before, _ = os.ReadFile(target)
			}
			var err error
			if tt.resume {
				var s *Session
				if s, err = Open(dir, Options{}); err == nil {
					s.Close()
				}
			} else {
				var s *Session
				if s, err = New(dir, Meta{Model: "offline"}, Options{}); err == nil {
					s.Close()
				}
			}
			if err == nil {
				t.Fatal("unsafe storage was accepted")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("error is not one line: %q", msg)
			}
			if target != "" {
				if after, _ := os.ReadFile(target); string(after) != string(before) {
					t.Errorf("the link target was written: %q", after)
				}
			}
		})
	}
}

// closedSession starts and closes session s1 in base/sessions; it returns
// the sessions directory and the session's.
func closedSession(t *testing.T, base string) (root, dir string) {
	t.Helper()
	root = filepath.Join(base, "sessions")
	dir = filepath.Join(root, "s1")
	s, err := New(dir, Meta{Model: "offline"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return root, dir
}

// TestListRefusesUnsafeSessionsDirectory: listing, finding, exporting and
// verifying read through List, which checks the directory first.
func TestListRefusesUnsafeSessionsDirectory(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "sessions")
	s, err := New(filepath.Join(root, "20250102-150405-abcd"), Meta{Model: "offline"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := FindDir(root, "last"); err != nil {
		t.Fatalf("private directory: %v", err)
	}
	os.Chmod(root, 0o777)
	if _, err := FindDir(root, "last"); err == nil || !strings.Contains(err.Error(), "chmod 700 "+root) {
		t.Errorf("FindDir on a world-writable directory: %v", err)
	}
	os.Chmod(root, 0o700)
	link := filepath.Join(base, "link")
	os.Symlink(root, link)
	if _, err := List(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("List through a symlink: %v", err)
	}
}

// TestOutputFilesAreNotFollowed: an output file name that a link already
// holds is refused rather than written through, and Verify does not read
// through a link either.
func TestOutputFilesAreNotFollowed(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, _ := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "a")))
	step, _ = s.Approve(step.CallID, false)
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep me\n"), 0o600)
	next := filepath.Join(s.Dir(), outDir, "0007.txt") // the result will be event 7
	if n := len(s.Events()) + 1; n != 7 {
		t.Fatalf("the result would be event %d", n)
	}
	os.Symlink(victim, next)
	if _, err := s.ActionDone(step.CallID, fakeResult("web 1/1\n"), nil); err == nil {
		t.Error("an output was written through a symbolic link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
		t.Errorf("victim now holds %q", b)
	}
	if got := s.OutputPath(Event{Output: "../../etc/passwd"}); got != "" {
		t.Errorf("OutputPath of a name outside the session = %q", got)
	}
}
