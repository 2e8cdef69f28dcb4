package telegram

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// verbPattern finds fmt verbs, with an optional explicit argument index.
var verbPattern = regexp.MustCompile(`%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// placeholders returns "argument:verb" for each verb of format, resolving implicit
// indexes as fmt does, sorted.
func placeholders(format string) []string {
	var out []string
	next := 1
	for _, m := range verbPattern.FindAllStringSubmatch(format, -1) {
		if m[4] == "%" {
			continue
		}
		arg := next
		if m[2] != "" {
			arg, _ = strconv.Atoi(m[2])
		}
		next = arg + 1
		out = append(out, fmt.Sprintf("%d:%s", arg, m[4]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestTexts checks every entry of the catalog: both languages are written and take
// the same arguments with the same verbs.
func TestTexts(t *testing.T) {
	all, err := allTexts()
	if err != nil {
		t.Fatal(err)
	}
	for key, tx := range all {
		if strings.TrimSpace(tx.RU) == "" || strings.TrimSpace(tx.EN) == "" {
			t.Errorf("%s: a language is missing: %+v", key, tx)
			continue
		}
		if ru, en := placeholders(tx.RU), placeholders(tx.EN); !slices.Equal(ru, en) {
			t.Errorf("%s: placeholders differ: ru %v, en %v", key, ru, en)
		}
	}
}

// TestTextKeysUsed checks that every key the code asks for exists, by scanning the
// package's sources for b.t(lang, "key", ...) calls: a missing key would show as the
// key itself.
func TestTextKeysUsed(t *testing.T) {
	all := mustTexts(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\bb\.(?:t|label|count)\([^,()]+, "([a-z0-9_]+)"[,)]`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			if _, ok := all[m[1]]; !ok {
				t.Errorf("%s: text %q does not exist", f, m[1])
			}
		}
	}
	for _, s := range []order.Status{order.StatusAwaitingPayment, order.StatusPaid, order.StatusShipped,
		order.StatusReadyForPickup, order.StatusCompleted, order.StatusExpired, order.StatusCancelled,
		order.StatusRefundPending, order.StatusRefunded} {
		if _, ok := all["status_"+string(s)]; !ok {
			t.Errorf("status %s has no text", s)
		}
	}
}

