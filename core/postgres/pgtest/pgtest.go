// Package pgtest gives each test its own PostgreSQL database with the schema already applied.
//
// The schema is applied once per server to a template database named after a hash of the
// embedded migrations (vitrina_tpl_<hash>); every test database is a copy of it
// (CREATE DATABASE ... TEMPLATE), which takes milliseconds instead of a migration run. A change
// to any migration file gives a new hash, hence a new template: stale templates are never used
// (drop them with `make clean-testdb`).
//
// The server is VITRINA_TEST_DATABASE_URL (default DefaultServerURL). Set VITRINA_KEEP_TEST_DB
// to any non-empty value to keep the test databases for inspection; their names are logged.
//
// pgtest deliberately does not import core/postgres, so that package's own internal tests can
// use it without an import cycle.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/vitrina-shop/vitrina/migrations"
)

// DefaultServerURL is the server used when VITRINA_TEST_DATABASE_URL is not set: a local
// PostgreSQL where the postgres role needs no password. Its database is the maintenance
// database from which test databases are created and dropped.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Environment variables read by this package.
const (
	EnvServerURL = "VITRINA_TEST_DATABASE_URL"
	EnvKeep      = "VITRINA_KEEP_TEST_DB"
)

// Name prefixes of the databases this package creates; `make clean-testdb` drops them.
const (
	TemplatePrefix = "vitrina_tpl_"
	TestPrefix     = "vitrina_test_"
)

// templateLockKey is the advisory lock (on the maintenance database) held while a template is
// created, so concurrent test binaries and parallel tests build it once. Any fixed int64 works;
// this one spells "vitrtpl" in ASCII.
const templateLockKey int64 = 0x7669747274706c

// setupTimeout bounds creating the template (a full migration run) or a test database.
const setupTimeout = 2 * time.Minute

// migrationsHashVersion is mixed into the template hash: bump it when the way the template is
// built changes, so templates built the old way are not reused.
const migrationsHashVersion = "pgtest-1"

// ServerURL returns the URL of the test PostgreSQL server: VITRINA_TEST_DATABASE_URL, or
// DefaultServerURL when it is empty.
func ServerURL() string {
	if u := os.Getenv(EnvServerURL); u != "" {
		return u
	}
	return DefaultServerURL
}

