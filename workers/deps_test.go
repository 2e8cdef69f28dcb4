package workers

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the workers an adapter between asynq and core: they, and the
// packages of this module they import, directly or not, import no Telegram, no
// database and no bot. The bot's side comes in through the interfaces declared here.
func TestImports(t *testing.T) {
	const module = "github.com/vitrina-shop/vitrina/"
	forbidden := []string{"github.com/mymmrac/telego", "github.com/jackc/", "database/sql", module + "core/postgres", module + "bots/"}
	seen := map[string]bool{}
	queue := []string{module + "workers"}
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
	if !seen[module+"core/order"] {
		t.Errorf("checked %d packages, not core/order: the walk does not follow imports", len(seen))
	}
}
