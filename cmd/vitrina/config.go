package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core/postgres"
)

// Config is everything Vitrina reads at start-up. It comes from environment variables, over an
// optional YAML file, over the defaults; see loadConfig and configs/vitrina.example.yaml.
//
// It holds secrets: log it only as a whole (it redacts itself, see LogValue), never a field.
type Config struct {
	DatabaseURL    string // PostgreSQL URL; `serve` and `migrate up` create the database if missing
	RedisURL       string // Redis URL in asynq's syntax (redis://, rediss://, redis-socket://, redis-sentinel://)
	TelegramToken  string // bot token from @BotFather
	TelegramAPIURL string // Bot API server; any compatible server (self-hosted, the sandbox) works
	WebhookURL     string // public HTTPS URL Telegram posts updates to; empty: long polling
	WebhookSecret  string // X-Telegram-Bot-Api-Secret-Token; required with WebhookURL
	// WebhookMaxConnections is setWebhook's max_connections: how many webhook requests
	// Telegram keeps open at once for the bot (1-100).
	WebhookMaxConnections int
	HTTPAddr              string  // listen address of the HTTP server (webhook, health, metrics)
	AdminIDs              []int64 // Telegram user ids of the platform operators
	PaymentProviderToken  string  // platform default card provider token; a shop may set its own
	LogFormat             string  // "json", "text", or "" to pick text on a terminal and JSON elsewhere
	LogLevel              slog.Level
	SendRate              float64 // messages per second the sender allows itself, all workers together
	PaidBroadcast         bool    // broadcasts with allow_paid_broadcast (Stars) up to SendRate
	WorkerConcurrency     int     // tasks one worker process runs at once
}

// Defaults of the settings that have one.
const (
	defaultDatabaseURL    = "postgres://postgres@127.0.0.1:5432/vitrina?sslmode=disable"
	defaultRedisURL       = "redis://127.0.0.1:6379/0"
	defaultTelegramAPIURL = "https://api.telegram.org"
	defaultHTTPAddr       = "127.0.0.1:8080"
	// Telegram's own default of max_connections; the webhook answers once an update is
	// stored, so a request holds a connection for milliseconds and 40 go a long way.
	defaultWebhookMaxConnections = 40
	defaultSendRate              = 30 // Telegram's free bulk rate (Bots FAQ)
	maxSendRate                  = 1000
	maxFreeSendRate              = 30
	defaultConcurrency           = 32
)

// envConfigPath names the environment variable holding the YAML file path; --config wins over it.
const envConfigPath = "VITRINA_CONFIG"

// setting is one configuration key: its environment variable, its YAML key, and how to store
// its text into a Config. parse returns an error without the key's name; the caller adds it.
type setting struct {
	env   string
	key   string
	parse func(c *Config, value string) error
}

