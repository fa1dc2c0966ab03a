package redact

import (
	"encoding/base64"
	"regexp"
	"strings"
)

// tokenPatterns returns the rules for secrets recognised by their format
// wherever they stand: PEM blocks, JWTs, cloud and API keys, webhook URLs
// with a secret path, signed-URL signatures, bearer and basic credentials
// and passwords in URLs. Each is tried only when the text holds one of its
// literals.
func tokenPatterns() []pattern {
	p := func(expr string, group int, lits ...string) pattern {
		return pattern{re: regexp.MustCompile(expr), group: group, lits: lits, fold: strings.HasPrefix(expr, "(?i)")}
	}
	checked := func(pt pattern, check func(string) bool) pattern {
		pt.check = check
		return pt
	}
	multiline := func(pt pattern) pattern {
		pt.multiline = true
		return pt
	}
	return []pattern{
		// PEM blocks, also when their lines were joined (describe, JSON
		// strings); a block begun but not ended (a cut output) goes to the
		// end of the text.
		multiline(p(`-----BEGIN [A-Z0-9 ]+-----(?:[^-]|\\n|-[^-])*?-----END [A-Z0-9 ]+-----`, 0, "-----BEGIN ")),
		multiline(p(`(?s)-----BEGIN [A-Z0-9 ]+-----.*`, 0, "-----BEGIN ")),
		// Base64 of "-----BEGIN" (Secret data holding keys or certificates).
		p(`LS0tLS1CRUdJTi[A-Za-z0-9+/=]*`, 0, "LS0tLS1CRUdJTi"),
		// JWTs, and base64 of a JWT header.
		p(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`, 0, "eyJ"),
		p(`ZXlK[A-Za-z0-9+/]{12,}={0,2}`, 0, "ZXlK"),
		// Bearer tokens (not a lower-case word: "bearer authentication"), and
		// basic credentials wherever they stand: base64 of "user:password".
		checked(p(`(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})`, 1, "bearer"), notWord),
		checked(p(`(?i)\bbasic\s+([A-Za-z0-9+/]{6,}={0,2})`, 1, "basic"), basicCredentials),
		// Cloud and API keys.
		p(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b`, 0,
			"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA"),
		p(`\bAIza[0-9A-Za-z_-]{35}\b`, 0, "AIza"),
		p(`\bya29\.[0-9A-Za-z_-]{20,}`, 0, "ya29."),
		p(`GOCSPX-[A-Za-z0-9_-]{20,}`, 0, "GOCSPX-"),
		p(`(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=([^;&\s"'\\]{8,})`, 1, "accountkey=", "sharedaccess", "sig="),
		// Signed URLs (S3, GCS): the signature, the session token and the
		// credential scope, whatever the name detector says of the names.
		p(`(?i)(?:[?&]|\\+u0026)(?:x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|x-goog-credential|signature)=([^&\s"'<>#\\:]+)`, 1,
			"x-amz-", "x-goog-", "signature="),
		p(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}`, 0, "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
		p(`\bxox[abposr]-[A-Za-z0-9-]{10,}|\bxapp-[0-9]-[A-Za-z0-9-]{10,}`, 0, "xox", "xapp-"),
		p(`\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}`, 0, "sk-"),
		p(`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9+/=]{20,}`, 0, "_live_", "_test_", "whsec_"),
		p(`\b(?:glpat|gldt|glrt|glptt|glcbt|glft|glimt|glsoat|gloas)-[A-Za-z0-9_-]{20,}|\bGR1348941[A-Za-z0-9_-]{20,}`, 0,
			"glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glimt-", "glsoat-", "gloas-", "GR1348941"),
		p(`\bhf_[A-Za-z0-9]{30,}`, 0, "hf_"),
		p(`\bnpm_[A-Za-z0-9]{36,}\b`, 0, "npm_"),
		p(`\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`, 0, "pypi-AgEIcHlwaS5vcmc"),
		p(`\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{20,}`, 0, "SG."),
		p(`SK[0-9a-f]{32}\b`, 0, "SK"),
		p(`\bdo[por]_v1_[a-f0-9]{64}\b`, 0, "_v1_"),
		p(`\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b`, 0, "shpat_", "shpss_", "shpca_", "shppa_"),
		p(`\bgl(?:c|sa)_[A-Za-z0-9+/=_]{32,}`, 0, "glc_", "glsa_"),
		// Webhook URLs whose path is the secret: the host stays.
		p(`hooks\.slack\.com/((?:services|workflows|triggers)/[A-Za-z0-9_/-]+)`, 1, "hooks.slack.com/"),
		p(`discord(?:app)?\.com/api/webhooks/([0-9]+/[A-Za-z0-9_-]+)`, 1, "/api/webhooks/"),
		p(`\.webhook\.office\.com/(webhookb2/[^\s"'<>\\]+)`, 1, "webhook.office.com/"),
		p(`outlook\.office(?:365)?\.com/(webhookb?2?/[^\s"'<>\\]+)`, 1, "outlook.office"),
		p(`chat\.googleapis\.com/v1/spaces/([^\s"'<>\\]+)`, 1, "chat.googleapis.com/"),
		// Passwords in URLs: scheme://user:password@host.
		p(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@"']*:([^\s@/"']+)@`, 1, "://"),
	}
}

// notWord reports whether a match is more than a lower-case word of
// English length, which after "bearer" is prose ("bearer authentication"),
// not a token.
func notWord(m string) bool {
	return len(m) > 15 || strings.Trim(m, "abcdefghijklmnopqrstuvwxyz") != ""
}

// basicCredentials reports whether m is base64 of "user:password".
func basicCredentials(m string) bool {
	b, err := base64.StdEncoding.DecodeString(m)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(m)
	}
	if err != nil || len(b) < 3 {
		return false
	}
	colon := false
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
		colon = colon || c == ':'
	}
	return colon
}
