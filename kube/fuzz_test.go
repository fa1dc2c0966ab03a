package kube

import (
	"syscall"
	"testing"
	"time"
)

// writeVerbs are the first words of every kubectl command that can change
// state, for the fuzz invariant.
var writeVerbs = []string{"apply", "create", "delete", "edit", "patch", "replace", "scale", "set", "label", "annotate",
	"taint", "cordon", "uncordon", "drain", "autoscale", "expose", "run", "cp", "certificate", "debug", "exec", "attach",
	"port-forward", "proxy", "config", "plugin", "wait", "diff", "kustomize", "alpha", "rolling-update"}

func FuzzParse(f *testing.F) {
	for _, g := range [][]parseCase{runs, runsRedacted, neverRuns, refused} {
		for _, tc := range g {
			f.Add(tc.line)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		a, err := Parse(line)
		if (a.Risk == Refused) != (err != nil) {
			t.Fatalf("Parse(%q): risk %s with error %v", line, a.Risk, err)
		}
		if a.Risk != ReadOnly && a.Risk != Sensitive {
			return
		}
		key := a.Verb
		if a.SubVerb != "" {
			key += " " + a.SubVerb
		}
		if readVerbs[key] == nil {
			t.Fatalf("Parse(%q) runs %q, which is not a read verb", line, key)
		}
		for _, w := range writeVerbs {
			if a.Verb == w {
				t.Fatalf("Parse(%q) runs the write verb %q", line, w)
			}
		}
		if a.Verb == "rollout" && a.SubVerb != "status" && a.SubVerb != "history" || a.Verb == "auth" && a.SubVerb != "can-i" && a.SubVerb != "whoami" {
			t.Fatalf("Parse(%q) runs %s %s", line, a.Verb, a.SubVerb)
		}
		if a.Verb == "logs" && a.Flags.Get("follow") != "" || a.Flags.Get("watch") == "true" || a.Flags.Get("watch-only") != "" {
			t.Fatalf("Parse(%q) runs a watch or follow: %v", line, a.Flags)
		}
		if pinnedFlag(a.Args) != "" {
			t.Fatalf("Parse(%q) runs with a pinned flag", line)
		}
		if secretLike(a.Resource) && a.Risk != Sensitive {
			t.Fatalf("Parse(%q) reads secrets as %s", line, a.Risk)
		}
		again, err := Parse(a.String())
		if err != nil || again.String() != a.String() || again.Risk != a.Risk {
			t.Fatalf("Parse(%q): canonical %q parses to %q (%s, %v)", line, a.String(), again.String(), again.Risk, err)
		}
	})
}

var benchLines = []string{
	"kubectl get pods -n shop -o wide",
	"describe pod web-7d9f8c-abcde -n shop",
	"logs web-7d9f8c-abcde -c app --tail=100 --since=10m",
	"get events --field-selector type=Warning -A",
	"delete pod web-1 -n shop",
	"get pods | grep web",
	"get secret db-creds -o yaml",
	"rollout status deploy/web -n shop",
	"get pods -l app.kubernetes.io/name=web,tier!=db -n shop",
}

// BenchmarkParse reports wall-clock and CPU throughput: on a shared machine
// the CPU time of the process is the steadier measure.
func BenchmarkParse(b *testing.B) {
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		Parse(benchLines[i%len(benchLines)])
		i++
	}
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "lines/cpu-s")
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
