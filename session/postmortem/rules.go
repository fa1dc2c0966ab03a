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
}

var rulesEN = ruleText{
	found:        "The first response found %d problem(s): %s.",
	noFindings:   "The first response found no problem.",
	investigated: "During the investigation the model made %d proposal(s); %d command(s) ran, %d failed; the operator denied %d and edited %d; %d fix(es) were proposed for a human to apply.",
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
	retryFail:    "Look into the %d command(s) that failed during the investigation.",
	detectLag:    "The first warning event came %s before the session started; detection can be faster.",
	denied:       "The operator denied %d proposal(s); the reasons in the timeline show where the model's plan needed a human.",
	edited:       "The operator corrected %d command(s) by editing them before they ran.",
	refused:      "%d proposal(s) were refused by policy and answered with the reason.",
	fixesAsText:  "Changes were proposed as text and left to a human; nothing was changed by the tool.",
	noLessons:    "No lesson could be drawn from the journal by rules alone.",
}

var rulesJA = ruleText{
	found:        "初動で %d 件の問題を検出しました: %s。",
	noFindings:   "初動では問題は検出されませんでした。",
	investigated: "調査では、モデルが %d 件を提案し、%d 件のコマンドを実行 (%d 件失敗)、オペレーターが %d 件を却下し %d 件を編集しました。人が適用する修正が %d 件提案されました。",
	resolvedWith: "%s に解決済みとされました: %s",
	unresolved:   "セッション内で解決済みにされていません。",
	statementIs:  "解決時にオペレーターが根本原因を記録しています (上記の引用)。",
	ruleCause:    "初動ルールによる %s の原因: %s",
	evidence:     "根拠: %s",
	noCause:      "原因の記録もルールによる検出もありません。タイムラインを参照してください。",
	applyFix:     "提案された修正を適用するか、適用しない理由を記録する: %s",
	confirmFix:   "適用した修正が有効で、影響を受けたオブジェクトが回復したことを確認する: %s",
	alert:        "%s の警告イベントを、利用者が気付く前に対応者へ通知するアラートを設定する。",
	finish:       "調査を完了する: インシデントは解決済みにされていません。",
	checkJournal: "ジャーナルの検証に失敗した原因を調べる。それまではこの記録を慎重に扱う。",
	retryFail:    "調査中に失敗した %d 件のコマンドを確認する。",
	detectLag:    "最初の警告イベントはセッション開始の %s 前でした。検知を早められます。",
	denied:       "オペレーターが %d 件の提案を却下しました。タイムラインの理由は、モデルの計画に人の判断が必要だった箇所を示しています。",
	edited:       "オペレーターが %d 件のコマンドを実行前に編集して修正しました。",
	refused:      "%d 件の提案はポリシーにより拒否され、理由とともに回答されました。",
	fixesAsText:  "変更は文章で提案され、人の判断に委ねられました。ツールは何も変更していません。",
	noLessons:    "ルールだけではジャーナルから教訓を導けませんでした。",
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
			s := f.Object
			if f.Problem != "" {
				s += " (" + f.Problem + ")"
			}
			fs = append(fs, s)
		}
		sum = append(sum, fmt.Sprintf(r.found, len(tf.findings), strings.Join(fs, sep)))
	}
	sum = append(sum, fmt.Sprintf(r.investigated, t.proposals, t.ran+t.failed, t.failed, t.denials, t.edits, len(modelFixes(p))))
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
			what = "`kubectl " + f.Command + "`"
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
		items = append(items, fmt.Sprintf(r.retryFail, t.failed))
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
		lessons = append(lessons, fmt.Sprintf(r.denied, t.denials))
	}
	if t.edits > 0 {
		lessons = append(lessons, fmt.Sprintf(r.edited, t.edits))
	}
	if t.refusals > 0 {
		lessons = append(lessons, fmt.Sprintf(r.refused, t.refusals))
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
