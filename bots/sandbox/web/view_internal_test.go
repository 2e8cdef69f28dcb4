package web

import "testing"

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		amount   int
		currency string
		want     string
	}{
		{150000, "RUB", "1,500.00 ₽"},
		{5, "RUB", "0.05 ₽"},
		{1999, "USD", "$19.99"},
		{123456789, "EUR", "€1,234,567.89"},
		{250, "XTR", "⭐ 250"},
		{1500, "XTR", "⭐ 1,500"},
		{1500, "JPY", "1,500 ¥"},
		{1250, "CHF", "12.50 CHF"},
		{-1250, "USD", "-$12.50"},
		{0, "GEL", "0.00 ₾"},
	} {
		if got := formatAmount(tc.amount, tc.currency); got != tc.want {
			t.Errorf("formatAmount(%d, %s) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestBotLink(t *testing.T) {
	for _, tc := range []struct {
		link     string
		payload  string
		hasStart bool
		ok       bool
	}{
		{"https://t.me/shop_bot?start=p_12", "p_12", true, true},
		{"t.me/Shop_Bot?start=", "", true, true},
		{"https://telegram.me/shop_bot", "", false, true},
		{"tg://resolve?domain=shop_bot&start=x", "x", true, true},
		{"https://t.me/other_bot?start=x", "", false, false},
		{"https://example.com/shop_bot?start=x", "", false, false},
		{"javascript:alert(1)", "", false, false},
	} {
		payload, hasStart, ok := botLink(tc.link, "shop_bot")
		if payload != tc.payload || hasStart != tc.hasStart || ok != tc.ok {
			t.Errorf("botLink(%q) = %q, %v, %v; want %q, %v, %v", tc.link, payload, hasStart, ok, tc.payload, tc.hasStart, tc.ok)
		}
	}
}
