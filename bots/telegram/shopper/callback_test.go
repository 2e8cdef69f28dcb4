package shopper

import (
	"math"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram"
)

// TestCallbackDataFits checks that the longest callback data the bot makes, with
// ids at their largest, fits Telegram's 64 bytes: button relies on it.
func TestCallbackDataFits(t *testing.T) {
	id := int64(math.MaxInt64)
	nonce := telegram.NewNonce()
	for _, tc := range []struct {
		verb string
		args []any
	}{
		{telegram.VerbProducts, []any{id, id, 999999}},
		{telegram.VerbProduct, []any{id, id, maxCartQuantity}},
		{telegram.VerbConfirmBuy, []any{id, maxCartQuantity, deliveryCodePickup, id, nonce}},
		{telegram.VerbConfirmCart, []any{id, deliveryCodePickup, id, nonce}},
		{telegram.VerbCartQuantity, []any{id, maxCartQuantity}},
		{telegram.VerbAdminOrder, []any{id}},
	} {
		if _, err := telegram.EncodeCallback(tc.verb, tc.args...); err != nil {
			t.Errorf("%s%v: %v", tc.verb, tc.args, err)
		}
	}
}
