package pgtest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/migrations"
)

func TestNewDB(t *testing.T) {
	t.Parallel()
	pool, url := NewDB(t)
	ctx := context.Background()

	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&applied); err != nil {
		t.Fatalf("read goose version table: %v", err)
	}
	if applied != len(files) {
		t.Errorf("applied migrations = %d, want %d (every embedded file)", applied, len(files))
	}
	if url == "" {
		t.Error("empty url")
	}
}

func TestNewDB_Isolated(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool, _ := NewDB(t)
			ctx := context.Background()
			// The same table name in every database: a shared database would fail here.
			if _, err := pool.Exec(ctx, "CREATE TABLE pgtest_probe (n int)"); err != nil {
				t.Fatalf("create table: %v", err)
			}
			if _, err := pool.Exec(ctx, "INSERT INTO pgtest_probe VALUES ($1)", i); err != nil {
				t.Fatalf("insert: %v", err)
			}
			var count int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM pgtest_probe").Scan(&count); err != nil {
				t.Fatal(err)
			}
			if count != 1 {
				t.Errorf("rows = %d, want 1", count)
			}
		})
	}
}

func TestNewDB_DropsOnCleanup(t *testing.T) {
	if os.Getenv(EnvKeep) != "" {
		t.Skip(EnvKeep + " is set")
	}
	var name string
	t.Run("Use", func(t *testing.T) {
		pool, _ := NewDB(t)
		if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		// A connection left open by the code under test must not stop the drop.
		conn, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.Conn() // deliberately never released before cleanup
		t.Cleanup(conn.Release)
	})
	admin, err := adminPool(context.Background(), ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := admin.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after the test ended", name)
	}
}

// TestEnsureTemplate_Concurrent builds one template from many goroutines at once (as parallel
// tests and test binaries do); every caller must succeed and find a usable template.
func TestEnsureTemplate_Concurrent(t *testing.T) {
	ctx := context.Background()
	server := ServerURL()
	admin, err := adminPool(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	name := testDatabaseName("tpl_concurrent") // not the real template: this test owns it
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "ALTER DATABASE "+quote(name)+" WITH IS_TEMPLATE false"); err != nil {
			t.Errorf("unmark template: %v", err)
		}
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+quote(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("drop template: %v", err)
		}
	})

	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = ensureTemplate(ctx, admin, server, name) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	clone := testDatabaseName("tpl_concurrent_clone")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+quote(clone)+" TEMPLATE "+quote(name)); err != nil {
		t.Fatalf("clone the template: %v", err)
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE "+quote(clone)+" WITH (FORCE)"); err != nil {
		t.Errorf("drop clone: %v", err)
	}
}

func TestTestDatabaseName(t *testing.T) {
	long := "TestSomething/With Spaces/And-a-very-long-name-that-goes-on-and-on-and-on-forever"
	a, b := testDatabaseName(long), testDatabaseName(long)
	if a == b {
		t.Errorf("two names are equal: %s", a)
	}
	if len(a) > 63 {
		t.Errorf("len(%q) = %d, PostgreSQL keeps only 63 bytes", a, len(a))
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			t.Fatalf("name %q has %q", a, r)
		}
	}
}

// BenchmarkNewDB measures what NewDB costs each test once the template exists: clone the
// template, connect, drop.
func BenchmarkNewDB(b *testing.B) {
	NewDB(b) // builds the template outside the measurement
	ctx := context.Background()
	server := ServerURL()
	admin, err := adminPool(ctx, server)
	if err != nil {
		b.Fatal(err)
	}
	template, err := templateName()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		name := testDatabaseName(b.Name())
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+quote(name)+" TEMPLATE "+quote(template)); err != nil {
			b.Fatal(err)
		}
		url, err := withDatabase(server, name)
		if err != nil {
			b.Fatal(err)
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		if err := pool.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		pool.Close()
		if _, err := admin.Exec(ctx, "DROP DATABASE "+quote(name)+" WITH (FORCE)"); err != nil {
			b.Fatal(err)
		}
	}
}
