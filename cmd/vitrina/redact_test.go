package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// tokenSecret is the secret part of fakeToken, which must never reach a log or an error.
var tokenSecret = fakeToken[strings.IndexByte(fakeToken, ':')+1:]

func TestSecrets(t *testing.T) {
	cfg := Config{
		TelegramToken:        fakeToken,
		WebhookSecret:        "hook-secret-123",
		PaymentProviderToken: "284685063:TEST:provider-secret",
		DatabaseURL:          "postgres://vitrina:db-password-1@db:5432/vitrina",
		RedisURL:             "redis://:redis-password-1@redis:6379/0",
	}
	s := newSecrets(cfg)
	all := []string{tokenSecret, "hook-secret-123", "284685063:TEST:provider-secret", "db-password-1", "redis-password-1"}

	t.Run("Redact", func(t *testing.T) {
		text := "a " + strings.Join(all, " b ") + " c"
		got := s.redact(text)
		for _, secret := range all {
			if strings.Contains(got, secret) {
				t.Errorf("redact left %q in %q", secret, got)
			}
		}
		if want := "bot123456:" + redacted; !strings.Contains(s.redact("/bot"+fakeToken+"/getMe"), want) {
			t.Errorf("the bot id should stay readable: got %q, want it to contain %q", s.redact("/bot"+fakeToken+"/getMe"), want)
		}
	})

	t.Run("ShortSecretsAreLeftAlone", func(t *testing.T) {
		s := newSecrets(Config{WebhookSecret: "shop", DatabaseURL: "postgres://u:vitrina@db/vitrina"})
		if got := s.redact("shop vitrina"); got != "shop vitrina" {
			t.Errorf("redact(%q) = %q; secrets shorter than %d bytes must not mangle text", "shop vitrina", got, minSecretLen)
		}
	})

	t.Run("URLError", func(t *testing.T) {
		// What net/http returns when api.telegram.org cannot be reached, as telego wraps it.
		cause := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		err := fmt.Errorf("internal execution: %w", s.redactError(fmt.Errorf("http do request: %w",
			&url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + fakeToken + "/getUpdates", Err: cause})))
		if strings.Contains(err.Error(), tokenSecret) {
			t.Errorf("error still shows the token: %v", err)
		}
		if !strings.Contains(err.Error(), "/bot123456:"+redacted+"/getUpdates") || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("error lost its useful parts: %v", err)
		}
		var ue *url.Error
		if !errors.As(err, &ue) || strings.Contains(ue.URL, tokenSecret) {
			t.Errorf("the *url.Error in the chain must be scrubbed too: %+v", ue)
		}
		if !errors.Is(err, cause) {
			t.Error("redactError broke the error chain")
		}
	})

	t.Run("OtherErrorKeepsChain", func(t *testing.T) {
		err := s.redactError(fmt.Errorf("strange %s: %w", fakeToken, context.DeadlineExceeded))
		if strings.Contains(err.Error(), tokenSecret) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("redactError = %v (Is DeadlineExceeded: %v)", err, errors.Is(err, context.DeadlineExceeded))
		}
	})

	t.Run("Log", func(t *testing.T) {
		for _, format := range []string{"json", "text"} {
			var buf bytes.Buffer
			c := cfg
			c.LogFormat = format
			logger := newLogger(c, &buf)
			logger.Warn("poll failed for "+fakeToken, "error", errors.New("Post /bot"+fakeToken+"/getUpdates"),
				"url", "https://api.telegram.org/bot"+fakeToken+"/x", "any", []string{"hook-secret-123"},
				slog.Group("g", "password", "db-password-1"), "config", c)
			for _, secret := range all {
				if strings.Contains(buf.String(), secret) {
					t.Errorf("%s log shows %q:\n%s", format, secret, buf.String())
				}
			}
			if !strings.Contains(buf.String(), "bot123456:"+redacted) {
				t.Errorf("%s log lost the bot id:\n%s", format, buf.String())
			}
		}
	})

	t.Run("Nil", func(t *testing.T) {
		var none *secrets
		err := errors.New("x")
		if none.redact("x") != "x" || none.redactError(err) != err || newSecrets(Config{}) != nil {
			t.Error("no secrets must change nothing")
		}
	})
}

// TestRedactingCaller calls a Bot API that cannot be reached through the same client wire
// builds, and checks the token is not in the error telego returns.
func TestRedactingCaller(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused

	caller := redactingCaller{next: ta.HTTPCaller{Client: http.DefaultClient}, secrets: newSecrets(Config{TelegramToken: fakeToken})}
	api, err := telego.NewBot(fakeToken, telego.WithAPIServer("http://"+addr), telego.WithAPICaller(caller), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.GetMe(t.Context())
	if err == nil {
		t.Fatal("getMe succeeded")
	}
	if strings.Contains(err.Error(), tokenSecret) {
		t.Errorf("the error shows the token: %v", err)
	}
	if !strings.Contains(err.Error(), "/bot123456:"+redacted+"/getMe") {
		t.Errorf("the error should still say which call failed: %v", err)
	}
}

// TestRun_TokenNeverShown runs serve against a Bot API whose getUpdates breaks the connection
// (as a network failure does), so the long-polling loop logs net/http's error, which quotes
// the URL with the token; and runs serve against no Bot API at all, so serve logs getMe's
// error while it retries. The logs may not show the token.
func TestRun_TokenNeverShown(t *testing.T) {
	t.Parallel()
	t.Run("PollError", func(t *testing.T) {
		t.Parallel()
		_, dbURL := pgtest.NewDB(t)
		env, tg := testEnv(t, dbURL, nil)
		broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/getUpdates") {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close() // the client sees EOF: a *url.Error with the URL
				}
				return
			}
			tg.ServeHTTP(w, r)
		}))
		t.Cleanup(broken.Close)
		env = overrideEnv(env, map[string]string{"VITRINA_TELEGRAM_API_URL": broken.URL})

		s := start(t, env, "serve")
		line := s.logs.waitFor(t, "poll: get updates", s.done)
		if msg, _ := line["error"].(string); !strings.Contains(msg, "bot123456:"+redacted) {
			t.Errorf("the poll error should show the call with the token redacted: %q", msg)
		}
		if err := s.stop(t); err != nil {
			t.Errorf("serve returned %v after cancel", err)
		}
		if strings.Contains(s.logs.String(), tokenSecret) {
			t.Errorf("the logs show the token:\n%s", s.logs)
		}
	})
	t.Run("StartError", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		nowhere := "http://" + ln.Addr().String()
		ln.Close()
		_, dbURL := pgtest.NewDB(t)
		env, _ := testEnv(t, dbURL, map[string]string{"VITRINA_TELEGRAM_API_URL": nowhere})
		s := start(t, env, "serve")
		line := s.logs.waitFor(t, "telegram: getMe failed; retrying", s.done)
		if msg, _ := line["error"].(string); !strings.Contains(msg, "getMe") {
			t.Errorf("the error should say which call failed: %q", msg)
		}
		if err := s.stop(t); err != nil {
			t.Errorf("serve returned %v after cancel", err)
		}
		if strings.Contains(s.logs.String(), tokenSecret) {
			t.Errorf("the logs show the token:\n%s", s.logs)
		}
	})
}

// overrideEnv returns getenv with some variables replaced.
func overrideEnv(getenv func(string) string, m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		return getenv(k)
	}
}
