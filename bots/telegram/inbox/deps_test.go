package inbox

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the inbox free of storage and jobs: its store comes in through the
// Store interface (postgres.Inbox implements it with builtin types), so it imports no
// database, job queue or package of this module.
func TestImports(t *testing.T) {
	const module = "github.com/vitrina-shop/vitrina/"
	forbidden := []string{"github.com/jackc/", "database/sql", "github.com/hibiken/asynq", "github.com/redis/", module}
	pkg, err := build.Import(module+"bots/telegram/inbox", ".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("no imports found: the check checks nothing")
	}
	for _, imp := range pkg.Imports {
		for _, f := range forbidden {
			if strings.HasPrefix(imp, f) {
				t.Errorf("inbox imports %s", imp)
			}
		}
	}
}
