package bot

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core/order"
)

// TestTextKeysUsed checks that every key the code asks for exists in the whole
// bot's catalog, by scanning the sources of the kernel and every feature for
// b.T(lang, "key", ...) calls (b.k.T in a feature): a missing key would show as
// the key itself. Every other check of a text runs when the bot starts
// (telegram.New).
func TestTextKeysUsed(t *testing.T) {
	env := newTestEnv(t)
	var files []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\bb\.(?:k\.)?(?:T|Label|Count)\([^,()]+, "([a-z0-9_]+)"[,)]`)
	found := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			found++
			if !env.bot.HasText(m[1]) {
				t.Errorf("%s: text %q does not exist", f, m[1])
			}
		}
	}
	if found < 500 {
		t.Errorf("found %d uses of texts: the pattern no longer matches the code", found)
	}
	for _, s := range []order.Status{order.StatusAwaitingPayment, order.StatusPaid, order.StatusShipped,
		order.StatusReadyForPickup, order.StatusCompleted, order.StatusExpired, order.StatusCancelled,
		order.StatusRefundPending, order.StatusRefunded} {
		if !env.bot.HasText("status_" + string(s)) {
			t.Errorf("status %s has no text", s)
		}
	}
}
