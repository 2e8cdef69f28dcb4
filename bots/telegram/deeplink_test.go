package telegram

import (
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

func TestDeepLink(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    deepLink
	}{
		{"s_12", deepLink{Kind: LinkShop, ID: 12, Payload: "s_12"}},
		{"p_9000", deepLink{Kind: LinkProduct, ID: 9000, Payload: "p_9000"}},
		{"inv_AbC-12_x", deepLink{Kind: LinkInvite, Token: "AbC-12_x", Payload: "inv_AbC-12_x"}},
	} {
		got, err := ParseDeepLink(tc.payload)
		if err != nil || got != tc.want {
			t.Errorf("parseDeepLink(%q) = %+v, %v; want %+v", tc.payload, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "s_", "s_0", "s_012", "s_-1", "p_1a", "x_1", "p_99999999999999999999", "s 1", "inv_", "p_1 ", strings.Repeat("a", 65), "s_1_2", "привет"} {
		if got, err := ParseDeepLink(bad); err == nil {
			t.Errorf("parseDeepLink(%q) = %+v, want an error", bad, got)
		}
	}
	if p := ProductLink(42); p != "p_42" {
		t.Errorf("productLink = %q", p)
	}
	if p := ShopLink(7); p != "s_7" {
		t.Errorf("shopLink = %q", p)
	}
	if _, err := InviteLink("bad token"); err == nil {
		t.Error("inviteLink accepted a space")
	}
	if _, err := InviteLink(strings.Repeat("a", 61)); err == nil {
		t.Error("inviteLink accepted 65 characters")
	}
}

func FuzzDeepLink(f *testing.F) {
	for _, s := range []string{"s_1", "p_42", "inv_abc", "s_01", "p_-3", "inv_a-b_c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		l, err := ParseDeepLink(payload)
		if err != nil {
			return
		}
		if !validPayload(payload) {
			t.Fatalf("accepted a payload Telegram cannot carry: %q", payload)
		}
		var again string
		switch l.Kind {
		case LinkShop:
			again = ShopLink(core.ShopID(l.ID))
		case LinkProduct:
			again = ProductLink(core.ProductID(l.ID))
		case LinkInvite:
			again, err = InviteLink(l.Token)
			if err != nil {
				t.Fatalf("inviteLink(%q): %v", l.Token, err)
			}
		default:
			t.Fatalf("kind %d", l.Kind)
		}
		if again != payload {
			t.Fatalf("round trip: %q -> %q", payload, again)
		}
	})
}
