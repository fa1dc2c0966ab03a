package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/prompts/catalog"
)

// DecodeFindings reads the findings recorded with a first response
// (FirstResponse.Findings, the report event's Event.Findings): the report
// document triage.Report.JSON writes, or a bare list of findings, which
// reads as a report holding only them. Empty input is an empty report.
// Fields it does not know are ignored, so a journal written by another
// version still reads.
func DecodeFindings(raw json.RawMessage) (triage.Report, error) {
	var rep triage.Report
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return rep, nil
	}
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &rep.Findings); err != nil {
			return triage.Report{}, fmt.Errorf("read the findings list: %w", err)
		}
		return rep, nil
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return triage.Report{}, fmt.Errorf("read the findings report: %w", err)
	}
	return rep, nil
}

// Title is the one-line headline of a report for session lists: the top
// finding's problem, after its object when the problem does not name it;
// when nothing was found, saying so in the report's language.
func Title(rep triage.Report) string {
	if len(rep.Findings) == 0 {
		return catalog.Text(rep.Lang, "session.noProblems")
	}
	f := rep.Findings[0]
	problem := strings.TrimSpace(f.Problem)
	obj := strings.TrimSpace(f.Object.String())
	switch {
	case f.Object.Name == "":
		return problem
	case problem == "":
		return obj
	case strings.Contains(problem, f.Object.Name):
		return problem
	}
	return obj + ": " + problem
}
