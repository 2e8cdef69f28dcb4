package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/vitrina-shop/vitrina/migrations"
)

// PostgreSQL error codes this file reacts to.
const (
	sqlstateInvalidCatalogName = "3D000" // the database does not exist
	sqlstateDuplicateDatabase  = "42P04"
	sqlstateUniqueViolation    = "23505"
)

// maintenanceDatabases are tried in order to reach a server whose target database does not
// exist yet: "postgres" exists on every stock installation, template1 on all of them.
var maintenanceDatabases = []string{"postgres", "template1"}

// ValidateURL reports whether url is a connection string pgx accepts (a postgres:// URL or
// keyword/value pairs) naming a database. It does not connect. The error never contains the
// password.
func ValidateURL(url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err // pgconn redacts the password in ParseConfigError
	}
	if cfg.Database == "" {
		return errors.New("no database name")
	}
	return nil
}

// EnsureDatabase creates the database named in url when it does not exist yet, so a fresh
// server needs no manual step before `vitrina migrate up`.
//
// It first connects to the database itself: when that works (the usual case) it returns nil
// without needing the CREATEDB privilege. When the server answers that the database does not
// exist, it connects to the maintenance database of the same server ("postgres", else
// "template1") with the same credentials and runs CREATE DATABASE. Several processes may call
// it at once: losing the creation race counts as success. Any other failure (server
// unreachable, authentication, missing privilege) is returned.
func EnsureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	if name == "" {
		return errors.New("database url names no database")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	if !sqlstateIs(err, sqlstateInvalidCatalogName) {
		return fmt.Errorf("connect to database %q: %w", name, err)
	}

	admin, err := connectMaintenance(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	switch {
	case err == nil, sqlstateIs(err, sqlstateDuplicateDatabase):
		return nil
	case sqlstateIs(err, sqlstateUniqueViolation):
		// Two CREATE DATABASE racing: the loser may fail on pg_database's unique index
		// instead of with duplicate_database, after the winner committed.
		var exists bool
		if qerr := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); qerr == nil && exists {
			return nil
		}
	}
	return fmt.Errorf("create database %q: %w", name, err)
}

// connectMaintenance connects to the first maintenance database of cfg's server that exists.
func connectMaintenance(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	var err error
	for _, db := range maintenanceDatabases {
		mc := cfg.Copy()
		mc.Database = db
		var conn *pgx.Conn
		conn, err = pgx.ConnectConfig(ctx, mc)
		if err == nil {
			return conn, nil
		}
		if !sqlstateIs(err, sqlstateInvalidCatalogName) {
			break
		}
	}
	return nil, fmt.Errorf("connect to maintenance database: %w", err)
}

// Open returns a connection pool to the database named in url, after checking that the
// database answers. Pool settings come from the URL (pool_max_conns, pool_max_conn_lifetime,
// ...; see pgxpool.ParseConfig). The caller closes the pool.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database %q: %w", cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// Migration commands understood by Migrate.
const (
	MigrateUp     = "up"     // apply every pending migration
	MigrateDown   = "down"   // roll back the most recently applied migration
	MigrateStatus = "status" // list every migration and whether it is applied
)

// How long Migrate waits for another process migrating the same database (several replicas
// starting together, a deploy job): a try every second, 600 tries.
const (
	migrateLockPeriodSeconds = 1
	migrateLockTries         = 600
)

// Migrate runs a goose command over the migrations embedded in package migrations against the
// database named in url, and writes a human-readable report to out.
//
// command is MigrateUp, MigrateDown or MigrateStatus; anything else is an error. Up and down
// hold a PostgreSQL advisory lock while they run, so concurrent callers apply each migration
// once: the others wait (up to 10 minutes) and then find nothing pending. Up with nothing
// pending and down with nothing applied succeed and say so. When a migration fails, the ones
// applied before it stay applied (each runs in its own transaction) and are reported; the
// error names the failing version. The database must exist (see EnsureDatabase).
func Migrate(ctx context.Context, url string, command string, out io.Writer) error {
	switch command {
	case MigrateUp, MigrateDown, MigrateStatus:
	default:
		return fmt.Errorf("unknown migrate command %q (want %s, %s or %s)", command, MigrateUp, MigrateDown, MigrateStatus)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close() // all the provider holds

	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(migrateLockPeriodSeconds, migrateLockTries))
	if err != nil {
		return fmt.Errorf("create migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true), // only the embedded SQL files, never Go migrations registered by init
	)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}

	switch command {
	case MigrateUp:
		return migrateUp(ctx, provider, out)
	case MigrateDown:
		return migrateDown(ctx, provider, out)
	default:
		return migrateStatus(ctx, provider, out)
	}
}

func migrateUp(ctx context.Context, p *goose.Provider, out io.Writer) error {
	results, err := p.Up(ctx)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		results = partial.Applied
	}
	for _, r := range results {
		fmt.Fprintln(out, r)
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	version, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if len(results) == 0 {
		fmt.Fprintf(out, "no pending migrations; schema version %d\n", version)
		return nil
	}
	fmt.Fprintf(out, "applied %d migration(s); schema version %d\n", len(results), version)
	return nil
}

func migrateDown(ctx context.Context, p *goose.Provider, out io.Writer) error {
	result, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		fmt.Fprintln(out, "no applied migration to roll back; schema version 0")
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	if result == nil { // goose returns nothing when only the zero version is recorded
		fmt.Fprintln(out, "no applied migration to roll back; schema version 0")
		return nil
	}
	fmt.Fprintln(out, result)
	version, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	fmt.Fprintf(out, "schema version %d\n", version)
	return nil
}

func migrateStatus(ctx context.Context, p *goose.Provider, out io.Writer) error {
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tSTATE\tAPPLIED AT\tFILE")
	pending := 0
	for _, s := range statuses {
		appliedAt := "-"
		if s.State == goose.StateApplied {
			appliedAt = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		} else {
			pending++
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, appliedAt, s.Source.Path)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	version, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	fmt.Fprintf(out, "schema version %d, %d pending\n", version, pending)
	return nil
}

// sqlstateIs reports whether err carries a PostgreSQL error with the given SQLSTATE code.
func sqlstateIs(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// InstanceID returns this database's identity: a random id made when it was
// created (by its migration, or anew for a test database cloned from a template).
// Keys kept outside the database for longer than a task lives carry it
// (workers.Deps.Instance), so a database created again against the same Redis is
// not taken for the old one.
func InstanceID(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var id string
	if err := pool.QueryRow(ctx, `SELECT replace(id::text, '-', '') FROM instance`).Scan(&id); err != nil {
		return "", fmt.Errorf("read the database's instance id (is it migrated?): %w", err)
	}
	return id[:12], nil
}
