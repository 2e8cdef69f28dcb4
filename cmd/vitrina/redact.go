package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	ta "github.com/mymmrac/telego/telegoapi"
)

// minSecretLen is the shortest configured secret that secrets scrubs from text. Replacing a
// shorter string everywhere would mangle ordinary words ("shop", "vitrina") in every line;
// such a secret is weak anyway, and nothing Vitrina logs quotes it (the token is the one that
// leaks, inside URLs, and it is always longer).
const minSecretLen = 8

// secrets hides the configured secrets in text that leaves the process: log lines, errors
// printed by main, error texts stored in PostgreSQL or Redis. The bot token is the one that
// really escapes: net/http's errors quote the request URL, and every Bot API URL is
// /bot<token>/<method>. The others (webhook secret, provider token, PostgreSQL and Redis
// passwords) are scrubbed too, as a second line of defence.
//
// A nil *secrets hides nothing.
type secrets struct {
	values   []string // each at least minSecretLen long
	replacer *strings.Replacer
}

// newSecrets collects the secrets of cfg.
func newSecrets(cfg Config) *secrets {
	var values []string
	add := func(v string) {
		if len(v) >= minSecretLen {
			values = append(values, v)
		}
	}
	// Only the part after the colon is secret: the bot id before it stays readable, as in
	// Config.LogValue.
	if _, secret, ok := strings.Cut(cfg.TelegramToken, ":"); ok {
		add(secret)
	} else {
		add(cfg.TelegramToken)
	}
	add(cfg.WebhookSecret)
	add(cfg.PaymentProviderToken)
	add(urlPassword(cfg.DatabaseURL))
	add(urlPassword(cfg.RedisURL))
	if len(values) == 0 {
		return nil
	}
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, redacted)
	}
	return &secrets{values: values, replacer: strings.NewReplacer(pairs...)}
}

// urlPassword returns the password of a URL, or of a keyword/value connection string
// (password=...), or "".
func urlPassword(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		p, _ := u.User.Password()
		return p
	}
	if m := passwordPair.FindStringSubmatch(s); m != nil {
		return strings.Trim(m[2], "'")
	}
	return ""
}

// redact returns text with every secret replaced by REDACTED.
func (s *secrets) redact(text string) string {
	if s == nil || !s.in(text) {
		return text
	}
	return s.replacer.Replace(text)
}

// in reports whether text contains a secret.
func (s *secrets) in(text string) bool {
	if s == nil {
		return false
	}
	for _, v := range s.values {
		if strings.Contains(text, v) {
			return true
		}
	}
	return false
}

// redactError returns err with the secrets gone from its text. A *url.Error in its chain has
// its URL scrubbed in place (net/http makes a new one per request, so the caller that gets it
// first owns it); if the text still holds a secret, err is wrapped in an error whose text is
// scrubbed and which unwraps to err, so errors.Is still sees context.Canceled and the like.
func (s *secrets) redactError(err error) error {
	if err == nil || s == nil {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = s.redact(ue.URL)
	}
	msg := err.Error()
	if !s.in(msg) {
		return err
	}
	return &redactedError{msg: s.replacer.Replace(msg), err: err}
}

// redactedError is an error whose text had secrets in it.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// replaceAttr is a slog.HandlerOptions.ReplaceAttr that scrubs secrets from the message and
// from every string, error or other value of a log line.
func (s *secrets) replaceAttr(_ []string, a slog.Attr) slog.Attr {
	if s == nil {
		return a
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if text := a.Value.String(); s.in(text) {
			a.Value = slog.StringValue(s.replacer.Replace(text))
		}
	case slog.KindAny:
		var text string
		switch v := a.Value.Any().(type) {
		case error:
			text = v.Error()
		case fmt.Stringer:
			text = v.String()
		default:
			text = fmt.Sprint(v)
		}
		if s.in(text) {
			a.Value = slog.StringValue(s.replacer.Replace(text))
		}
	}
	return a
}

// redactingCaller is telego's API caller with the secrets scrubbed from its errors: a failed
// request's *url.Error reads `Post "https://api.telegram.org/bot<token>/getUpdates": ...`, and
// telego returns it wrapped to whoever called the method, which logs it, stores it with a
// failed update or job, or returns it to main.
type redactingCaller struct {
	next    ta.Caller
	secrets *secrets
}

func (c redactingCaller) Call(ctx context.Context, url string, data *ta.RequestData) (*ta.Response, error) {
	resp, err := c.next.Call(ctx, url, data)
	if err != nil {
		return resp, c.secrets.redactError(err)
	}
	return resp, nil
}
