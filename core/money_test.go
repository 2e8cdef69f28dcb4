package core_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

func TestParseMoney(t *testing.T) {
	ok := []struct {
		in   string
		cur  core.Currency
		want int64
	}{
		{"1250", "RUB", 125000},
		{"12,50", "RUB", 1250},
		{"12.5", "RUB", 1250},
		{"12.5 ₽", "RUB", 1250},
		{"₽12.50", "RUB", 1250},
		{"1 250,00 руб", "RUB", 125000},
		{"1\u00a0250 р.", "RUB", 125000},
		{"$12.99", "USD", 1299},
		{"0,10", "RUB", 10},
		{".5", "USD", 50},
		{"150", "XTR", 150},
		{"150 ⭐", "XTR", 150},
		{"150 stars", "XTR", 150},
		{"12.00", "XTR", 12},
		{"1000", "JPY", 1000},
		{"0", "RUB", 0},
		{"+5", "RUB", 500},
	}
	for _, tt := range ok {
		got, err := core.ParseMoney(tt.in, tt.cur)
		if err != nil {
			t.Errorf("ParseMoney(%q, %s): %v", tt.in, tt.cur, err)
			continue
		}
		if got.Amount != tt.want || got.Currency != tt.cur {
			t.Errorf("ParseMoney(%q, %s) = %+v, want %d", tt.in, tt.cur, got, tt.want)
		}
	}

	bad := []struct {
		in   string
		cur  core.Currency
		want error
	}{
		{"abc", "RUB", core.ErrPriceFormat},
		{"", "RUB", core.ErrPriceFormat},
		{"-5", "RUB", core.ErrPriceNegative},
		{"−5 ₽", "RUB", core.ErrPriceNegative},
		{"12.505", "RUB", core.ErrPriceTooPrecise},
		{"12.5", "XTR", core.ErrPriceTooPrecise},
		{"12.5 $", "RUB", core.ErrCurrencyMismatch},
		{"1.2.3", "RUB", core.ErrPriceFormat},
		{"12,", "RUB", core.ErrPriceFormat},
		{"12 abc", "RUB", core.ErrPriceFormat},
		{"₽ 12 ₽", "RUB", core.ErrPriceFormat},
		{"99999999999999999999", "RUB", core.ErrPriceTooLarge},
		{"10000000001", "RUB", core.ErrPriceTooLarge},
		{"12", "ZZZ", core.ErrCurrencyUnknown},
		{"1e5", "RUB", core.ErrPriceFormat},
	}
	for _, tt := range bad {
		_, err := core.ParseMoney(tt.in, tt.cur)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseMoney(%q, %s) error = %v, want %v", tt.in, tt.cur, err, tt.want)
		}
	}

	if _, err := core.ParsePrice("0", "RUB"); !errors.Is(err, core.ErrPriceZero) {
		t.Errorf("ParsePrice(0) error = %v, want ErrPriceZero", err)
	}
}

func TestMoneyArithmetic(t *testing.T) {
	a := core.Money{Amount: 1250, Currency: "RUB"}
	sum, err := a.Add(core.Money{Amount: 50, Currency: "RUB"})
	if err != nil || sum.Amount != 1300 {
		t.Errorf("Add = %v, %v", sum, err)
	}
	if _, err := a.Add(core.Money{Amount: 1, Currency: "XTR"}); !errors.Is(err, core.ErrCurrencyMismatch) {
		t.Errorf("Add across currencies: %v", err)
	}
	p, err := a.Mul(3)
	if err != nil || p.Amount != 3750 {
		t.Errorf("Mul = %v, %v", p, err)
	}
	if _, err := (core.Money{Amount: 1 << 62, Currency: "RUB"}).Mul(4); !errors.Is(err, core.ErrAmountOverflow) {
		t.Errorf("Mul overflow: %v", err)
	}
	for _, tt := range []struct {
		m    core.Money
		want string
	}{
		{core.Money{Amount: 1250, Currency: "RUB"}, "12.50"},
		{core.Money{Amount: 5, Currency: "RUB"}, "0.05"},
		{core.Money{Amount: -5, Currency: "USD"}, "-0.05"},
		{core.Money{Amount: 150, Currency: "XTR"}, "150"},
	} {
		if got := tt.m.Decimal(); got != tt.want {
			t.Errorf("%+v.Decimal() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

// FuzzParseMoney checks that whatever a person types, ParseMoney either refuses it
// or returns a non-negative bounded amount that reads back to itself.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12,50", "1 250 ₽", "-1", "abc", "12.505", "$0.99", "150 ⭐", ".5", "1e9"} {
		f.Add(s, "RUB")
		f.Add(s, "XTR")
	}
	f.Fuzz(func(t *testing.T, in, cur string) {
		m, err := core.ParseMoney(in, core.Currency(cur))
		if err != nil {
			var e *core.Error
			if !errors.As(err, &e) || e.Code != core.EINVALID {
				t.Fatalf("ParseMoney(%q) error %v is not an EINVALID core.Error", in, err)
			}
			return
		}
		if m.Amount < 0 || m.Amount > core.MaxAmount {
			t.Fatalf("ParseMoney(%q) = %d out of range", in, m.Amount)
		}
		back, err := core.ParseMoney(m.Decimal(), m.Currency)
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %v does not read back: %v, %v", in, m, back, err)
		}
		if strings.TrimSpace(in) == "" {
			t.Fatalf("empty input %q accepted", in)
		}
	})
}