// NewDB creates a database for this test only, with every migration applied, and returns a
// pool connected to it and its URL (for code under test that opens its own connections, such
// as a `vitrina` subcommand). Both are valid until the test ends: a cleanup then closes the
// pool and drops the database, even while other connections to it are still open (WITH
// FORCE), unless VITRINA_KEEP_TEST_DB is set.
//
// It is safe from parallel tests and from many test binaries at once. It fails the test
// (t.Fatal) when the server is unreachable or the migrations do not apply.
func NewDB(t testing.TB) (pool *pgxpool.Pool, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	server := ServerURL()
	admin, err := adminPool(ctx, server)
	if err != nil {
		t.Fatalf("pgtest: PostgreSQL for tests unreachable (%s=%q; start it with .ci/run): %v", EnvServerURL, redact(server), err)
	}
	template, err := templateName()
	if err != nil {
		t.Fatalf("pgtest: hash migrations: %v", err)
	}
	if err := ensureTemplate(ctx, admin, server, template); err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	name := testDatabaseName(t.Name())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+quote(name)+" TEMPLATE "+quote(template)); err != nil {
		t.Fatalf("pgtest: create database %s from %s: %v", name, template, err)
	}
	url, err = withDatabase(server, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// A clone is a new database: it gets an identity of its own (postgres.InstanceID).
	if conn, err := pgx.Connect(ctx, url); err != nil {
		t.Fatalf("pgtest: %v", err)
	} else {
		_, err := conn.Exec(ctx, `UPDATE instance SET id = gen_random_uuid()`)
		conn.Close(ctx)
		if err != nil {
			t.Fatalf("pgtest: new instance id: %v", err)
		}
	}
	keep := os.Getenv(EnvKeep) != ""
	t.Cleanup(func() {
		if pool != nil {
			pool.Close()
		}
		if keep {
			t.Logf("pgtest: kept database %s (%s is set)", name, EnvKeep)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+quote(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	pool, err = pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: open pool on %s: %v", name, err)
	}
	return pool, url
}

// admin pools are shared by every test of the process, one per server URL: connecting to the
// maintenance database for each test would cost more than cloning the template. They live
// until the process exits.
var (
	adminMu    sync.Mutex
	adminPools = map[string]*pgxpool.Pool{}
)

func adminPool(ctx context.Context, server string) (*pgxpool.Pool, error) {
	adminMu.Lock()
	defer adminMu.Unlock()
	if p, ok := adminPools[server]; ok {
		return p, nil
	}
	p, err := pgxpool.New(ctx, server)
	if err != nil {
		return nil, err
	}
	if err := p.Ping(ctx); err != nil {
		p.Close()
		return nil, err
	}
	adminPools[server] = p
	return p, nil
}

// readyTemplates remembers the templates this process has seen ready, keyed by server URL and
// template name, to skip the catalog query on every test after the first.
var readyTemplates sync.Map

// templateName returns the name of the template database for the embedded migrations.
func templateName() (string, error) {
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	return TemplatePrefix + hash, nil
}

// ensureTemplate makes sure the template database name exists with every embedded migration
// applied, building it if no process has yet.
//
// A template is ready once it is marked IS_TEMPLATE, which is the last step of building it; a
// database with the template's name that is not marked is the remains of a build that died
// midway, and is rebuilt.
func ensureTemplate(ctx context.Context, admin *pgxpool.Pool, server, name string) error {
	cacheKey := server + "\x00" + name
	if _, ok := readyTemplates.Load(cacheKey); ok {
		return nil
	}
	if ready, _, err := templateState(ctx, admin, name); err != nil {
		return err
	} else if ready {
		readyTemplates.Store(cacheKey, true)
		return nil
	}

	// Slow path: build it under a session-level advisory lock. The lock lives on one
	// connection, which goes back to the pool only after the unlock.
	conn, err := admin.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire maintenance connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return fmt.Errorf("lock template creation: %w", err)
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", templateLockKey); err != nil {
			// Ending the session releases the lock; the pool drops a closed connection.
			_ = conn.Conn().Close(ctx)
		}
	}()

	ready, exists, err := templateState(ctx, conn, name)
	if err != nil {
		return err
	}
	if ready { // built by another process while we waited for the lock
		readyTemplates.Store(cacheKey, true)
		return nil
	}
	if exists {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+quote(name)+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop unfinished template %s: %w", name, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+quote(name)); err != nil {
		return fmt.Errorf("create template %s: %w", name, err)
	}
	if err := migrate(ctx, server, name); err != nil {
		return fmt.Errorf("migrate template %s: %w", name, err)
	}
	// No connections are allowed to a template from now on: CREATE DATABASE ... TEMPLATE
	// refuses to copy a database someone is connected to.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+quote(name)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("mark template %s: %w", name, err)
	}
	readyTemplates.Store(cacheKey, true)
	return nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// templateState reports whether the database name exists and whether it is a finished template.
func templateState(ctx context.Context, q querier, name string) (ready, exists bool, err error) {
	err = q.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&ready)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("look up template %s: %w", name, err)
	}
	return ready, true, nil
}

// migrate applies every embedded migration to the database name on server, the way
// `vitrina migrate up` does (same goose version table), without goose's own lock: the caller
// holds the template lock.
func migrate(ctx context.Context, server, name string) error {
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		return err
	}
	cfg.Database = name
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	_, err = provider.Up(ctx)
	return err
}

var (
	hashOnce  sync.Once
	hashValue string
	hashErr   error
)

// migrationsHash returns 16 hex digits of a SHA-256 over the names and contents of every
// embedded migration, in name order.
func migrationsHash() (string, error) {
	hashOnce.Do(func() {
		h := sha256.New()
		h.Write([]byte(migrationsHashVersion))
		hashErr = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(migrations.FS, path)
			if err != nil {
				return err
			}
			// Length-prefixed so that moving bytes between a name and a content changes the hash.
			fmt.Fprintf(h, "\x00%d:%s\x00%d:", len(path), path, len(data))
			h.Write(data)
			return nil
		})
		hashValue = hex.EncodeToString(h.Sum(nil)[:8])
	})
	return hashValue, hashErr
}

// testDatabaseName returns a unique database name that starts with the test's name, so a kept
// database can be told apart: vitrina_test_<test name>_<random>, at most 63 bytes.
func testDatabaseName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	slug := b.String()
	const maxSlug = 63 - len(TestPrefix) - 1 - 12
	if len(slug) > maxSlug {
		slug = slug[:maxSlug]
	}
	random := make([]byte, 6)
	rand.Read(random) // never fails (crypto/rand, Go 1.24+)
	return TestPrefix + slug + "_" + hex.EncodeToString(random)
}

// withDatabase returns server with its database replaced by name. server is a postgres:// or
// postgresql:// URL.
func withDatabase(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvServerURL)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// redact hides the password of a URL for error messages.
func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }
