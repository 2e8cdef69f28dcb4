package bot

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// End-to-end tests of stock: adjusting a variant, the ledger, CSV import and
// export.

func TestSeller_AdjustsStock(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{Name: "Sticker Hub", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	p := env.product(seller, shop, "Cat stickers", "", variant("", 150, 5))
	vid := p.Variants[0].ID

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Products")
	env.press(seller, env.lastBot(seller), "Cat stickers")
	env.press(seller, env.lastBot(seller), "available")
	variantScreen := env.wantBody(seller, "SKU: "+p.Variants[0].SKU, "On hand: 5 · reserved: 0 · available: 5")

	env.press(seller, variantScreen, "Receipt")
	env.wantBody(seller, "Receipt", "How many arrived?")
	env.send(seller, "many")
	env.wantBody(seller, "Start with a number", "How many arrived?")
	env.send(seller, "+5 from the supplier")
	env.messageWith(seller, "Receipt: on hand 5 → 10")
	variantScreen = env.wantBody(seller, "On hand: 10")

	env.press(seller, variantScreen, "Write-off")
	env.send(seller, "+2")
	env.wantBody(seller, "A receipt adds stock, a write-off removes it", "How many to write off?")
	env.send(seller, "-2 damaged")
	variantScreen = env.wantBody(seller, "On hand: 8")

	env.press(seller, variantScreen, "Correction")
	env.send(seller, "8")
	env.wantBody(seller, "The stock is 8 already")
	env.send(seller, "6 stocktaking")
	variantScreen = env.wantBody(seller, "On hand: 6")

	t.Run("NotBelowReserved", func(t *testing.T) {
		buyer := env.shopper("Anna", "en")
		env.buyNow(buyer, p.ID, false) // reserves 1
		env.press(seller, variantScreen, "Write-off")
		env.send(seller, "0")
		env.wantBody(seller, "Stock cannot go below what is reserved.", "How many to write off?")
		env.send(seller, "/cancel")
	})

	ms, err := env.catalog.Movements(env.ctx, core.UserID(seller.ID()), vid, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		if m.ActorID == core.UserID(seller.ID()) {
			got = append(got, string(m.Kind)+" "+telegram.Itoa(m.OnHandBefore)+"->"+telegram.Itoa(m.OnHandAfter)+" "+m.Note)
		}
	}
	want := []string{"correction 8->6 stocktaking", "writeoff 10->8 damaged", "receipt 5->10 from the supplier", "receipt 0->5 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ledger = %q, want %q", got, want)
	}

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Products")
	env.press(seller, env.lastBot(seller), "Cat stickers")
	env.press(seller, env.lastBot(seller), "available")
	env.press(seller, env.lastBot(seller), "Movements")
	env.wantBody(seller, "Correction: 8 → 6", "“stocktaking”", "Write-off: 10 → 8", "“damaged”",
		"Receipt: 5 → 10", "· Sveta", "Reservation: 6 → 6 (reserved 0 → 1)")
	env.noErrorsLogged()
}

