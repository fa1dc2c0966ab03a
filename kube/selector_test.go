package kube

import (
	"testing"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

var labelSeeds = []string{
	"app=web", "app==web", "app!=web", "app", "!app", "app=web,tier!=db", "app.kubernetes.io/name=web",
	"app=", "app=web,", ",app=web", "app=-web", "app=web-", "a/b/c=d", "-app=web", "App_1.x=Y_2", "in=a", "notin=b",
	"a=in", "a=notin", "env in (a,b)", "env notin (a)", "a>1", "a<2", "a=b=c", "a!b", "!a=b", "!!a", "a==", "a!=",
	"Example.com/a=b", "example..com/a=b", "example.com/=b", "/a=b", "a =b", "a= b", "a=b c", "é=a", "a=é",
	"x1234567890123456789012345678901234567890123456789012345678901234=a",
}

// FuzzLabelSelector holds the shortcut to labels.Parse: every selector the
// shortcut accepts, apimachinery accepts too.
func FuzzLabelSelector(f *testing.F) {
	for _, s := range labelSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if simpleLabelSelector(s) {
			if _, err := labels.Parse(s); err != nil {
				t.Fatalf("shortcut accepts %q, labels.Parse refuses it: %v", s, err)
			}
		}
	})
}

var fieldSeeds = []string{
	"type=Warning", "type==Warning", "type!=Warning", "type", "a=b,c!=d", "a=b=c", "a!b=c", "a!=b=c", "=x", "a=",
	",", "a=b,,c=d", "a!", "!=a", "a!!=b", "a=!b", "spec.nodeName=", "a==b==c", "é=ü",
}

// FuzzFieldSelector holds the shortcut to fields.ParseSelector: without
// backslashes both give the same answer.
func FuzzFieldSelector(f *testing.F) {
	for _, s := range fieldSeeds {
		f.Add(s)
	}
	f.Add(`a=b\,c`)
	f.Fuzz(func(t *testing.T, s string) {
		_, err := fields.ParseSelector(s)
		if got := checkFieldSelector(s) == nil; got != (err == nil) {
			t.Fatalf("checkFieldSelector(%q) accepts = %v, fields.ParseSelector err = %v", s, got, err)
		}
	})
}

func TestSimpleLabelSelector(t *testing.T) {
	for _, s := range []string{"app=web", "app==web", "app!=web", "app", "!app", "app=web,tier!=db", "app.kubernetes.io/name=web", "app="} {
		if !simpleLabelSelector(s) {
			t.Errorf("simpleLabelSelector(%q) = false, want the shortcut to take it", s)
		}
	}
	for _, s := range []string{"env in (a,b)", "a>1", "app=web,", "a=b=c", "-app=web", "example..com/a=b"} {
		if simpleLabelSelector(s) {
			t.Errorf("simpleLabelSelector(%q) = true, want it left to labels.Parse", s)
		}
	}
}
