package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's documented limits for messages and Block Kit
// (docs.slack.dev/reference/block-kit/blocks): what a message holds is cut to
// fit, with a note, so that Slack never rejects it.
const (
	SlackMaxBlocks        = 50
	SlackMaxHeader        = 150
	SlackMaxSectionText   = 3000
	SlackMaxFields        = 10
	SlackMaxFieldText     = 2000
	SlackMaxContextItems  = 10
	SlackMaxMessageText   = 4000 // Slack truncates beyond 40,000; it advises 4,000
	slackListedIncidents  = 40   // briefs listed in a summary or digest
	slackEvidenceLines    = 3
	slackCommandsListed   = 3
	slackCutNoteCharacter = "…"
)

// Slack posts to an incoming webhook.
type Slack struct {
	name   string
	url    string
	client *http.Client
}

// NewSlack returns a Slack sink; name is what errors say instead of the URL.
func NewSlack(name, url string, client *http.Client) *Slack {
	if client == nil {
		client = &http.Client{}
	}
	return &Slack{name: name, url: url, client: client}
}

var _ Sender = (*Slack)(nil)

// Send posts d as one Block Kit message.
func (s *Slack) Send(ctx context.Context, d Delivery) error {
	body, err := json.Marshal(SlackMessage(d))
	if err != nil {
		return fmt.Errorf("%w: encode the Slack message of %s: %w", ErrPermanent, d.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: build the request to %s", ErrPermanent, s.name)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return postError(s.name, err)
	}
	defer resp.Body.Close()
	return classify(s.name, resp, time.Now())
}

// cut shortens s to at most n characters, saying how much was cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	for keep := n - 40; keep > 0; keep-- {
		note := fmt.Sprintf("%s (%d more characters cut)", slackCutNoteCharacter, len(r)-keep)
		if keep+utf8.RuneCountInString(note) <= n {
			return string(r[:keep]) + note
		}
	}
	return string(r[:n])
}

// esc escapes the three characters Slack's mrkdwn reserves.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(mrkdwn(cut(text, SlackMaxSectionText)), nil, nil)
}

// SlackMessage renders d within Slack's limits: title, urgency, location with
// the key evidence, cause, impact, the first read-only commands and the
// snapshot hint, short enough for a phone.
func SlackMessage(d Delivery) slack.WebhookMessage {
	title := fmt.Sprintf("[%s] %s: %s", strings.ToUpper(d.State), strings.ToUpper(d.Urgency), d.Title)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, cut(title, SlackMaxHeader), false, false)),
	}
	var fields []*slack.TextBlockObject
	field := func(name, value string) {
		if value != "" && len(fields) < SlackMaxFields {
			fields = append(fields, mrkdwn(cut("*"+name+"*\n"+esc(value), SlackMaxFieldText)))
		}
	}
	field("Urgency", d.Urgency)
	field("State", d.State)
	field("Object", d.Owner)
	field("Started", d.StartedAt.UTC().Format("2006-01-02 15:04 MST"))
	if d.ResolvedAt != nil {
		field("Lasted", durationText(d.DurationSeconds))
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	if a := d.Alert; a != nil {
		var b strings.Builder
		fmt.Fprintf(&b, "*Alert %s* (%s, %d alerts)\n", esc(a.Name), esc(a.Status), a.Alerts)
		for _, k := range sortedKeys(a.Labels) {
			fmt.Fprintf(&b, "`%s=%s` ", esc(k), esc(a.Labels[k]))
		}
		for _, k := range sortedKeys(a.Annotations) {
			fmt.Fprintf(&b, "\n%s: %s", esc(k), esc(a.Annotations[k]))
		}
		blocks = append(blocks, section(b.String()))
	}
	g := d.Digest
	if g.Location != "" {
		text := "*Where*\n" + esc(g.Location)
		for _, e := range first(g.Evidence, slackEvidenceLines) {
			text += "\n• " + esc(e)
		}
		blocks = append(blocks, section(text))
	}
	if g.Cause != "" {
		blocks = append(blocks, section("*Cause*\n"+esc(g.Cause)))
	}
	if g.Impact != "" {
		blocks = append(blocks, section("*Impact*\n"+esc(g.Impact)))
	}
	if cmds := first(g.Commands, slackCommandsListed); len(cmds) > 0 {
		blocks = append(blocks, section("*Read-only commands to run next*\n```"+strings.Join(cmds, "\n")+"```"))
	}
	room := SlackMaxBlocks - len(blocks) - 2 // keep room for "more" and the context block
	for i, in := range d.Incidents {
		if i == slackListedIncidents || i == room {
			blocks = append(blocks, section(fmt.Sprintf("… and %d more (see the full report)", len(d.Incidents)-i)))
			break
		}
		blocks = append(blocks, section(fmt.Sprintf("*%s* %s — %s", strings.ToUpper(in.Urgency), esc(in.Title), esc(in.State))))
	}
	var ctx []slack.MixedElement
	if d.SnapshotHint != "" {
		ctx = append(ctx, mrkdwn(cut("State at alert time: `"+esc(d.SnapshotHint)+"`", SlackMaxSectionText)))
	}
	ctx = append(ctx, mrkdwn(cut("incident "+esc(d.ID)+" · fingerprint "+esc(d.Fingerprint)+" · source "+d.Source, SlackMaxSectionText)))
	blocks = append(blocks, slack.NewContextBlock("", ctx[:min(len(ctx), SlackMaxContextItems)]...))
	fallback := title
	if g.Location != "" {
		fallback += "\n" + g.Location
	}
	return slack.WebhookMessage{Text: cut(fallback, SlackMaxMessageText), Blocks: &slack.Blocks{BlockSet: blocks}}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