func TestSeller_ImportsAndExportsStock(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{
		Name: "Tees", Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:own",
	})
	tee := env.product(seller, shop, "Tee", "", variant("S", 100000, 5), variant("M", 100000, 2))
	mug := env.product(seller, shop, "Mug", "", variant("", 50000, 10))

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Stock import/export")
	stockMenu := env.wantBody(seller, "Stock · Tees")

	t.Run("Export", func(t *testing.T) {
		ans := env.press(seller, stockMenu, "Export")
		if ans.Text != "The file is sent" {
			t.Errorf("export answer = %q", ans.Text)
		}
		doc := env.lastBot(seller)
		if doc.Document == nil || !strings.HasSuffix(doc.Document.FileName, ".csv") || !strings.Contains(doc.Caption, "3 variants") {
			t.Fatalf("export message = %+v", doc)
		}
		data, _, ok := env.tg.FileData(doc.Document.FileID)
		if !ok {
			t.Fatal("the exported file is not stored")
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "sku,product,variant,price,on_hand,reserved,available" {
			t.Fatalf("export = %q, %v", data, err)
		}
		parsed, rejected, err := catalog.ParseStockFile(bytes.NewReader(data), shop.Currency)
		if err != nil || len(parsed) != 3 || len(rejected) != 0 {
			t.Errorf("the export does not read back: %d rows, %v, %v", len(parsed), rejected, err)
		}
	})

	env.press(seller, stockMenu, "Import")
	if m := env.refresh(seller, stockMenu); !strings.Contains(m.Body(), "Send the CSV file as a document") {
		t.Errorf("import prompt = %q", m.Body())
	}
	env.send(seller, "sku,price,stock")
	env.wantBody(seller, "Text does not fit here: I need a CSV file sent as a document.")
	file := "sku,price,stock\n" +
		tee.Variants[0].SKU + ",1100.00,7\n" +
		tee.Variants[1].SKU + ",,2\n" +
		mug.Variants[0].SKU + ",abc,3\n" +
		"NOPE,10,1\n"
	if err := seller.SendDocument(env.ctx, "stock.csv", []byte(file), "text/csv"); err != nil {
		t.Fatal(err)
	}
	preview := env.wantBody(seller, "Import preview · Tees", "Changes: 1 · rows rejected: 2",
		tee.Variants[0].SKU+" Tee, S: price ₽1,000 → ₽1,100, stock 5 → 7",
		"line 4 ("+mug.Variants[0].SKU+"): That is not a price",
		"line 5 (NOPE): No product of the shop has this SKU.")
	if on, _ := env.stock(tee.Variants[0].ID); on != 5 {
		t.Fatalf("stock changed before the confirmation: %d", on)
	}
	apply, ok := preview.Button("Apply (1)")
	if !ok {
		t.Fatalf("no Apply button: %v", buttonLabels(preview))
	}

	ans := env.press(seller, preview, "Apply (1)")
	if ans.Text != "Changes applied: 1" {
		t.Errorf("apply answer = %q", ans.Text)
	}
	env.wantBody(seller, "Import applied · Tees", "Changed: 1")
	v, err := env.catalog.Variant(env.ctx, tee.Variants[0].ID)
	if err != nil || v.OnHand != 7 || v.Price.Amount != 110000 {
		t.Fatalf("variant after import = %+v, %v", v, err)
	}

	// A double tap on Apply (the second query arrives after the first is done)
	// changes nothing twice.
	if got := env.forgePress(seller, preview, apply.CallbackData); got != "This import is already applied, or a newer file replaced it." {
		t.Errorf("second apply = %q", got)
	}
	if err := seller.RedeliverLast(env.ctx); err != nil {
		t.Fatal(err)
	}
	ms, err := env.catalog.Movements(env.ctx, core.UserID(seller.ID()), tee.Variants[0].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, m := range ms {
		if m.Kind == catalog.MoveImport {
			imports++
			if m.OnHandBefore != 5 || m.OnHandAfter != 7 || m.ActorID != core.UserID(seller.ID()) {
				t.Errorf("import movement = %+v", m)
			}
		}
	}
	if imports != 1 {
		t.Errorf("import movements = %d, want 1", imports)
	}
	if v, _ := env.catalog.Variant(env.ctx, tee.Variants[0].ID); v.OnHand != 7 {
		t.Errorf("on hand after a double apply = %d", v.OnHand)
	}

	t.Run("BadFiles", func(t *testing.T) {
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "Stock import/export")
		env.press(seller, env.lastBot(seller), "Import")
		if err := seller.SendDocument(env.ctx, "stock.csv", []byte("name,colour\nTee,red\n"), "text/csv"); err != nil {
			t.Fatal(err)
		}
		env.wantBody(seller, "The file has no sku column.", "Send the CSV file")
		if err := seller.SendDocument(env.ctx, "stock.xlsx", []byte("PK\x03\x04"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"); err != nil {
			t.Fatal(err)
		}
		env.wantBody(seller, "save the sheet as CSV UTF-8")
		if err := seller.SendDocument(env.ctx, "stock.csv", []byte("sku,price\n"+tee.Variants[0].SKU+",1100\n"), "text/csv"); err != nil {
			t.Fatal(err)
		}
		env.wantBody(seller, "Changes: 0", "Nothing to change")
	})
	env.noErrorsLogged()
}
