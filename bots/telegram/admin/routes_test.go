package admin

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram"
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
		{verbAdminImportConfirm, []any{id, telegram.NewNonce()}},
		{VerbAdminRemovePickup, []any{id, id}},
		{VerbAdminRemoveShipping, []any{id, id}},
		{VerbAdminRemoveStaff, []any{id, id}},
		{verbAdminNewCategory, []any{id, id}},
		{verbAdminSetCategory, []any{id, id}},
		{verbAdminEditVariant, []any{id, editVariantPrice}},
		{verbAdminEditProduct, []any{id, editDescription}},
		{verbAdminAdjust, []any{id, stockKindCorrection}},
		{VerbOperatorBlock, []any{id, 1}},
		{telegram.VerbAdminButton, []any{stepProductPreview, telegram.ButtonCancel}},
		{telegram.VerbAdminButton, []any{stepProductCat, id}},
		{telegram.VerbAdminButton, []any{stepProductCat, id, telegram.NewNonce()}}, // stamped with its conversation
		{telegram.VerbAdminButton, []any{stepProductPreview, telegram.ButtonCancel, telegram.NewNonce()}},
		{telegram.VerbAdminOrderNew, []any{id}},
		{telegram.VerbAdminButton, []any{stepImportConfirm, telegram.ButtonCancel}},
	} {
		if _, err := telegram.EncodeCallback(tc.verb, tc.args...); err != nil {
			t.Errorf("%s%v: %v", tc.verb, tc.args, err)
		}
	}
}

// TestAdminTexts checks the texts the seller side picks by a computed key, and the
// keys it passes to wrongInput and askView, which TestTextKeysUsed does not see.
func TestAdminTexts(t *testing.T) {
	all := adminTextsForTest(t)
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
	for _, f := range []telegram.TextField{telegram.ShopNameField, telegram.TitleField, telegram.DescriptionField, telegram.VariantNameField, telegram.CategoryField,
		telegram.PlaceNameField, telegram.AddressField, telegram.HoursField, telegram.OptionNameField, telegram.TrackingField} {
		keys = append(keys, f.Want, f.Rule)
	}
	for kind := range (&Feature{}).adminDialogs() {
		keys = append(keys, "dialog_"+strings.ReplaceAll(kind, ":", "_")) // the name of a conversation left (telegram.Router)
	}
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

// TestAdminDialogsRegistered checks that every conversation kind of the seller's
// catalog has a step function, and that the step names of different conversations
// differ, so a button of one never answers another. (The conversations of
// admin/settings and admin/orders name their steps with prefixes of their own:
// "s.", "pp.", "so.", "o.".)
func TestAdminDialogsRegistered(t *testing.T) {
	b := &Feature{}
	kinds := b.adminDialogs()
	for _, k := range []string{telegram.DialogProduct, telegram.DialogEdit, telegram.DialogVariant, telegram.DialogCategory,
		telegram.DialogStock, telegram.DialogImport} {
		if kinds[k] == nil {
			t.Errorf("dialog %s has no step function", k)
		}
	}
	steps := []string{
		stepProductTitle, stepProductDesc, stepProductPhotos, stepProductPrice, stepProductKind, stepProductStock,
		stepProductVName, stepProductVPrice, stepProductVStock, stepProductCat, stepProductPreview,
		editTitle, editDescription, editPhotos, editVariantName, editVariantPrice, editShopName, editReservation,
		stepVariantFirst, stepVariantName, stepVariantPrice, stepVariantStock, stepCategoryName, stepStockAmount,
		stepImportFile, stepImportConfirm,
		"done", // the kernel's last step
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

// adminTextsForTest is the catalog the seller side's screens draw on: its texts and
// the kernel's.
func adminTextsForTest(t *testing.T) map[string]telegram.Text {
	t.Helper()
	all := telegram.CommonTexts()
	for _, part := range []map[string]telegram.Text{adminTexts()} {
		for k, v := range part {
			all[k] = v
		}
	}
	return all
}
