// Command vitrina runs the Vitrina shop platform: the Telegram bot and HTTP server (serve), the
// job worker (worker) and the schema migrations (migrate). Run `vitrina help` for usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/vitrina-shop/vitrina/core/postgres"
)

// Set at build time: go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234".
var (
	version = "dev"
	commit  = ""
)

const usage = `vitrina: sell inside Telegram.

Usage:
  vitrina [--config FILE] <command> [flags] [args]

Commands:
  serve [--with-worker]     receive Telegram updates (webhook or long polling) and serve HTTP:
                            POST /telegram/webhook, GET /healthz, /readyz, /metrics;
                            --with-worker also runs the job worker in this process
  worker [--http-addr ADDR] process background jobs; with --http-addr, also serve
                            GET /healthz, /readyz and /metrics on ADDR
  migrate up|down|status    apply all pending migrations, roll back the last one, or list them
  demo                      run everything against an embedded Telegram sandbox, no token
                            needed: migrates, seeds a demo world, serves the sandbox's web
                            client at /sandbox/; database vitrina_demo and Redis database 1
                            unless VITRINA_DATABASE_URL / VITRINA_REDIS_URL say otherwise
  bench broadcast [flags]   send a broadcast through the real sender and worker processes to
                            the sandbox enforcing Telegram's limits, scaled; print the
                            rate, 429s, per-chat spacing and a payment's wait (README)
  healthcheck [--url URL]   exit 0 if GET URL answers 200 (default: /healthz on
                            VITRINA_HTTP_ADDR); for container health checks
  version                   print the version
  help                      print this help

Configuration comes from environment variables (VITRINA_DATABASE_URL, VITRINA_REDIS_URL,
VITRINA_TELEGRAM_TOKEN, ...) over an optional YAML file given by --config or VITRINA_CONFIG;
configs/vitrina.example.yaml documents every key.
`

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel() // serve and worker finish the work in flight, then return
		// A second signal exits at once. Done here rather than by restoring the default
		// action, which the kernel ignores for PID 1, as vitrina is in a container.
		sig := <-signals
		fmt.Fprintf(os.Stderr, "vitrina: second %v: exiting without finishing the work in flight\n", sig)
		code := 1
		if s, ok := sig.(syscall.Signal); ok {
			code = 128 + int(s)
		}
		os.Exit(code)
	}()
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "vitrina: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake on the command line; main exits with status 2 for it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see `vitrina help`)" }

// run is the whole program: args are the command line (args[0] is the program name), getenv
// reads the environment, stdout gets command output (migrate, version, help) and stderr the
// logs. It returns when the command is done, or, for serve and worker, when ctx is canceled
// and everything has shut down gracefully.
//
// No configured secret appears in the error it returns (see secrets).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	global := flag.NewFlagSet("vitrina", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := global.String("config", "", "YAML configuration file")
	if err := global.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	e.configPath = *configPath
	rest := global.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command"}
	}
	cmd, cmdArgs := rest[0], rest[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, e, cmdArgs)
	case "worker":
		err = cmdWorker(ctx, e, cmdArgs)
	case "migrate":
		err = cmdMigrate(ctx, e, cmdArgs)
	case "demo":
		err = cmdDemo(ctx, e, cmdArgs)
	case "healthcheck":
		err = cmdHealthcheck(ctx, e, cmdArgs)
	case "bench":
		err = cmdBench(ctx, e, cmdArgs)
	case "version":
		err = cmdVersion(e, cmdArgs)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return e.secrets.redactError(err)
}

// env is what every command receives from run.
type env struct {
	getenv     func(string) string
	stdout     io.Writer
	stderr     io.Writer
	configPath string   // from the global --config flag
	secrets    *secrets // of the loaded configuration; scrubbed from run's error
}

// flags returns a flag set for a command, with --config (defaulting to the global one).
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("vitrina "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", e.configPath, "YAML configuration file (default $"+envConfigPath+")")
	return fs
}

// parse parses a command's flags, turning mistakes into usage errors.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// config loads the configuration from the file named by --config or VITRINA_CONFIG, and the
// environment.
func (e *env) config() (Config, error) {
	path := e.configPath
	if path == "" {
		path = e.getenv(envConfigPath)
	}
	cfg, err := loadConfig(e.getenv, path)
	if err == nil {
		e.secrets = newSecrets(cfg)
	}
	return cfg, err
}

// cmdServe runs the bot and the HTTP server, and the worker too with --with-worker, until ctx
// is canceled. It creates the database if it is missing, but does not migrate it. It does
// not wait for Telegram: see startup.go.
//
// On shutdown it first stops taking updates and finishes the ones in flight (HTTP server, long
// polling, inbox sweeper), then stops the worker (which stops taking new tasks as soon as
// shutdown begins), then closes the pools.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := e.flags("serve")
	withWorker := fs.Bool("with-worker", false, "also process background jobs in this process")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if err := cfg.requireTelegram(); err != nil {
		return err
	}
	logger := newLogger(cfg, e.stderr)
	logger.Info("starting", "command", "serve", "with_worker", *withWorker, "version", version, "commit", commitOrUnknown(), "config", cfg)

	if err := postgres.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.wire(ctx); err != nil {
		return fmt.Errorf("wire: %w", err)
	}

	// The webhook path needs PostgreSQL only; the worker needs Redis too.
	a.readyWithoutRedis = !*withWorker

	ln, err := listenHTTP(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	// The HTTP server (health, the webhook storing updates) comes up at once; the bot
	// comes up beside it, however long Telegram takes to answer (runBot).
	intake := []func(context.Context) error{
		func(ctx context.Context) error { return a.serveHTTP(ctx, ln, a.routes(true)) },
		a.runBot(true),
	}
	intake = append(intake, a.serveBackground...)
	stages := [][]func(context.Context) error{intake}
	if *withWorker {
		if err := a.registerQueueMetrics(); err != nil {
			ln.Close()
			return err
		}
		stages = append(stages, append([]func(context.Context) error{a.runWorker}, a.background...))
	}
	err = a.runStages(ctx, stages...)
	logStopped(logger, err)
	return err
}