func TestErrorTexts(t *testing.T) {
	b := &Bot{texts: mustTexts(t), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, e := range errorKeys {
		if _, ok := b.texts[e.key]; !ok {
			t.Errorf("error %v: no text %q", e.err, e.key)
		}
	}
	for _, tc := range []struct {
		err  error
		lang string
		want string
	}{
		{fmt.Errorf("checkout: %w", order.ErrSoldOut), "en", "Sorry, it is sold out."},
		{order.ErrSoldOut, "ru", "Увы, товар закончился."},
		{fmt.Errorf("x: %w", catalog.ErrShopBlocked), "en", "This shop is not available now."},
		{order.ErrAlreadyPaid, "en", "This order was already paid."},
		{errProductGone, "en", "This product is gone."},
		{errors.New("connection refused"), "en", "Something went wrong. Please try again a little later."},
		{core.Errorf(core.EINVALID, "a new rule"), "en", "That did not work: a new rule."},
		{core.Errorf(core.EINVALID, "a new rule"), "ru", "Не получилось: проверьте введённые данные."},
		{core.Errorf(core.ENOTFOUND, "what"), "ru", "Не найдено."},
	} {
		if got := b.errorText(tc.lang, tc.err); got != tc.want {
			t.Errorf("errorText(%s, %v) = %q, want %q", tc.lang, tc.err, got, tc.want)
		}
	}
}

func mustTexts(t *testing.T) catalogTexts {
	t.Helper()
	all, err := allTexts()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestTextEscapesArguments(t *testing.T) {
	b := &Bot{texts: catalogTexts{"k": {RU: "<b>%s</b> %s", EN: "<b>%s</b> %s"}}}
	got := b.t("en", "k", "<script>&", htmlText("<i>ok</i>"))
	if want := "<b>&lt;script&gt;&amp;</b> <i>ok</i>"; got != want {
		t.Errorf("t = %q, want %q", got, want)
	}
}

func TestLangOf(t *testing.T) {
	for tag, want := range map[string]string{"ru": "ru", "ru-RU": "ru", "be": "ru", "kk": "ru", "en": "en", "en-US": "en", "de": "en", "": "en", "uk": "en"} {
		if got := langOf(tag); got != want {
			t.Errorf("langOf(%q) = %q, want %q", tag, got, want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		lang string
		m    core.Money
		want string
	}{
		{"ru", core.Money{Amount: 125050, Currency: "RUB"}, "1\u00a0250,50\u00a0₽"},
		{"en", core.Money{Amount: 125050, Currency: "RUB"}, "₽1,250.50"},
		{"en", core.Money{Amount: 999, Currency: "USD"}, "$9.99"},
		{"en", core.Money{Amount: 125050, Currency: "KZT"}, "1,250.50\u00a0KZT"},
		{"ru", core.Money{Amount: 150, Currency: core.Stars}, "150\u00a0⭐"},
		{"en", core.Money{Amount: 1500, Currency: core.Stars}, "1,500\u00a0⭐"},
		{"ru", core.Money{Amount: 1234567890, Currency: core.Stars}, "1\u00a0234\u00a0567\u00a0890\u00a0⭐"},
		{"en", core.Money{Amount: 5, Currency: "EUR"}, "€0.05"},
		{"ru", core.Money{Amount: -100, Currency: "RUB"}, "−1,00\u00a0₽"},
	} {
		if got := formatMoney(tc.lang, tc.m); got != tc.want {
			t.Errorf("formatMoney(%s, %v) = %q, want %q", tc.lang, tc.m, got, tc.want)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		text, name, arg string
		ok              bool
	}{
		{"/start", "start", "", true},
		{"/start p_12", "start", "p_12", true},
		{"/Search  red dress ", "search", "red dress", true},
		{"/start@vitrina_test_bot s_1", "start", "s_1", true},
		{"/start@other_bot s_1", "", "", false},
		{"hello", "", "", false},
		{"/", "", "", false},
	} {
		name, arg, ok := parseCommand(tc.text, "vitrina_test_bot")
		if name != tc.name || arg != tc.arg || ok != tc.ok {
			t.Errorf("parseCommand(%q) = %q, %q, %v", tc.text, name, arg, ok)
		}
	}
}

func FuzzPlainEscape(f *testing.F) {
	for _, s := range []string{"Tom & Jerry <3", `"quoted" 'single'`, "&amp;", "<b>bold</b>", "a>b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // Telegram's texts are UTF-8
		}
		if got := plain(escape(s)); got != s {
			t.Fatalf("plain(escape(%q)) = %q", s, got)
		}
	})
}

func TestCount(t *testing.T) {
	b := &Bot{texts: mustTexts(t), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"ru", 0, "0 заказов"}, {"ru", 1, "1 заказ"}, {"ru", 2, "2 заказа"}, {"ru", 4, "4 заказа"},
		{"ru", 5, "5 заказов"}, {"ru", 11, "11 заказов"}, {"ru", 12, "12 заказов"}, {"ru", 14, "14 заказов"},
		{"ru", 21, "21 заказ"}, {"ru", 22, "22 заказа"}, {"ru", 25, "25 заказов"}, {"ru", 101, "101 заказ"},
		{"ru", 111, "111 заказов"}, {"ru", 1002, "1002 заказа"},
		{"en", 0, "0 orders"}, {"en", 1, "1 order"}, {"en", 2, "2 orders"}, {"en", 21, "21 orders"},
	} {
		if got := b.count(tc.lang, "adm_n_orders", tc.n); got != tc.want {
			t.Errorf("count(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	// A text with one form serves every count.
	if got := b.count("ru", "btn_qty", 3); got != "3 шт." {
		t.Errorf("count(ru, btn_qty, 3) = %q", got)
	}
	if got := b.count("en", "btn_qty", 1); got != "1 pc" {
		t.Errorf("count(en, btn_qty, 1) = %q", got)
	}
}
