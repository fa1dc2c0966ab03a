package session

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The session's files are opened with noFollow (O_NOFOLLOW where the
// platform has it): a symbolic link planted where a journal or an output
// file belongs is refused rather than written through.

// checkPrivateDir refuses a directory that is a symbolic link, not a
// directory, or writable by users other than its owner; what names it in
// the one-sentence error ("the sessions directory").
func checkPrivateDir(path, what string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("check %s %s: %w", what, path, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %s is a symbolic link, which kuberesponder does not follow; "+
			"replace it with a real directory (rm %s && mkdir -m 700 %s) or point XDG_STATE_HOME elsewhere", what, path, path, path)
	case !fi.IsDir():
		return fmt.Errorf("%s %s is not a directory; move it away and run kuberesponder again", what, path)
	case checkPerm && fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s %s is writable by other users (mode %04o); run chmod 700 %s", what, path, fi.Mode().Perm(), path)
	}
	return nil
}

// makePrivateDir creates path (0700) when it does not exist, then checks it
// with checkPrivateDir.
func makePrivateDir(path, what string) error {
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s %s: %w", what, path, err)
	}
	return checkPrivateDir(path, what)
}

// prepareRoot creates the sessions directory root (0700, with its
// parents) and refuses one that is a symbolic link or open to others.
func prepareRoot(root string) error {
	if err := os.MkdirAll(filepath.Dir(root), 0o700); err != nil {
		return fmt.Errorf("create the sessions directory %s: %w", root, err)
	}
	return makePrivateDir(root, "the sessions directory")
}

// checkSessionDir checks the sessions directory holding dir, dir itself and
// its output directory when there is one.
func checkSessionDir(dir string) error {
	if err := checkPrivateDir(filepath.Dir(dir), "the sessions directory"); err != nil {
		return err
	}
	if err := checkPrivateDir(dir, "the session directory"); err != nil {
		return err
	}
	out := filepath.Join(dir, outDir)
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return checkPrivateDir(out, "the output directory")
}

// openNoFollow opens a file of a session without following a symbolic link.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag|noFollow, perm)
}

// localPath joins a name the journal holds to the session directory; a name
// that would leave the directory is refused.
func localPath(dir, name string) (string, error) {
	n := filepath.FromSlash(name)
	if !filepath.IsLocal(n) {
		return "", fmt.Errorf("%s is not inside the session directory", name)
	}
	return filepath.Join(dir, n), nil
}

// readLocal reads the file name of the session directory dir without
// following a symbolic link.
func readLocal(dir, name string) ([]byte, error) {
	path, err := localPath(dir, name)
	if err != nil {
		return nil, err
	}
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	return io.ReadAll(f)
}

// OpenOutput opens a result's full output file (a path from OutputPath) for
// reading, without following a symbolic link.
func OpenOutput(path string) (*os.File, error) {
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("open output %s: %w", filepath.Base(path), err)
	}
	return f, nil
}
