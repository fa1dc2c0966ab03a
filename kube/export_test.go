package kube

// Proposals returns every line of the parse table, grouped by outcome, for
// the end-to-end tests of package kube_test.
func Proposals() (runsLines, redactedLines, neverLines, refusedLines []string) {
	lines := func(cases []parseCase) []string {
		out := make([]string, len(cases))
		for i, c := range cases {
			out[i] = c.line
		}
		return out
	}
	return lines(runs), lines(runsRedacted), lines(neverRuns), lines(refused)
}
