package postmortem

import (
	"fmt"
	"strings"
	"time"
)

// tally counts what happened in the session, for the drafted sections.
type tally struct {
	proposals, approvals, denials, edits, refusals, ran, failed, fixes int
	reasons                                                            []string
}

func count(p *Postmortem) tally {
	var t tally
	for _, e := range p.Timeline {
		switch e.Kind {
		case EntryProposal:
			t.proposals++
		case EntryApproval:
			t.approvals++
		case EntryDenial:
			t.denials++
		case EntryEdit:
			t.edits++
		case EntryRefusal:
			t.refusals++
		case EntryFix:
			t.fixes++
		}
	}
	for _, c := range p.Commands {
		if c.Status == "failed" {
			t.failed++
		} else {
			t.ran++
		}
	}
	for _, e := range p.Detection.Events {
		if !contains(t.reasons, e.Reason) {
			t.reasons = append(t.reasons, e.Reason)
		}
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ruleText holds the sentences the rules draft with, in one language.
type ruleText struct {
	found, noFindings, investigated, resolvedWith, unresolved    string
	statementIs, ruleCause, evidence, noCause                    string
	applyFix, confirmFix, alert, finish, checkJournal, retryFail string
	detectLag, denied, edited, refused, fixesAsText, noLessons   string

	// n renders a count with its noun: "1 command", "3 commands", "3 件".
	n func(count int, one, many string) string
}

func countEN(n int, one, many string) string {
	if one == "" {
		return fmt.Sprint(n)
	}
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func countJA(n int, _, _ string) string { return fmt.Sprintf("%d 件", n) }

var rulesEN = ruleText{
	found:        "The first response found %s: %s.",
	noFindings:   "The first response found no problem.",
	investigated: "During the investigation the model made %s and %s ran (%s failed); the operator denied %s and edited %s; the model proposed %s for a human to apply.",
	resolvedWith: "The incident was marked resolved at %s: %s",
	unresolved:   "The incident was not marked resolved in the session.",
	statementIs:  "The operator stated the root cause at resolution (quoted above).",
	ruleCause:    "The first-response rules found, for %s: %s",
	evidence:     "Evidence: %s",
	noCause:      "No cause was stated or found by the rules; see the timeline.",
	applyFix:     "Decide on the proposed fix and apply it, or record why not: %s",
	confirmFix:   "Confirm that the applied fix holds and the affected objects recovered: %s",
	alert:        "Alert on %s warning events so they reach a responder before users notice.",
	finish:       "Finish the investigation: the incident was not marked resolved.",
	checkJournal: "Find out why the journal did not verify; treat this record with care until then.",
	retryFail:    "Look into the failed %s of the investigation and whether the tool or the permissions need a change.",
	detectLag:    "The first warning event came %s before the session started; detection can be faster.",
	denied:       "The operator denied %s; the reasons in the timeline show where the model's plan needed a human.",
	edited:       "The operator corrected %s by editing it before it ran.",
	refused:      "Policy refused %s and told the model why.",
	fixesAsText:  "Changes were proposed as text and left to a human; nothing was changed by the tool.",
	noLessons:    "No lesson could be drawn from the journal by rules alone.",
	n:            countEN,
}

var rulesJA = ruleText{
	found:        "初動で %sの問題を検出しました: %s",
	noFindings:   "初動では問題は検出されませんでした。",
	investigated: "調査では、モデルが %sを提案し、%sのコマンドを実行 (%s失敗)、オペレーターが %sを却下し %sを編集しました。人が適用する修正がモデルから %s提案されました。",
	resolvedWith: "%s に解決済みとされました: %s",
	unresolved:   "セッション内で解決済みにされていません。",
	statementIs:  "解決時にオペレーターが根本原因を記録しています (上記の引用)。",
	ruleCause:    "初動ルールによる %sの原因: %s",
	evidence:     "根拠: %s",
	noCause:      "原因の記録もルールによる検出もありません。タイムラインを参照してください。",
	applyFix:     "提案された修正を適用するか、適用しない理由を記録する: %s",
	confirmFix:   "適用した修正が有効で、影響を受けたオブジェクトが回復したことを確認する: %s",
	alert:        "%sの警告イベントを、利用者が気付く前に対応者へ通知するアラートを設定する。",
	finish:       "調査を完了する: インシデントは解決済みにされていません。",
	checkJournal: "ジャーナルの検証に失敗した原因を調べる。それまではこの記録を慎重に扱う。",
	retryFail:    "調査中に失敗したコマンド (%s) を確認し、ツールや権限の変更が必要か判断する。",
	detectLag:    "最初の警告イベントはセッション開始の %s 前でした。検知を早められます。",
	denied:       "オペレーターが %sの提案を却下しました。タイムラインの理由は、モデルの計画に人の判断が必要だった箇所を示しています。",
	edited:       "オペレーターが %sのコマンドを実行前に編集して修正しました。",
	refused:      "%sの提案はポリシーにより拒否され、理由とともにモデルに返されました。",
	fixesAsText:  "変更は文章で提案され、人の判断に委ねられました。ツールは何も変更していません。",
	noLessons:    "ルールだけではジャーナルから教訓を導けませんでした。",
	n:            countJA,
}

// draftByRules fills the narrative sections deterministically from the facts.
func draftByRules(p *Postmortem, tf triageFacts) {
	r := rulesEN
	if p.Lang == "ja" {
		r = rulesJA
	}
	t := count(p)
	sep := "; "
	if p.Lang == "ja" {
		sep = "、"
	}

	var sum []string
	if len(tf.findings) == 0 {
		sum = append(sum, r.noFindings)
	} else {
		var fs []string
		for _, f := range tf.findings {
			fs = append(fs, f.what())
		}
		sum = append(sum, fmt.Sprintf(r.found, r.n(len(tf.findings), "problem", "problems"), strings.TrimRight(strings.Join(fs, sep), ".")))
	}
	sum = append(sum, fmt.Sprintf(r.investigated, r.n(t.proposals, "proposal", "proposals"),
		r.n(t.ran+t.failed, "command", "commands"), r.n(t.failed, "", ""), r.n(t.denials, "proposal", "proposals"),
		r.n(t.edits, "command", "commands"), r.n(len(modelFixes(p)), "fix", "fixes")))
	if p.Resolution.Resolved && p.Resolution.Time != nil {
		sum = append(sum, fmt.Sprintf(r.resolvedWith, ts(*p.Resolution.Time), p.RootCause.Statement))
	} else {
		sum = append(sum, r.unresolved)
	}
	p.Summary = Drafted{By: ByRules, Text: strings.Join(sum, "\n\n")}

	var rc []string
	if p.RootCause.Statement != "" {
		rc = append(rc, r.statementIs)
	}
	for _, f := range tf.findings {
		if f.Cause != "" {
			rc = append(rc, fmt.Sprintf(r.ruleCause, f.Object, f.Cause))
		}
		if len(f.Evidence) > 0 {
			rc = append(rc, fmt.Sprintf(r.evidence, strings.Join(f.Evidence, sep)))
		}
	}
	if len(rc) == 0 {
		rc = append(rc, r.noCause)
	}
	p.RootCause.Analysis = Drafted{By: ByRules, Text: strings.Join(rc, "\n\n")}

	var items []string
	for _, f := range p.Resolution.Fixes {
		what := f.Text
		if f.Command != "" {
			what = "`" + display(f.Command) + "`"
		}
		switch f.Status {
		case FixApplied:
			items = append(items, fmt.Sprintf(r.confirmFix, what))
		case FixUnstated:
			if f.Source != string(ByRules) || len(modelFixes(p)) == 0 {
				items = append(items, fmt.Sprintf(r.applyFix, what))
			}
		}
	}
	if len(t.reasons) > 0 {
		items = append(items, fmt.Sprintf(r.alert, strings.Join(t.reasons, ", ")))
	}
	if t.failed > 0 {
		items = append(items, fmt.Sprintf(r.retryFail, r.n(t.failed, "command", "commands")))
	}
	if !p.Resolution.Resolved {
		items = append(items, r.finish)
	}
	if !p.Journal.Verified {
		items = append(items, r.checkJournal)
	}
	p.ActionItems = Drafted{By: ByRules, Items: items}

	var lessons []string
	if p.Impact.Start != nil && !p.Date.IsZero() && p.Date.After(*p.Impact.Start) {
		lessons = append(lessons, fmt.Sprintf(r.detectLag, p.Date.Sub(*p.Impact.Start).Round(time.Second)))
	}
	if t.denials > 0 {
		lessons = append(lessons, fmt.Sprintf(r.denied, r.n(t.denials, "proposal", "proposals")))
	}
	if t.edits > 0 {
		lessons = append(lessons, fmt.Sprintf(r.edited, r.n(t.edits, "command", "commands")))
	}
	if t.refusals > 0 {
		lessons = append(lessons, fmt.Sprintf(r.refused, r.n(t.refusals, "proposal", "proposals")))
	}
	if len(modelFixes(p)) > 0 {
		lessons = append(lessons, r.fixesAsText)
	}
	if len(lessons) == 0 {
		lessons = append(lessons, r.noLessons)
	}
	p.Lessons = Drafted{By: ByRules, Items: lessons}
}

// modelFixes returns the fixes proposed during the session or by the operator.
func modelFixes(p *Postmortem) []Fix {
	var out []Fix
	for _, f := range p.Resolution.Fixes {
		if f.Source != string(ByRules) {
			out = append(out, f)
		}
	}
	return out
}
