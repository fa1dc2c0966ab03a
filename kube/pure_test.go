package kube

import (
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestParserIsPure keeps the parser and classifier apart from the client-go
// executor: the files that turn a line into a classified Action import the
// standard library only, so what may run is decided before anything can
// reach a cluster, and the decision can be read without client-go.
func TestParserIsPure(t *testing.T) {
	for _, f := range []string{"parse.go", "classify.go", "verbs.go", "action.go", "scope.go"} {
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range file.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the parser and classifier use the standard library only", f, path)
			}
		}
	}
}
