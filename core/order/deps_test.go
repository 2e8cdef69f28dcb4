package order

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the domain free of transport and storage: core/order and the
// packages of this module it imports, directly or not, import no Telegram, job
// queue, Redis, HTTP or database package.
func TestImports(t *testing.T) {
	t.Parallel()
	const module = "github.com/vitrina-shop/vitrina/"
	forbidden := []string{"github.com/mymmrac/telego", "github.com/hibiken/asynq", "github.com/redis/", "github.com/jackc/", "net/http", "database/sql"}
	seen := map[string]bool{}
	queue := []string{module + "core/order"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			for _, f := range forbidden {
				if strings.HasPrefix(imp, f) {
					t.Errorf("%s imports %s", path, imp)
				}
			}
			if strings.HasPrefix(imp, module) {
				queue = append(queue, imp)
			}
		}
	}
	if !seen[module+"core/catalog"] {
		t.Errorf("checked %d packages, not core/catalog: the walk does not follow imports", len(seen))
	}
}
