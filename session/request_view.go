package session

// RequestView is a model request as a reader sees it.
type RequestView struct {
	Model    string // the model it was sent to; "offline" for the offline responder
	Messages int    // how many messages it holds
	Text     string // every message and tool definition, as FormatRequest renders them
}

// LastRequestView returns the last model request of the session, as
// LastRequest rebuilds it, rendered for a reader; false when the session
// has not asked the model yet.
func (s *Session) LastRequestView() (RequestView, bool) {
	req, ok := s.LastRequest()
	if !ok {
		return RequestView{}, false
	}
	return RequestView{Model: req.Model, Messages: len(req.Messages), Text: FormatRequest(req)}, true
}