// logStopped logs the end of serve or worker.
func logStopped(logger *slog.Logger, err error) {
	if err != nil {
		logger.Error("stopped", "error", err)
		return
	}
	logger.Info("stopped")
}

// cmdWorker processes background jobs until ctx is canceled. On shutdown it stops taking new
// tasks, finishes the ones in flight and stops the relay, then stops its HTTP server, then
// closes the pools.
func cmdWorker(ctx context.Context, e *env, args []string) error {
	fs := e.flags("worker")
	httpAddr := fs.String("http-addr", "", "also serve /healthz, /readyz and /metrics on this address (default: no HTTP)")
	rateScale := fs.Float64("rate-scale", 0, "multiply every Telegram rate limit by this (for `vitrina bench` against a sandbox only)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("worker takes no arguments, got %q", fs.Args())}
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if err := cfg.requireTelegram(); err != nil {
		return err
	}
	if *rateScale != 0 && (*rateScale < 0 || cfg.TelegramAPIURL == defaultTelegramAPIURL) {
		return usageError{"--rate-scale must be positive, and is for a sandbox: Telegram itself would answer 429"}
	}
	logger := newLogger(cfg, e.stderr)
	logger.Info("starting", "command", "worker", "version", version, "commit", commitOrUnknown(), "config", cfg)

	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	a.rateScale = *rateScale
	if err := a.wire(ctx); err != nil {
		return fmt.Errorf("wire: %w", err)
	}
	if err := a.registerQueueMetrics(); err != nil {
		return err
	}
	// The relay starts at once; the bot (getMe) comes up beside it, and the task
	// handlers wait for it (runWorker, afterBot).
	work := []func(context.Context) error{a.runWorker, a.runBot(false)}
	stages := [][]func(context.Context) error{append(work, a.background...)}
	if *httpAddr != "" {
		ln, err := listenHTTP(*httpAddr)
		if err != nil {
			return err
		}
		stages = append(stages, []func(context.Context) error{
			func(ctx context.Context) error { return a.serveHTTP(ctx, ln, a.routes(false)) },
		})
	}
	err = a.runStages(ctx, stages...)
	logStopped(logger, err)
	return err
}

// cmdMigrate runs `migrate up|down|status`, writing its report to stdout. up creates the
// database first if it is missing.
func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.flags("migrate")
	fs.Usage = func() { fmt.Fprintln(e.stderr, "usage: vitrina migrate [--config FILE] up|down|status") }
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"migrate wants one of: up, down, status"}
	}
	command := fs.Arg(0)
	switch command {
	case postgres.MigrateUp, postgres.MigrateDown, postgres.MigrateStatus:
	default:
		return usageError{fmt.Sprintf("unknown migrate command %q (want up, down or status)", command)}
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if command == postgres.MigrateUp {
		if err := postgres.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	return postgres.Migrate(ctx, cfg.DatabaseURL, command, e.stdout)
}

// healthcheckTimeout bounds `vitrina healthcheck`.
const healthcheckTimeout = 3 * time.Second

// cmdHealthcheck asks a running vitrina whether it is up: GET --url, by default /healthz on
// VITRINA_HTTP_ADDR (an unspecified host such as 0.0.0.0 or "" means this machine). It
// returns nil on 200. The distroless image has no shell or curl, so container health checks
// run this.
func cmdHealthcheck(ctx context.Context, e *env, args []string) error {
	fs := e.flags("healthcheck")
	target := fs.String("url", "", "URL to GET (default http://VITRINA_HTTP_ADDR/healthz)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"healthcheck takes no arguments"}
	}
	if *target == "" {
		cfg, err := e.config()
		if err != nil {
			return err
		}
		*target = "http://" + localAddr(cfg.HTTPAddr) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return usageError{fmt.Sprintf("healthcheck: bad --url: %v", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", *target, resp.Status)
	}
	return nil
}

// localAddr turns a listen address into one to dial on this machine: an unspecified host
// (":8080", "0.0.0.0:8080", "[::]:8080") becomes 127.0.0.1.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// cmdVersion prints the version, the commit and the Go version.
func cmdVersion(e *env, args []string) error {
	if len(args) > 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintf(e.stdout, "vitrina %s (commit %s, %s)\n", version, commitOrUnknown(), runtime.Version())
	return nil
}

// commitOrUnknown returns the commit set at build time, else the one the Go toolchain
// recorded (when built with VCS stamping), else "unknown".
func commitOrUnknown() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				if len(s.Value) > 12 {
					return s.Value[:12]
				}
				return s.Value
			}
		}
	}
	return "unknown"
}
