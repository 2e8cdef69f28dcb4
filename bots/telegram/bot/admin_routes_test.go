package telegram

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

// TestAdminCallbackDataFits checks that the seller side's longest callback data,
// with ids at their largest, fits Telegram's 64 bytes.
func TestAdminCallbackDataFits(t *testing.T) {
	id := int64(math.MaxInt64)
	for _, tc := range []struct {
		verb string
		args []any
	}{
		{verbAdminProducts, []any{id, 1, id}},
		{verbAdminOrders, []any{id, orderGroupCancelled, id}},
		{verbAdminImportConfirm, []any{id, newNonce()}},
		{verbAdminRemovePickup, []any{id, id}},
		{verbAdminRemoveShipping, []any{id, id}},
		{verbAdminRemoveStaff, []any{id, id}},
		{verbAdminNewCategory, []any{id, id}},
		{verbAdminSetCategory, []any{id, id}},
		{verbAdminEditVariant, []any{id, editVariantPrice}},
		{verbAdminEditProduct, []any{id, editDescription}},
		{verbAdminAdjust, []any{id, stockKindCorrection}},
		{verbOperatorBlock, []any{id, 1}},
		{verbAdminButton, []any{stepProductPreview, buttonCancel}},
		{verbAdminButton, []any{stepProductCat, id}},
		{verbAdminButton, []any{stepProductCat, id, newNonce()}}, // stamped with its conversation
		{verbAdminButton, []any{stepProductPreview, buttonCancel, newNonce()}},
		{verbAdminOrderNew, []any{id}},
		{verbAdminButton, []any{stepImportConfirm, buttonCancel}},
	} {
		if _, err := encodeCallback(tc.verb, tc.args...); err != nil {
			t.Errorf("%s%v: %v", tc.verb, tc.args, err)
		}
	}
}

// TestAdminTexts checks the texts the seller side picks by a computed key, and the
// keys it passes to wrongInput and askView, which TestTextKeysUsed does not see.
func TestAdminTexts(t *testing.T) {
	all := mustTexts(t)
	var keys []string
	for _, r := range []catalog.Role{catalog.RoleOwner, catalog.RoleManager} {
		keys = append(keys, "adm_role_"+string(r))
	}
	for _, k := range []catalog.MovementKind{catalog.MoveReceipt, catalog.MoveCorrection, catalog.MoveWriteOff,
		catalog.MoveReservation, catalog.MoveRelease, catalog.MoveSale, catalog.MoveReturn, catalog.MoveImport} {
		keys = append(keys, "adm_kind_"+string(k))
	}
	for _, k := range stockKinds {
		keys = append(keys, "adm_ask_adjust_"+string(k))
	}
	for _, g := range orderGroups {
		keys = append(keys, g.key)
	}
	for _, f := range []textField{shopNameField, titleField, descriptionField, variantNameField, categoryField,
		placeNameField, addressField, hoursField, optionNameField, trackingField} {
		keys = append(keys, f.want, f.rule)
	}
	for kind := range (&Bot{}).adminDialogs() {
		keys = append(keys, dialogNameKey(kind))
	}
	keys = append(keys, dialogNameKey(dialogCartQuantity))
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\b(?:wrongInput|askView)\([^"()]*"([a-z0-9_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(m[1], "_") { // a computed key, listed above
				keys = append(keys, m[1])
			}
		}
	}
	for _, k := range keys {
		if _, ok := all[k]; !ok {
			t.Errorf("text %q does not exist", k)
		}
	}
}

// TestAdminDialogsRegistered checks that every conversation kind has a step
// function, and that the step names of different conversations differ, so a
// button of one never answers another.
func TestAdminDialogsRegistered(t *testing.T) {
	b := &Bot{}
	kinds := b.adminDialogs()
	for _, k := range []string{dialogSell, dialogProduct, dialogEdit, dialogVariant, dialogCategory, dialogStock,
		dialogImport, dialogShip, dialogPickup, dialogShipping} {
		if kinds[k] == nil {
			t.Errorf("dialog %s has no step function", k)
		}
	}
	steps := []string{
		stepSellName, stepSellMethod, stepSellCurrency, stepSellToken,
		stepProductTitle, stepProductDesc, stepProductPhotos, stepProductPrice, stepProductKind, stepProductStock,
		stepProductVName, stepProductVPrice, stepProductVStock, stepProductCat, stepProductPreview,
		editTitle, editDescription, editPhotos, editVariantName, editVariantPrice, editShopName, editReservation,
		stepVariantFirst, stepVariantName, stepVariantPrice, stepVariantStock, stepCategoryName, stepStockAmount,
		stepImportFile, stepImportConfirm, stepShipNote, stepPickupName, stepPickupAddress, stepPickupHours,
		stepShippingName, stepShippingPrice, stepDone,
	}
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s] {
			t.Errorf("step %q is used twice", s)
		}
		seen[s] = true
		if strings.Contains(s, ":") {
			t.Errorf("step %q cannot travel in callback data", s)
		}
	}
}

func TestValidProviderToken(t *testing.T) {
	for _, s := range []string{"284685063:TEST:NjM1ZTk", "381764678:LIVE:abc-def_1", "1:x"} {
		if !validProviderToken(s) {
			t.Errorf("validProviderToken(%q) = false", s)
		}
	}
	for _, s := range []string{"", "hello", "my token", ":TEST:x", "abc:TEST:x", "123:", "123:TEST: x", strings.Repeat("1", 257) + ":x"} {
		if validProviderToken(s) {
			t.Errorf("validProviderToken(%q) = true", s)
		}
	}
}

func TestValidLineAndText(t *testing.T) {
	for _, tc := range []struct {
		s          string
		line, text bool
	}{
		{"Cats", true, true},
		{"  padded  ", true, true},
		{"", false, true},
		{"two\nlines", false, true},
		{"tab\there", false, true},
		{"bell\a", false, false},
		{strings.Repeat("я", 10), true, true},
		{strings.Repeat("я", 11), false, false},
		{"\xff", false, false},
	} {
		if got := validLine(tc.s, 10); got != tc.line {
			t.Errorf("validLine(%q) = %v", tc.s, got)
		}
		if got := validText(tc.s, 10); got != tc.text {
			t.Errorf("validText(%q) = %v", tc.s, got)
		}
	}
}