// settings lists every key. The YAML key is always the environment variable without the
// VITRINA_ prefix, in lower case; TestSettingsNaming keeps it so.
var settings = []setting{
	{"VITRINA_DATABASE_URL", "database_url", func(c *Config, v string) error {
		if err := postgres.ValidateURL(v); err != nil {
			return fmt.Errorf("not a PostgreSQL URL: %v", err)
		}
		c.DatabaseURL = v
		return nil
	}},
	{"VITRINA_REDIS_URL", "redis_url", func(c *Config, v string) error {
		if _, err := asynq.ParseRedisURI(v); err != nil {
			return errors.New("not a Redis URL (redis://[:password@]host[:port][/db], rediss://..., redis-socket://..., redis-sentinel://...)")
		}
		c.RedisURL = v
		return nil
	}},
	{"VITRINA_TELEGRAM_TOKEN", "telegram_token", func(c *Config, v string) error {
		if !tokenPattern.MatchString(v) {
			return errors.New("not a bot token (digits, a colon, 35 letters, digits, _ or -; ask @BotFather)")
		}
		c.TelegramToken = v
		return nil
	}},
	{"VITRINA_TELEGRAM_API_URL", "telegram_api_url", func(c *Config, v string) error {
		if err := checkHTTPURL(v); err != nil {
			return err
		}
		c.TelegramAPIURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"VITRINA_WEBHOOK_URL", "webhook_url", func(c *Config, v string) error {
		if err := checkHTTPURL(v); err != nil {
			return err
		}
		c.WebhookURL = v
		return nil
	}},
	{"VITRINA_WEBHOOK_SECRET", "webhook_secret", func(c *Config, v string) error {
		if !webhookSecretPattern.MatchString(v) {
			return errors.New("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
		}
		c.WebhookSecret = v
		return nil
	}},
	{"VITRINA_WEBHOOK_MAX_CONNECTIONS", "webhook_max_connections", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return errors.New("must be a whole number from 1 to 100 (Telegram's limits for max_connections)")
		}
		c.WebhookMaxConnections = n
		return nil
	}},
	{"VITRINA_HTTP_ADDR", "http_addr", func(c *Config, v string) error {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return errors.New("must be host:port, such as 127.0.0.1:8080 or :8080")
		}
		c.HTTPAddr = v
		return nil
	}},
	{"VITRINA_ADMIN_IDS", "admin_ids", func(c *Config, v string) error {
		ids, err := parseAdminIDs(v)
		if err != nil {
			return err
		}
		c.AdminIDs = ids
		return nil
	}},
	{"VITRINA_PAYMENT_PROVIDER_TOKEN", "payment_provider_token", func(c *Config, v string) error {
		c.PaymentProviderToken = v
		return nil
	}},
	{"VITRINA_LOG_FORMAT", "log_format", func(c *Config, v string) error {
		if v != "json" && v != "text" {
			return errors.New(`must be "json" or "text"`)
		}
		c.LogFormat = v
		return nil
	}},
	{"VITRINA_SEND_RATE", "send_rate", func(c *Config, v string) error {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0) || r > maxSendRate {
			return fmt.Errorf("must be a number of messages per second above 0 and at most %d", maxSendRate)
		}
		c.SendRate = r
		return nil
	}},
	{"VITRINA_PAID_BROADCAST", "paid_broadcast", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New(`must be "true" or "false"`)
		}
		c.PaidBroadcast = b
		return nil
	}},
	{"VITRINA_WORKER_CONCURRENCY", "worker_concurrency", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errors.New("must be a whole number from 1 to 1000")
		}
		c.WorkerConcurrency = n
		return nil
	}},
	{"VITRINA_LOG_LEVEL", "log_level", func(c *Config, v string) error {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return errors.New(`must be "debug", "info", "warn" or "error"`)
		}
		return nil
	}},
}

var (
	// tokenPattern is telego's own check of a bot token.
	tokenPattern = regexp.MustCompile(`^\d+:[\w-]{35}$`)
	// webhookSecretPattern is Telegram's rule for secret_token of setWebhook.
	webhookSecretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// loadConfig builds a Config from the defaults, then the YAML file at path (when path is not
// empty), then the environment variables read through getenv. An empty environment variable
// counts as unset, so it does not clear a value from the file.
//
// It returns every problem at once, each naming its key the way the user set it (the
// environment variable, or the file and YAML key), together with what is expected. Unknown
// keys in the file are errors. Rules that tie keys together (a webhook needs a secret) are
// checked too; rules that depend on the command (serve needs a token) are in Config.require*.
func loadConfig(getenv func(string) string, path string) (Config, error) {
	cfg := Config{
		DatabaseURL:           defaultDatabaseURL,
		RedisURL:              defaultRedisURL,
		TelegramAPIURL:        defaultTelegramAPIURL,
		HTTPAddr:              defaultHTTPAddr,
		WebhookMaxConnections: defaultWebhookMaxConnections,
		LogLevel:              slog.LevelInfo,
		SendRate:              defaultSendRate,
		WorkerConcurrency:     defaultConcurrency,
	}
	values := map[string]string{} // env name -> raw value
	source := map[string]string{} // env name -> how to name the key in an error
	var errs []error

	if path != "" {
		fileValues, err := readConfigFile(path)
		if err != nil {
			return Config{}, err
		}
		for _, s := range settings {
			if v, ok := fileValues[s.key]; ok {
				values[s.env] = v
				source[s.env] = fmt.Sprintf("%s in %s", s.key, path)
			}
		}
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			values[s.env] = v
			source[s.env] = s.env
		}
	}
	for _, s := range settings {
		v, ok := values[s.env]
		if !ok {
			continue
		}
		if err := s.parse(&cfg, strings.TrimSpace(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source[s.env], err))
		}
	}
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" && values["VITRINA_WEBHOOK_SECRET"] == "" {
		errs = append(errs, fmt.Errorf("VITRINA_WEBHOOK_SECRET: required when %s is set (1-256 characters of A-Z, a-z, 0-9, _ and -)", source["VITRINA_WEBHOOK_URL"]))
	}
	if cfg.SendRate > maxFreeSendRate && !cfg.PaidBroadcast {
		errs = append(errs, fmt.Errorf("%s: above %d messages/s Telegram answers 429 unless broadcasts are paid: set VITRINA_PAID_BROADCAST=true too (the bot must qualify, and pays Stars for it)", source["VITRINA_SEND_RATE"], maxFreeSendRate))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// requireTelegram reports a missing bot token, which serve and worker cannot run without.
func (c Config) requireTelegram() error {
	if c.TelegramToken == "" {
		return errors.New("invalid configuration:\nVITRINA_TELEGRAM_TOKEN: required. serve and worker talk to Telegram as a bot (`make demo` runs Vitrina against a simulated Telegram without a token): " +
			"in Telegram, open @BotFather (https://t.me/BotFather), send /newbot, pick a name and a username, " +
			"and set VITRINA_TELEGRAM_TOKEN to the token it answers with (123456789:AA...); README.md has the details")
	}
	return nil
}

// readConfigFile reads a YAML mapping of setting keys to scalars (admin_ids may also be a
// list) and returns each value as text.
func readConfigFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var raw map[string]any
	// An empty file, or one of comments only, decodes to io.EOF: no settings.
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.key] = true
	}
	out := map[string]string{}
	var errs []error
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !known[k] {
			errs = append(errs, fmt.Errorf("%s in %s: unknown key", k, path))
			continue
		}
		v, err := yamlScalar(raw[k], k == "admin_ids")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s in %s: %w", k, path, err))
			continue
		}
		if v != "" {
			out[k] = v
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return out, nil
}

