package orders

import (
	"math"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin"
)

// TestCallbackDataFits checks that the longest callback data of the order
// screens, with ids at their largest, fits Telegram's 64 bytes.
func TestCallbackDataFits(t *testing.T) {
	id := int64(math.MaxInt64)
	if _, err := telegram.EncodeCallback(admin.VerbAdminOrders, id, orderGroupCancelled, id); err != nil {
		t.Error(err)
	}
}

// TestOrderGroupTexts checks that every group of the order lists has its text.
func TestOrderGroupTexts(t *testing.T) {
	all := admin.Texts()
	for _, g := range orderGroups {
		if _, ok := all[g.key]; !ok {
			t.Errorf("order group %q has no text %q", g.code, g.key)
		}
	}
}
