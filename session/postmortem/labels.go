package postmortem

import (
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/session"
)

// labels holds every fixed string of a postmortem in one language.
type labels struct {
	lang string

	title, status, date, session, responders, cluster, model, journal    string
	summary, impact, detection, timeline, rootCause, resolution, actions string
	lessons, appendix, fixes, statement, analysis, none, untitled        string
	verified, notVerified, draftedModel, draftedRules, allNamespaces     string
	affected, replicas, duration, start, end, ongoing, impactLines       string
	reported, eventsCol, commandsNone, omitted, redactions, snapshot     string
	fixApplied, fixNotApplied, fixUnstated, fixByModel, fixByRules       string
	fixByOperator, resolvedAt, notResolved, urgency                      string
	noOutput, sep, moreEvents                                            string

	startedF, reportF, proposedF, deniedF, deniedNoReason, editedF    string
	interjectedS, approvedF, alwaysS, autoS, resultF, fixF, resolvedS string
	investigationF, phaseF, lateF, statusF                            string
	operatorF, assistantF, noteF, errorF, rootCauseF, approvedS       string
	agentCalledF, agentRanF                                           string

	// words translates the journal's fixed words (risks, statuses, phases,
	// urgencies); words not in it are shown as they are.
	words map[string]string
}

// word returns the translation of one of the journal's fixed words.
func (l labels) word(w string) string {
	if t, ok := l.words[w]; ok {
		return t
	}
	return w
}

func labelsFor(lang string) labels {
	if lang == "ja" {
		return ja
	}
	return en
}

var en = labels{
	lang:  "en",
	title: "Postmortem", status: "Status", date: "Date", session: "Session", responders: "Responders",
	cluster: "Cluster", model: "Model", journal: "Journal",
	summary: "Summary", impact: "Impact", detection: "Detection", timeline: "Timeline (UTC)",
	rootCause: "Root cause", resolution: "Resolution", actions: "Action items", lessons: "Lessons learned",
	appendix: "Appendix: commands that ran", fixes: "Proposed fixes", statement: "Stated by the operator at resolution",
	analysis: "Analysis", none: "none", untitled: "Untitled incident",
	verified:      "hash chain verified (%d events)",
	notVerified:   "hash chain NOT verified: %s",
	draftedModel:  "_Drafted by the model from the journal; review before publishing._",
	draftedRules:  "_Drafted from rules over the journal._",
	allNamespaces: "all namespaces",
	affected:      "Affected objects", replicas: "%d of %d available", duration: "Duration",
	start: "first warning event", end: "resolution", ongoing: "ongoing (not resolved in the session)",
	impactLines: "Impact", reported: "First-response report made at %s.",
	eventsCol: "Warning events from the cluster", commandsNone: "No command ran.",
	omitted: "%d lines omitted", redactions: "Values redacted while exporting", snapshot: "snapshot",
	fixApplied: "applied", fixNotApplied: "not applied", fixUnstated: "not stated whether applied",
	fixByModel: "proposed in the session", fixByRules: "suggested by the first-response rules",
	fixByOperator: "stated by the operator",
	resolvedAt:    "Resolved at %s.", notResolved: "The incident was not marked resolved in the session.",
	urgency: "urgency", noOutput: "_No output._", sep: "; ", moreEvents: "%d more warning event groups about other objects are in the first-response report.",

	startedF:       "Session started by %s on context %s (%s), model %s",
	reportF:        "First-response report: %s",
	proposedF:      "Model proposed `%s` (%s): %s",
	deniedF:        "Operator denied: %s",
	deniedNoReason: "Operator denied (no reason given)",
	editedF:        "Operator edited the command to `%s`",
	interjectedS:   "Operator interjected instead of deciding",
	approvedF:      "Operator approved (%s)",
	alwaysS:        "always allowed from now on",
	autoS:          "ran without asking: always allowed",
	resultF:        "Result: %s",
	fixF:           "Proposed fix (not run): `%s`",
	resolvedS:      "Incident marked resolved",
	investigationF: "Investigation started: %s",
	phaseF:         "Phase: %s",
	lateF:          "Late output of `%s`: %s",
	statusF:        "%s — %s",
	operatorF:      "Operator: %s",
	assistantF:     "Model: %s",
	noteF:          "Note: %s",
	errorF:         "Error: %s",
	rootCauseF:     "Root cause stated: %s",
	approvedS:      "Operator approved",
	agentCalledF:   "Agent %s called `%s` (%s): %s",
	agentRanF:      "Run at the call of agent %s",
}

