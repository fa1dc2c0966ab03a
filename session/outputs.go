package session

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// outputName is the name, relative to the session directory, of the full
// output of the result event numbered seq: out/0012.txt.
func outputName(seq int) string {
	return filepath.ToSlash(filepath.Join(outDir, fmt.Sprintf("%04d.txt", seq)))
}

// stagedPattern names the files an Engine writes an output to before the
// result event that names it is appended.
const stagedPattern = "run-*.tmp"

// sweepOutputs removes from dir/out/ what no event of a journal ending at
// event last names: outputs staged by a run whose result was never
// journaled, and an output linked to the number of a result event that was
// never appended (the process died between the two). Both belong to a call
// the resumed session runs again, and the second would otherwise take the
// name that call's output needs.
func sweepOutputs(dir string, last int) error {
	entries, err := os.ReadDir(filepath.Join(dir, outDir))
	if err != nil {
		return fmt.Errorf("read the output directory: %w", err)
	}
	for _, e := range entries {
		if !orphanOutput(e.Name(), last) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, outDir, e.Name())); err != nil {
			return fmt.Errorf("remove an output no event names: %w", err)
		}
	}
	return nil
}

// orphanOutput reports whether name in dir/out/ is staged or numbered after
// event last.
func orphanOutput(name string, last int) bool {
	if ok, _ := filepath.Match(stagedPattern, name); ok {
		return true
	}
	num, ok := strings.CutSuffix(name, ".txt")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(num)
	return err == nil && n > last
}
