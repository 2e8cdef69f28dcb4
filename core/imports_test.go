package core_test

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules enforces the dependency direction of ARCHITECTURE.md: the domain
// imports no transport or infrastructure, SQL stays in core/postgres, adapters do not
// reach into each other.
func TestImportRules(t *testing.T) {
	rules := []importRule{
		{
			pkgs:      "github.com/vitrina-shop/vitrina/core/...",
			except:    []string{"github.com/vitrina-shop/vitrina/core/postgres"},
			forbidden: []string{"net/http", "database/sql", "github.com/mymmrac/telego", "github.com/hibiken/asynq", "github.com/redis/go-redis", "github.com/jackc/pgx", "github.com/prometheus", "github.com/vitrina-shop/vitrina/bots", "github.com/vitrina-shop/vitrina/workers"},
		},
		{
			// Who may act on a shop is asked by every context: it knows only core, so
			// asking it never pulls in the catalog or anything else.
			pkgs:      "github.com/vitrina-shop/vitrina/core/shop",
			forbidden: []string{"github.com/vitrina-shop/vitrina"},
			allowed:   []string{"github.com/vitrina-shop/vitrina/core"},
		},
		{
			pkgs:      "github.com/vitrina-shop/vitrina/core/postgres/...",
			forbidden: []string{"github.com/mymmrac/telego", "github.com/hibiken/asynq", "github.com/vitrina-shop/vitrina/bots", "github.com/vitrina-shop/vitrina/workers"},
		},
		{
			pkgs:      "github.com/vitrina-shop/vitrina/workers/...",
			forbidden: []string{"github.com/mymmrac/telego", "github.com/jackc/pgx", "github.com/vitrina-shop/vitrina/core/postgres", "github.com/vitrina-shop/vitrina/bots"},
		},
		{
			// The inbox knows Telegram updates and its own small store interface, nothing
			// of Vitrina's domain or storage.
			pkgs:      "github.com/vitrina-shop/vitrina/bots/telegram/inbox",
			forbidden: []string{"github.com/vitrina-shop/vitrina", "database/sql", "github.com/jackc/pgx", "github.com/redis/go-redis", "github.com/hibiken/asynq"},
		},
		{
			pkgs:      "github.com/vitrina-shop/vitrina/bots/...",
			forbidden: []string{"github.com/hibiken/asynq", "github.com/jackc/pgx", "github.com/vitrina-shop/vitrina/core/postgres", "github.com/vitrina-shop/vitrina/workers"},
		},
	}
	// The Telegram adapter is a kernel and features (ARCHITECTURE.md): the kernel
	// knows no feature, and a feature knows the kernel, its own parts and no other
	// feature; bots/telegram/bot alone puts them together.
	const tg = "github.com/vitrina-shop/vitrina/bots/telegram"
	features := []string{tg + "/shopper", tg + "/admin", tg + "/reviews", tg + "/broadcasts", tg + "/outbound", tg + "/drops"}
	rules = append(rules, importRule{pkgs: tg, forbidden: append([]string{tg + "/bot"}, features...)})
	for _, f := range features {
		var others []string
		for _, o := range features {
			if o != f {
				others = append(others, o)
			}
		}
		rules = append(rules, struct {
			pkgs      string
			except    []string
			forbidden []string
			allowed   []string
		}{pkgs: f + "/...", forbidden: append([]string{tg + "/bot"}, others...)})
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, r.pkgs).Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			if strings.Contains(stderr, "matched no packages") {
				continue
			}
			t.Fatalf("go list %s: %v\n%s", r.pkgs, err, stderr)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
			fields := strings.Fields(string(line))
			if len(fields) == 0 || hasPrefix(fields[0], r.except) {
				continue
			}
			for _, dep := range fields[1:] {
				if slices.Contains(r.allowed, dep) {
					continue
				}
				for _, f := range r.forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						t.Errorf("%s depends on %s, which it may not (see ARCHITECTURE.md)", fields[0], dep)
					}
				}
			}
		}
	}
}

// importRule forbids the packages of a pattern some dependencies.
type importRule struct {
	pkgs      string   // a package pattern of `go list`
	except    []string // package path prefixes of the pattern the rule does not cover
	forbidden []string // import path prefixes none of them may depend on, even indirectly
	allowed   []string // import paths (exact) the forbidden prefixes do not cover
}

func hasPrefix(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}
