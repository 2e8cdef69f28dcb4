package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeToken looks like a real bot token, as telego insists.
const fakeToken = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp-_q"

// mapenv returns a getenv reading from m.
func mapenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vitrina.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	defaults := Config{
		DatabaseURL:       defaultDatabaseURL,
		RedisURL:          defaultRedisURL,
		TelegramAPIURL:    defaultTelegramAPIURL,
		HTTPAddr:          defaultHTTPAddr,
		LogLevel:          slog.LevelInfo,
		SendRate:          defaultSendRate,
		WorkerConcurrency: defaultConcurrency,

		WebhookMaxConnections: defaultWebhookMaxConnections,
	}
	with := func(f func(c *Config)) Config {
		c := defaults
		f(&c)
		return c
	}

	tests := []struct {
		name string
		env  map[string]string
		file string // YAML; "" means no file
		want Config
	}{
		{
			name: "Defaults",
			want: defaults,
		},
		{
			name: "EveryEnvironmentVariable",
			env: map[string]string{
				"VITRINA_DATABASE_URL":            "postgres://u:p@db:5432/shop?sslmode=require",
				"VITRINA_REDIS_URL":               "redis://:pw@redis:6379/2",
				"VITRINA_TELEGRAM_TOKEN":          fakeToken,
				"VITRINA_TELEGRAM_API_URL":        "http://127.0.0.1:8081/",
				"VITRINA_WEBHOOK_URL":             "https://shop.example.com/telegram/webhook",
				"VITRINA_WEBHOOK_SECRET":          "s3cret_-X",
				"VITRINA_HTTP_ADDR":               ":9000",
				"VITRINA_ADMIN_IDS":               " 42, 7,,42 ",
				"VITRINA_PAYMENT_PROVIDER_TOKEN":  "284685063:TEST:abc",
				"VITRINA_LOG_FORMAT":              "text",
				"VITRINA_LOG_LEVEL":               "debug",
				"VITRINA_SEND_RATE":               "500",
				"VITRINA_PAID_BROADCAST":          "true",
				"VITRINA_WORKER_CONCURRENCY":      "64",
				"VITRINA_WEBHOOK_MAX_CONNECTIONS": "100",
			},
			want: Config{
				DatabaseURL:          "postgres://u:p@db:5432/shop?sslmode=require",
				RedisURL:             "redis://:pw@redis:6379/2",
				TelegramToken:        fakeToken,
				TelegramAPIURL:       "http://127.0.0.1:8081",
				WebhookURL:           "https://shop.example.com/telegram/webhook",
				WebhookSecret:        "s3cret_-X",
				HTTPAddr:             ":9000",
				AdminIDs:             []int64{42, 7},
				PaymentProviderToken: "284685063:TEST:abc",
				LogFormat:            "text",
				LogLevel:             slog.LevelDebug,
				SendRate:             500,
				PaidBroadcast:        true,
				WorkerConcurrency:    64,

				WebhookMaxConnections: 100,
			},
		},
		{
			name: "File",
			file: `
# comments are fine
database_url: postgres://postgres@127.0.0.1:5432/from_file?sslmode=disable
telegram_token: "` + fakeToken + `"
admin_ids: [1, 2]
log_level: warn
webhook_secret: ~
webhook_max_connections: 5
`,
			want: with(func(c *Config) {
				c.WebhookMaxConnections = 5
				c.DatabaseURL = "postgres://postgres@127.0.0.1:5432/from_file?sslmode=disable"
				c.TelegramToken = fakeToken
				c.AdminIDs = []int64{1, 2}
				c.LogLevel = slog.LevelWarn
			}),
		},
		{
			name: "EnvironmentOverFile",
			file: "http_addr: 0.0.0.0:1\nadmin_ids: \"5,6\"\nlog_format: json\n",
			env:  map[string]string{"VITRINA_HTTP_ADDR": "127.0.0.1:2", "VITRINA_LOG_FORMAT": ""},
			want: with(func(c *Config) {
				c.HTTPAddr = "127.0.0.1:2"
				c.AdminIDs = []int64{5, 6}
				c.LogFormat = "json" // an empty variable does not clear the file's value
			}),
		},
		{
			name: "EmptyFile",
			file: "# nothing set here\n",
			want: defaults,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			got, err := loadConfig(mapenv(tt.env), path)
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("loadConfig =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestLoadConfig_Errors checks that each mistake is reported with the key the user wrote.
func TestLoadConfig_Errors(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		file     string
		wantErrs []string // substrings of the error
	}{
		{
			name:     "BadToken",
			env:      map[string]string{"VITRINA_TELEGRAM_TOKEN": "123:short"},
			wantErrs: []string{"VITRINA_TELEGRAM_TOKEN: not a bot token"},
		},
		{
			name:     "WebhookWithoutSecret",
			env:      map[string]string{"VITRINA_WEBHOOK_URL": "https://x.example/hook"},
			wantErrs: []string{"VITRINA_WEBHOOK_SECRET: required when VITRINA_WEBHOOK_URL is set"},
		},
		{
			name:     "BadSecret",
			env:      map[string]string{"VITRINA_WEBHOOK_URL": "https://x.example/hook", "VITRINA_WEBHOOK_SECRET": "has space"},
			wantErrs: []string{"VITRINA_WEBHOOK_SECRET: must be 1-256 characters"},
		},
		{
			name:     "SecretTooLong",
			env:      map[string]string{"VITRINA_WEBHOOK_SECRET": strings.Repeat("a", 257)},
			wantErrs: []string{"VITRINA_WEBHOOK_SECRET: must be 1-256 characters"},
		},
		{
			name: "SeveralAtOnce",
			env: map[string]string{
				"VITRINA_ADMIN_IDS":        "1,abc",
				"VITRINA_HTTP_ADDR":        "8080",
				"VITRINA_TELEGRAM_API_URL": "api.telegram.org",
				"VITRINA_LOG_FORMAT":       "xml",
				"VITRINA_LOG_LEVEL":        "loud",
				"VITRINA_REDIS_URL":        "http://redis",
				"VITRINA_DATABASE_URL":     "postgres://h:notaport/db",
			},
			wantErrs: []string{
				`VITRINA_ADMIN_IDS: "abc" is not a Telegram user id`,
				"VITRINA_HTTP_ADDR: must be host:port",
				"VITRINA_TELEGRAM_API_URL: must be an absolute",
				"VITRINA_LOG_FORMAT: must be",
				"VITRINA_LOG_LEVEL: must be",
				"VITRINA_REDIS_URL: not a Redis URL",
				"VITRINA_DATABASE_URL: not a PostgreSQL URL",
			},
		},
		{
			name:     "FastSendsNeedPaidBroadcasts",
			env:      map[string]string{"VITRINA_SEND_RATE": "100"},
			wantErrs: []string{"VITRINA_SEND_RATE: above 30 messages/s", "VITRINA_PAID_BROADCAST=true"},
		},
		{
			name:     "BadSendSettings",
			env:      map[string]string{"VITRINA_SEND_RATE": "0", "VITRINA_PAID_BROADCAST": "yes please", "VITRINA_WORKER_CONCURRENCY": "0"},
			wantErrs: []string{"VITRINA_SEND_RATE: must be a number", "VITRINA_PAID_BROADCAST: must be", "VITRINA_WORKER_CONCURRENCY: must be a whole number"},
		},
		{
			name:     "WebhookMaxConnectionsOutOfRange",
			env:      map[string]string{"VITRINA_WEBHOOK_MAX_CONNECTIONS": "101"},
			wantErrs: []string{"VITRINA_WEBHOOK_MAX_CONNECTIONS: must be a whole number from 1 to 100"},
		},
		{
			name:     "WebhookMaxConnectionsZeroInFile",
			file:     "webhook_max_connections: 0\n",
			wantErrs: []string{"webhook_max_connections in ", "from 1 to 100"},
		},
		{
			name:     "NegativeAdminID",
			env:      map[string]string{"VITRINA_ADMIN_IDS": "-5"},
			wantErrs: []string{`VITRINA_ADMIN_IDS: "-5" is not a Telegram user id`},
		},
		{
			name:     "BadValueInFile",
			file:     "webhook_url: https://x.example/hook\nwebhook_secret: \"no spaces allowed\"\n",
			wantErrs: []string{"webhook_secret in ", "must be 1-256 characters"},
		},
		{
			name:     "UnknownKeyInFile",
			file:     "webhook_secert: abc\n",
			wantErrs: []string{`webhook_secert in `, "unknown key"},
		},
		{
			name:     "NestedValueInFile",
			file:     "telegram_token:\n  value: x\n",
			wantErrs: []string{"telegram_token in ", "must be a string"},
		},
		{
			name:     "NotYAML",
			file:     "a: [",
			wantErrs: []string{"config file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			_, err := loadConfig(mapenv(tt.env), path)
			if err == nil {
				t.Fatal("loadConfig succeeded, want an error")
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadConfig_MissingFile(t *testing.T) {
	_, err := loadConfig(mapenv(nil), filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

// A missing token names the variable, says how to get one, and points at the demo,
// which runs without one.
func TestConfig_RequireTelegram(t *testing.T) {
	err := Config{}.requireTelegram()
	if err == nil {
		t.Fatal("no token: nil error")
	}
	for _, want := range []string{"VITRINA_TELEGRAM_TOKEN: required", "@BotFather", "`make demo`", "without a token"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not contain %q", err, want)
		}
	}
	if err := (Config{TelegramToken: fakeToken}).requireTelegram(); err != nil {
		t.Errorf("with a token: %v", err)
	}
}

// TestSettingsNaming keeps the YAML keys the environment variables' names without VITRINA_,
// and the example file documenting every key.
func TestSettingsNaming(t *testing.T) {
	example, err := os.ReadFile("../../configs/vitrina.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if want := strings.ToLower(strings.TrimPrefix(s.env, "VITRINA_")); s.key != want {
			t.Errorf("%s has YAML key %q, want %q", s.env, s.key, want)
		}
		if !bytes.Contains(example, []byte(s.key+":")) || !bytes.Contains(example, []byte(s.env)) {
			t.Errorf("configs/vitrina.example.yaml does not document %s (%s)", s.key, s.env)
		}
	}
	// The example must itself load.
	if _, err := loadConfig(mapenv(nil), "../../configs/vitrina.example.yaml"); err != nil {
		t.Errorf("the example configuration does not load: %v", err)
	}
}

func TestConfig_LogValue(t *testing.T) {
	secrets := []string{"dbpass", "redispass", "AAbbCCddEEffGGhhIIjjKKllMMnnOOpp-_q", "hooksecret", "provtoken", "qsecret"}
	cfg := Config{
		DatabaseURL:          "postgres://vitrina:dbpass@db:5432/vitrina?sslmode=disable&password=qsecret",
		RedisURL:             "redis://:redispass@redis:6379/0",
		TelegramToken:        fakeToken,
		TelegramAPIURL:       defaultTelegramAPIURL,
		WebhookURL:           "https://x.example/hook",
		WebhookSecret:        "hooksecret",
		PaymentProviderToken: "provtoken",
		AdminIDs:             []int64{42},
	}
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		logger := newLogger(Config{LogFormat: format}, &buf)
		logger.Info("starting", "config", cfg)
		out := buf.String()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s log shows the secret %q:\n%s", format, s, out)
			}
		}
		for _, visible := range []string{"123456:REDACTED", "db:5432", "https://x.example/hook", "42"} {
			if !strings.Contains(out, visible) {
				t.Errorf("%s log lacks %q:\n%s", format, visible, out)
			}
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"":                                "",
		"postgres://u@h/db":               "postgres://u@h/db",
		"postgres://u:p@h/db":             "postgres://u:REDACTED@h/db",
		"host=h user=u password=secret":   "host=h user=u password=REDACTED",
		"host=h password='a b' user=u":    "host=h password=REDACTED user=u",
		"https://api.telegram.org":        "https://api.telegram.org",
		"https://x/bot123:abc-_/getMe":    "https://x/botREDACTED/getMe",
		"https://x/hook?token=t&keep=yes": "https://x/hook?keep=yes&token=REDACTED",
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
