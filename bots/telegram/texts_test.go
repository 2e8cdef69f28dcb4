package telegram

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

func TestErrorTexts(t *testing.T) {
	b := &Texts{texts: mustTexts(t), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, e := range errorKeys {
		if _, ok := b.texts[e.Key]; !ok {
			t.Errorf("error %v: no text %q", e.Err, e.Key)
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
		{ErrProductGone, "en", "This product is gone."},
		{errors.New("connection refused"), "en", "Something went wrong. Please try again a little later."},
		{core.Errorf(core.EINVALID, "a new rule"), "en", "That did not work: a new rule."},
		{core.Errorf(core.EINVALID, "a new rule"), "ru", "Не получилось: проверьте введённые данные."},
		{core.Errorf(core.ENOTFOUND, "what"), "ru", "Не найдено."},
	} {
		if got := b.ErrorText(tc.lang, tc.err); got != tc.want {
			t.Errorf("errorText(%s, %v) = %q, want %q", tc.lang, tc.err, got, tc.want)
		}
	}
}

func mustTexts(t *testing.T) catalogTexts {
	t.Helper()
	all, err := mergeTexts(kernelTexts(), reminderTexts(), reconcileTexts())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestMergeTextsRefuses checks that a text with a mistake stops the bot at start.
func TestMergeTextsRefuses(t *testing.T) {
	for name, parts := range map[string][]map[string]Text{
		"duplicate":    {{"k": {RU: "а", EN: "a"}}, {"k": {RU: "б", EN: "b"}}},
		"no language":  {{"k": {RU: "а", EN: " "}}},
		"placeholders": {{"k": {RU: "%d шт.", EN: "%s pcs"}}},
		"argument":     {{"k": {RU: "%[2]s", EN: "%[1]s"}}},
		"tag per line": {{"k": {RU: "<b>а\nб</b>", EN: "<b>a</b>"}}},
	} {
		if _, err := mergeTexts(parts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := mergeTexts(map[string]Text{"k": {RU: "%[2]s и %[1]d", EN: "%d and %s"}}); err != nil {
		t.Errorf("reordered arguments refused: %v", err)
	}
}

func TestTextEscapesArguments(t *testing.T) {
	b := &Texts{texts: catalogTexts{"k": {RU: "<b>%s</b> %s", EN: "<b>%s</b> %s"}}}
	got := b.T("en", "k", "<script>&", HTML("<i>ok</i>"))
	if want := "<b>&lt;script&gt;&amp;</b> <i>ok</i>"; got != want {
		t.Errorf("t = %q, want %q", got, want)
	}
}

func TestLangOf(t *testing.T) {
	for tag, want := range map[string]string{"ru": "ru", "ru-RU": "ru", "be": "ru", "kk": "ru", "en": "en", "en-US": "en", "de": "en", "": "en", "uk": "en"} {
		if got := LangOf(tag); got != want {
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
		{"en", core.Money{Amount: 125050, Currency: "KZT"}, "1,250.50\u00a0₸"},
		{"ru", core.Money{Amount: 1250000, Currency: "KZT"}, "12\u00a0500\u00a0₸"},
		{"ru", core.Money{Amount: 499000, Currency: "RUB"}, "4\u00a0990\u00a0₽"},
		{"ru", core.Money{Amount: 129050, Currency: "RUB"}, "1\u00a0290,50\u00a0₽"},
		{"en", core.Money{Amount: 129000, Currency: "RUB"}, "₽1,290"},
		{"ru", core.Money{Amount: 150, Currency: core.Stars}, "150\u00a0⭐"},
		{"en", core.Money{Amount: 1500, Currency: core.Stars}, "1,500\u00a0⭐"},
		{"ru", core.Money{Amount: 1234567890, Currency: core.Stars}, "1\u00a0234\u00a0567\u00a0890\u00a0⭐"},
		{"en", core.Money{Amount: 5, Currency: "EUR"}, "€0.05"},
		{"ru", core.Money{Amount: -100, Currency: "RUB"}, "−1\u00a0₽"},
		{"ru", core.Money{Amount: 10, Currency: "RUB"}, "0,10\u00a0₽"},
	} {
		if got := FormatMoney(tc.lang, tc.m); got != tc.want {
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
		if got := Plain(Escape(s)); got != s {
			t.Fatalf("plain(escape(%q)) = %q", s, got)
		}
	})
}

func TestCount(t *testing.T) {
	b := &Texts{texts: mustTexts(t), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b.texts["n_orders"] = Text{RU: "%[1]d заказ|%[1]d заказа|%[1]d заказов", EN: "%[1]d order|%[1]d orders"}
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
		if got := b.Count(tc.lang, "n_orders", tc.n); got != tc.want {
			t.Errorf("count(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	// A text with one form serves every count.
	if got := b.Count("ru", "btn_qty", 3); got != "3 шт." {
		t.Errorf("count(ru, btn_qty, 3) = %q", got)
	}
	if got := b.Count("en", "btn_qty", 1); got != "1 pc" {
		t.Errorf("count(en, btn_qty, 1) = %q", got)
	}
}