var ja = labels{
	lang:  "ja",
	title: "事後検証レポート", status: "ステータス", date: "日付", session: "セッション", responders: "対応者",
	cluster: "クラスタ", model: "モデル", journal: "ジャーナル",
	summary: "概要", impact: "影響範囲", detection: "検知", timeline: "タイムライン (UTC)",
	rootCause: "根本原因", resolution: "対応", actions: "アクションアイテム", lessons: "教訓",
	appendix: "付録: 実行したコマンド", fixes: "提案された修正", statement: "解決時にオペレーターが記録した内容",
	analysis: "分析", none: "なし", untitled: "無題のインシデント",
	verified:      "ハッシュチェーン検証済み (%d イベント)",
	notVerified:   "ハッシュチェーンの検証に失敗: %s",
	draftedModel:  "_ジャーナルからモデルが下書きしました。公開前に確認してください。_",
	draftedRules:  "_ジャーナルからルールで下書きしました。_",
	allNamespaces: "全ネームスペース",
	affected:      "影響を受けたオブジェクト", replicas: "%d / %d 利用可能", duration: "継続時間",
	start: "最初の警告イベント", end: "解決", ongoing: "継続中 (セッション内で解決されていません)",
	impactLines: "影響", reported: "初動レポート作成: %s",
	eventsCol: "クラスタの警告イベント", commandsNone: "実行されたコマンドはありません。",
	omitted: "%d 行省略", redactions: "エクスポート時に秘匿化した値", snapshot: "スナップショット",
	fixApplied: "適用済み", fixNotApplied: "未適用", fixUnstated: "適用の有無は未記録",
	fixByModel: "セッション内で提案", fixByRules: "初動ルールによる提案",
	fixByOperator: "オペレーターが記録",
	resolvedAt:    "%s に解決。", notResolved: "セッション内で解決済みにされていません。",
	urgency: "緊急度", noOutput: "_出力なし。_", sep: "、", moreEvents: "ほかのオブジェクトに関する警告イベントが %d グループあります (初動レポートを参照)。",

	startedF:       "%s がセッションを開始 (コンテキスト %s、%s、モデル %s)",
	reportF:        "初動レポート: %s",
	proposedF:      "モデルが `%s` を提案 (%s): %s",
	deniedF:        "オペレーターが却下: %s",
	deniedNoReason: "オペレーターが却下 (理由なし)",
	editedF:        "オペレーターがコマンドを `%s` に編集",
	interjectedS:   "オペレーターが判断の代わりにメッセージを入力",
	approvedF:      "オペレーターが承認 (%s)",
	alwaysS:        "以後は常に許可",
	autoS:          "常に許可のため確認なしで実行",
	resultF:        "結果: %s",
	fixF:           "修正を提案 (実行せず): `%s`",
	resolvedS:      "インシデントを解決済みにした",
	investigationF: "調査を開始: %s",
	phaseF:         "フェーズ: %s",
	lateF:          "`%s` の遅れて届いた出力: %s",
	statusF:        "%s — %s",
	operatorF:      "オペレーター: %s",
	assistantF:     "モデル: %s",
	noteF:          "メモ: %s",
	errorF:         "エラー: %s",
	rootCauseF:     "根本原因の記録: %s",
	approvedS:      "オペレーターが承認",
	agentCalledF:   "エージェント %s が `%s` を呼び出し (%s): %s",
	agentRanF:      "エージェント %s の呼び出しで実行",
	words: map[string]string{
		"read-only": "読み取り専用", "sensitive": "機密情報を含む読み取り", "mutating": "変更系", "refused": "拒否",
		"ran": "実行", "failed": "失敗", "denied": "却下", "not-executed": "ポリシーにより未実行",
		"interjected": "割り込み", "duplicate": "重複",
		"triage": "トリアージ", "investigation": "調査中", "resolved": "解決済み",
		"critical": "緊急", "high": "高", "medium": "中", "low": "低",
	},
}

func (l labels) started(m session.Meta) string {
	ns := m.Namespace
	if ns == "" {
		ns = l.allNamespaces
	}
	user := m.User
	if user == "" {
		user = "?"
	}
	return fmt.Sprintf(l.startedF, user, m.Context, ns, m.Model)
}

func (l labels) reportMade(title string) string { return fmt.Sprintf(l.reportF, title) }

func (l labels) proposed(e session.Event) string {
	if e.Client != "" {
		return fmt.Sprintf(l.agentCalledF, e.Client, display(e.Command), l.word(e.Risk), e.Reason)
	}
	return fmt.Sprintf(l.proposedF, display(e.Command), l.word(e.Risk), e.Reason)
}

func (l labels) denied(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return l.deniedNoReason
	}
	return fmt.Sprintf(l.deniedF, reason)
}

func (l labels) edited(cmd string) string { return fmt.Sprintf(l.editedF, display(cmd)) }
func (l labels) interjected() string      { return l.interjectedS }

func (l labels) approved(e session.Event) string {
	if e.Client != "" {
		return fmt.Sprintf(l.agentRanF, e.Client)
	}
	switch e.Decision {
	case session.Always:
		return fmt.Sprintf(l.approvedF, l.alwaysS)
	case session.Auto:
		return l.autoS
	}
	return l.approvedS
}

func (l labels) result(e session.Event) string {
	st := string(e.Status)
	what := l.word(st)
	switch {
	case strings.HasPrefix(e.Summary, st+": "):
		what = fmt.Sprintf(l.statusF, l.word(st), strings.TrimPrefix(e.Summary, st+": "))
	case e.Summary != "" && e.Summary != st:
		what = fmt.Sprintf(l.statusF, l.word(st), e.Summary)
	case e.Reason != "":
		what = fmt.Sprintf(l.statusF, l.word(st), e.Reason)
	}
	return fmt.Sprintf(l.resultF, what)
}

func (l labels) fix(e session.Event) string { return fmt.Sprintf(l.fixF, display(e.Command)) }
func (l labels) resolved() string           { return l.resolvedS }

func (l labels) phase(e session.Event) string {
	if e.Phase == session.PhaseInvestigation && strings.TrimSpace(e.Text) != "" {
		return fmt.Sprintf(l.investigationF, e.Text)
	}
	return fmt.Sprintf(l.phaseF, l.word(string(e.Phase)))
}

func (l labels) lateOutput(e session.Event) string {
	return fmt.Sprintf(l.lateF, display(e.Command), e.Summary)
}

// display renders a journaled command the way an operator types it.
func display(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return ""
	}
	return "kubectl " + strings.TrimPrefix(cmd, "kubectl ")
}

func (l labels) fixStatus(s FixStatus) string {
	switch s {
	case FixApplied:
		return l.fixApplied
	case FixNotApplied:
		return l.fixNotApplied
	}
	return l.fixUnstated
}

func (l labels) fixSource(src string) string {
	switch src {
	case string(ByModel):
		return l.fixByModel
	case string(ByRules):
		return l.fixByRules
	}
	return l.fixByOperator
}
