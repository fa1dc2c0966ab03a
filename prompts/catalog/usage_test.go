package catalog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// moduleRoot is the repository root, seen from this package's directory.
const moduleRoot = "../.."

// shortNames are the layers whose code names its messages without the
// layer, in the directory given: kube/triage's rules write m("ev.event", …)
// and its text.go adds "triage."; its report and prompt read the headings
// by their names under "report.".
var shortNames = map[string]string{
	"triage.": "kube/triage",
	"report.": "kube/triage",
}

// dynamic are key prefixes the code completes at run time; the prefix must
// appear in the code as a string, and then every key under it counts as used.
var dynamic = map[string]string{
	"postmortem.word.": "the journal's words (risks, statuses, phases, urgencies), session/postmortem/labels.go",
	"report.urgency.":  "the urgencies, kube/triage/report.go",
}

// plural is the suffix of the message a count of one is rendered with; the
// key without it names the message in the code (session/postmortem/rules.go).
const plural = ".one"

// TestEveryKeyUsed checks that the product's code (its .go files, tests
// left out) names every key of the catalog, so that a message no longer
// printed does not stay behind to be translated.
func TestEveryKeyUsed(t *testing.T) {
	lits := literals(t)
	for prefix, why := range dynamic {
		if !lits.any[prefix] {
			t.Errorf("no code completes %q (%s): remove it from dynamic", prefix, why)
		}
	}
	for key := range embedded(t)["en"] {
		if !lits.uses(key) {
			t.Errorf("no code uses %s", key)
		}
	}
}

// sources are the string literals of the product's code: any holds every
// literal, byDir those of each directory (slash-separated, from the root).
type sources struct {
	any   map[string]bool
	byDir map[string]map[string]bool
}

func (s sources) uses(key string) bool {
	if s.any[key] {
		return true
	}
	if base, ok := strings.CutSuffix(key, plural); ok && s.uses(base) {
		return true
	}
	for prefix := range dynamic {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	for prefix, dir := range shortNames {
		if short, ok := strings.CutPrefix(key, prefix); ok && s.byDir[dir][short] {
			return true
		}
	}
	return false
}

// literals collects the string literals of every non-test .go file under
// the module root, this package's own left out.
func literals(t *testing.T) sources {
	t.Helper()
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	s := sources{any: map[string]bool{}, byDir: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	err = filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			abs, _ := filepath.Abs(path)
			if abs == self || d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != moduleRoot {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleRoot, filepath.Dir(path))
		dir := filepath.ToSlash(rel)
		if s.byDir[dir] == nil {
			s.byDir[dir] = map[string]bool{}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					s.any[v], s.byDir[dir][v] = true, true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
