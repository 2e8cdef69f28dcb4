package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// missingDatabaseURL returns the URL of a database that does not exist yet on the test
// server, dropped when the test ends.
func missingDatabaseURL(t *testing.T) (dbURL, name string) {
	t.Helper()
	u, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 6)
	rand.Read(random)
	// Mixed case and a dash: CREATE DATABASE must quote the name.
	name = pgtest.TestPrefix + "Ensure-" + hex.EncodeToString(random)
	u.Path = "/" + name
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgtest.ServerURL())
		if err != nil {
			t.Errorf("connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return u.String(), name
}

func TestEnsureDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CreatesMissing", func(t *testing.T) {
		t.Parallel()
		dbURL, name := missingDatabaseURL(t)
		if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
		pool, err := postgres.Open(ctx, dbURL)
		if err != nil {
			t.Fatalf("Open after EnsureDatabase: %v", err)
		}
		defer pool.Close()
		var got string
		if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != name {
			t.Errorf("connected to %q, want %q", got, name)
		}
		if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
			t.Errorf("EnsureDatabase on an existing database: %v", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		dbURL, _ := missingDatabaseURL(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = postgres.EnsureDatabase(ctx, dbURL) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
		}
	})

	t.Run("UnreachableServer", func(t *testing.T) {
		t.Parallel()
		err := postgres.EnsureDatabase(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5")
		if err == nil {
			t.Fatal("EnsureDatabase succeeded against a closed port")
		}
	})
}

func TestValidateURL(t *testing.T) {
	for _, ok := range []string{
		"postgres://postgres@127.0.0.1:5432/vitrina?sslmode=disable",
		"host=127.0.0.1 user=postgres dbname=vitrina",
	} {
		if err := postgres.ValidateURL(ok); err != nil {
			t.Errorf("ValidateURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"postgres://u:hunter2@h:notaport/db",
		"postgres://u@h:5432/db?sslmode=sometimes",
	} {
		err := postgres.ValidateURL(bad)
		if err == nil {
			t.Errorf("ValidateURL(%q) = nil", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ValidateURL error shows the password: %v", err)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, dbURL := pgtest.NewDB(t) // already migrated by the template

	var out bytes.Buffer
	if err := postgres.Migrate(ctx, dbURL, postgres.MigrateUp, &out); err != nil {
		t.Fatalf("up: %v", err)
	}
	if !strings.Contains(out.String(), "no pending migrations") {
		t.Errorf("up on a migrated database printed %q", out.String())
	}

	// Concurrent down/up would race without goose's lock; up from many callers must apply
	// each migration once.
	out.Reset()
	if err := postgres.Migrate(ctx, dbURL, postgres.MigrateDown, &out); err != nil {
		t.Fatalf("down: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, dbURL, postgres.MigrateUp, &bytes.Buffer{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent up %d: %v", i, err)
		}
	}
	out.Reset()
	if err := postgres.Migrate(ctx, dbURL, postgres.MigrateStatus, &out); err != nil {
		t.Fatalf("status: %v", err)
	}
	if !strings.Contains(out.String(), ", 0 pending") {
		t.Errorf("status after concurrent up printed:\n%s", out.String())
	}

	if err := postgres.Migrate(ctx, dbURL, "sideways", &out); err == nil {
		t.Error("an unknown command succeeded")
	}
}