// yamlScalar turns a decoded YAML value into the text an environment variable would hold. A
// list is accepted only when list is true, and joined with commas. null is "".
func yamlScalar(v any, list bool) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case []any:
		if list {
			parts := make([]string, 0, len(v))
			for _, item := range v {
				s, err := yamlScalar(item, false)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, ","), nil
		}
	}
	if list {
		return "", fmt.Errorf("must be a list of numbers or a comma-separated string, not %T", v)
	}
	return "", fmt.Errorf("must be a string (quote it), not %T", v)
}

// parseAdminIDs parses comma-separated positive Telegram user ids; blanks around commas and
// empty items are ignored.
func parseAdminIDs(v string) ([]int64, error) {
	var ids []int64
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, err := strconv.ParseInt(item, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not a Telegram user id (a positive integer); separate ids with commas", item)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("must be an absolute http:// or https:// URL")
	}
	return nil
}

// LogValue renders the configuration for logs with every secret hidden: the bot token keeps
// only the bot's id (public), the webhook secret and provider token only whether they are set,
// URLs lose their passwords.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("telegram_token", redactToken(c.TelegramToken)),
		slog.String("telegram_api_url", redactURL(c.TelegramAPIURL)),
		slog.String("webhook_url", redactURL(c.WebhookURL)),
		slog.String("webhook_secret", redactSecret(c.WebhookSecret)),
		slog.Int("webhook_max_connections", c.WebhookMaxConnections),
		slog.String("http_addr", c.HTTPAddr),
		slog.Any("admin_ids", c.AdminIDs),
		slog.String("payment_provider_token", redactSecret(c.PaymentProviderToken)),
		slog.String("log_format", c.LogFormat),
		slog.String("log_level", c.LogLevel.String()),
		slog.Float64("send_rate", c.SendRate),
		slog.Bool("paid_broadcast", c.PaidBroadcast),
		slog.Int("worker_concurrency", c.WorkerConcurrency),
	)
}

const redacted = "REDACTED"

func redactSecret(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// redactToken keeps the bot id before the colon, which is public, and hides the rest.
func redactToken(token string) string {
	if token == "" {
		return ""
	}
	if id, _, ok := strings.Cut(token, ":"); ok && id != "" && strings.Trim(id, "0123456789") == "" {
		return id + ":" + redacted
	}
	return redacted
}

// passwordPair matches password=... in a keyword/value connection string.
var passwordPair = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactURL hides the password of a URL, and any query parameter whose name mentions a
// password, secret or token. A string that is not a URL is treated as a keyword/value
// connection string.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return passwordPair.ReplaceAllString(s, "${1}"+redacted)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	if q := u.Query(); len(q) > 0 {
		changed := false
		for k := range q {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
				q.Set(k, redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	// Telegram-style URLs carry the token in the path (/bot<token>/...).
	u.Path = botPathToken.ReplaceAllString(u.Path, "/bot"+redacted)
	u.RawPath = ""
	return u.String()
}

var botPathToken = regexp.MustCompile(`/bot\d+:[\w-]+`)
