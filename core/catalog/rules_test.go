package catalog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

func rub(amount int64) core.Money { return core.Money{Amount: amount, Currency: "RUB"} }

func ptr[T any](v T) *T { return &v }

func TestValidateSKU(t *testing.T) {
	valid := []string{"A", "sku-1", "SNK_42.blue", "кроссовки-42", strings.Repeat("x", 64)}
	for _, sku := range valid {
		if err := ValidateSKU(sku); err != nil {
			t.Errorf("ValidateSKU(%q) = %v, want nil", sku, err)
		}
	}
	invalid := []string{"", " ", "a b", "a,b", "a;b", `a"b`, "a/b", strings.Repeat("x", 65), "\xff", "a\tb", "=1+1"}
	for _, sku := range invalid {
		if err := ValidateSKU(sku); !errors.Is(err, ErrSKU) {
			t.Errorf("ValidateSKU(%q) = %v, want ErrSKU", sku, err)
		}
	}
}

func TestParseStock(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 0}, {"7", 7}, {" 12 ", 12}, {"1000000", 1000000}, {"007", 7},
	}
	for _, tt := range tests {
		got, err := ParseStock(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseStock(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "-1", "+1", "1.5", "1,0", "1 000", "1000001", "99999999", "abc", "１２"} {
		if _, err := ParseStock(in); !errors.Is(err, ErrQuantity) {
			t.Errorf("ParseStock(%q) error = %v, want ErrQuantity", in, err)
		}
	}
}

func TestGeneratedSKU(t *testing.T) {
	sku := GeneratedSKU(42, 3)
	if sku != "P42-3" {
		t.Errorf("GeneratedSKU(42, 3) = %q", sku)
	}
	if err := ValidateSKU(sku); err != nil {
		t.Errorf("generated SKU %q is not valid: %v", sku, err)
	}
}

func TestNewShop(t *testing.T) {
	tests := []struct {
		name string
		in   NewShop
		want error
	}{
		{"Stars", NewShop{Name: "Shop", Currency: "XTR", PaymentMethod: PayStars}, nil},
		{"Card", NewShop{Name: " Shop ", Currency: "RUB", PaymentMethod: PayCard, ProviderToken: "tok"}, nil},
		{"EmptyName", NewShop{Name: "  ", Currency: "XTR", PaymentMethod: PayStars}, ErrShopName},
		{"LongName", NewShop{Name: strings.Repeat("щ", 65), Currency: "XTR", PaymentMethod: PayStars}, ErrShopName},
		{"NameWithNewline", NewShop{Name: "a\nb", Currency: "XTR", PaymentMethod: PayStars}, ErrShopName},
		{"InvisibleName", NewShop{Name: "\u3164\u200b", Currency: "XTR", PaymentMethod: PayStars}, ErrShopName},
		{"StarsInRubles", NewShop{Name: "Shop", Currency: "RUB", PaymentMethod: PayStars}, ErrStarsCurrency},
		{"CardInStars", NewShop{Name: "Shop", Currency: "XTR", PaymentMethod: PayCard, ProviderToken: "tok"}, ErrCardCurrency},
		{"CardWithoutToken", NewShop{Name: "Shop", Currency: "RUB", PaymentMethod: PayCard}, ErrNoProvider},
		{"CardOnPlatformProvider", NewShop{Name: "Shop", Currency: "RUB", PaymentMethod: PayCard, PlatformProvider: true}, nil},
		{"PlatformProviderAndToken", NewShop{Name: "Shop", Currency: "RUB", PaymentMethod: PayCard, ProviderToken: "tok", PlatformProvider: true}, ErrProviderChoice},
		{"UnknownCurrency", NewShop{Name: "Shop", Currency: "ABC", PaymentMethod: PayCard, ProviderToken: "tok"}, core.ErrCurrencyUnknown},
		{"UnknownMethod", NewShop{Name: "Shop", Currency: "RUB", PaymentMethod: "cash"}, ErrPaymentMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, err := newShop(7, tt.in)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("newShop() error = %v, want %v", err, tt.want)
			}
			if err == nil && (sh.Name != strings.TrimSpace(tt.in.Name) || sh.ReservationTTL != DefaultReservationTTL || sh.CreatedBy != 7) {
				t.Errorf("newShop() = %+v", sh)
			}
		})
	}
}

func TestApplySettings(t *testing.T) {
	card := Shop{Name: "Shop", Currency: "RUB", PaymentMethod: PayCard, ProviderToken: "tok", ReservationTTL: DefaultReservationTTL}
	tests := []struct {
		name        string
		set         ShopSettings
		hasProducts bool
		want        error
		check       func(Shop) bool
	}{
		{"Rename", ShopSettings{Name: ptr(" New ")}, true, nil, func(s Shop) bool { return s.Name == "New" }},
		{"TTL", ShopSettings{ReservationTTL: ptr(30*time.Minute + 500*time.Millisecond)}, true, nil,
			func(s Shop) bool { return s.ReservationTTL == 30*time.Minute }},
		{"TTLTooShort", ShopSettings{ReservationTTL: ptr(59 * time.Second)}, false, ErrReservationTTL, nil},
		{"TTLTooLong", ShopSettings{ReservationTTL: ptr(25 * time.Hour)}, false, ErrReservationTTL, nil},
		{"CurrencyWithoutProducts", ShopSettings{Currency: ptr(core.Currency("USD"))}, false, nil,
			func(s Shop) bool { return s.Currency == "USD" }},
		{"CurrencyWithProducts", ShopSettings{Currency: ptr(core.Currency("USD"))}, true, ErrCurrencyLocked, nil},
		{"SameCurrencyWithProducts", ShopSettings{Currency: ptr(core.Currency("RUB"))}, true, nil, nil},
		{"SwitchToStarsKeepingRubles", ShopSettings{PaymentMethod: ptr(PayStars)}, false, ErrStarsCurrency, nil},
		{"SwitchToStars", ShopSettings{PaymentMethod: ptr(PayStars), Currency: ptr(core.Stars)}, false, nil,
			func(s Shop) bool { return s.PaymentMethod == PayStars && s.Currency == core.Stars }},
		{"DropToken", ShopSettings{ProviderToken: ptr("")}, false, ErrNoProvider, nil},
		{"UnknownCurrency", ShopSettings{Currency: ptr(core.Currency("ZZZ"))}, false, core.ErrCurrencyUnknown, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := card
			err := applySettings(&sh, tt.set, tt.hasProducts)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("applySettings() error = %v, want %v", err, tt.want)
			}
			if err != nil && sh != card {
				t.Errorf("a refused change modified the shop: %+v", sh)
			}
			if tt.check != nil && !tt.check(sh) {
				t.Errorf("applySettings() = %+v", sh)
			}
		})
	}
}

// TestApplySettings_PlatformProvider: a card shop without a token of its own pays
// through the platform's provider, and comes to it only by choice.
func TestApplySettings_PlatformProvider(t *testing.T) {
	own := Shop{Name: "Shop", Currency: "RUB", PaymentMethod: PayCard, ProviderToken: "tok", ReservationTTL: DefaultReservationTTL}
	platform := own
	platform.ProviderToken = ""
	stars := Shop{Name: "Shop", Currency: core.Stars, PaymentMethod: PayStars, ReservationTTL: DefaultReservationTTL}
	tests := []struct {
		name  string
		from  Shop
		set   ShopSettings
		want  error
		token string // the token afterwards, when want is nil
	}{
		{"OwnToPlatform", own, ShopSettings{PlatformProvider: true}, nil, ""},
		{"OwnToPlatformWithEmptyToken", own, ShopSettings{ProviderToken: ptr(" "), PlatformProvider: true}, nil, ""},
		{"PlatformAndToken", own, ShopSettings{ProviderToken: ptr("other"), PlatformProvider: true}, ErrProviderChoice, ""},
		{"PlatformToOwn", platform, ShopSettings{ProviderToken: ptr("mine")}, nil, "mine"},
		{"PlatformShopRenamed", platform, ShopSettings{Name: ptr("New")}, nil, ""},
		{"PlatformShopChangesCurrency", platform, ShopSettings{Currency: ptr(core.Currency("USD"))}, nil, ""},
		{"StarsToCardWithoutToken", stars, ShopSettings{PaymentMethod: ptr(PayCard), Currency: ptr(core.Currency("USD"))}, ErrNoProvider, ""},
		{"StarsToCardOnPlatform", stars, ShopSettings{PaymentMethod: ptr(PayCard), Currency: ptr(core.Currency("USD")), PlatformProvider: true}, nil, ""},
		{"StarsToCardWithToken", stars, ShopSettings{PaymentMethod: ptr(PayCard), Currency: ptr(core.Currency("USD")), ProviderToken: ptr("mine")}, nil, "mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := tt.from
			err := applySettings(&sh, tt.set, false)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("applySettings() error = %v, want %v", err, tt.want)
			}
			if err != nil && sh != tt.from {
				t.Errorf("a refused change modified the shop: %+v", sh)
			}
			if err == nil && sh.ProviderToken != tt.token {
				t.Errorf("token = %q, want %q", sh.ProviderToken, tt.token)
			}
		})
	}
}

func TestNewProduct(t *testing.T) {
	one := []NewVariant{{Price: rub(100), Stock: 3}}
	tests := []struct {
		name string
		in   NewProduct
		want error
	}{
		{"OneUnnamedVariant", NewProduct{Title: "Sneakers", Variants: one}, nil},
		{"TwoVariants", NewProduct{Title: "Sneakers", Variants: []NewVariant{
			{Name: "41", Price: rub(100)}, {Name: "42", SKU: "S42", Price: rub(100), Stock: 5}}}, nil},
		{"NoTitle", NewProduct{Title: " ", Variants: one}, ErrTitle},
		{"LongTitle", NewProduct{Title: strings.Repeat("a", 129), Variants: one}, ErrTitle},
		{"LongDescription", NewProduct{Title: "T", Description: strings.Repeat("a", 1001), Variants: one}, ErrDescription},
		{"TooManyPhotos", NewProduct{Title: "T", Photos: make([]string, 11), Variants: one}, ErrTooManyPhotos},
		{"EmptyPhoto", NewProduct{Title: "T", Photos: []string{""}, Variants: one}, ErrPhoto},
		{"NoVariants", NewProduct{Title: "T"}, ErrNoVariants},
		{"TooManyVariants", NewProduct{Title: "T", Variants: make([]NewVariant, 51)}, ErrTooManyVariants},
		{"UnnamedAmongSeveral", NewProduct{Title: "T", Variants: []NewVariant{
			{Name: "41", Price: rub(100)}, {Price: rub(100)}}}, ErrVariantName},
		{"SameNames", NewProduct{Title: "T", Variants: []NewVariant{
			{Name: "Red", Price: rub(100)}, {Name: "red", Price: rub(100)}}}, ErrVariantName},
		{"SameSKUs", NewProduct{Title: "T", Variants: []NewVariant{
			{Name: "a", SKU: "X", Price: rub(100)}, {Name: "b", SKU: "X", Price: rub(100)}}}, ErrSKUTaken},
		{"BadSKU", NewProduct{Title: "T", Variants: []NewVariant{{SKU: "a b", Price: rub(100)}}}, ErrSKU},
		{"ZeroPrice", NewProduct{Title: "T", Variants: []NewVariant{{Price: rub(0)}}}, core.ErrPriceZero},
		{"NegativePrice", NewProduct{Title: "T", Variants: []NewVariant{{Price: rub(-5)}}}, core.ErrPriceNegative},
		{"HugePrice", NewProduct{Title: "T", Variants: []NewVariant{{Price: rub(core.MaxAmount + 1)}}}, core.ErrPriceTooLarge},
		{"OtherCurrency", NewProduct{Title: "T", Variants: []NewVariant{{Price: core.Money{Amount: 1, Currency: "USD"}}}}, ErrWrongCurrency},
		{"NegativeStock", NewProduct{Title: "T", Variants: []NewVariant{{Price: rub(1), Stock: -1}}}, ErrQuantity},
		{"HugeStock", NewProduct{Title: "T", Variants: []NewVariant{{Price: rub(1), Stock: MaxStock + 1}}}, ErrQuantity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newProduct(tt.in, "RUB")
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("newProduct() error = %v, want %v", err, tt.want)
			}
			if err == nil && len(p.Variants) != len(tt.in.Variants) {
				t.Errorf("newProduct() has %d variants, want %d", len(p.Variants), len(tt.in.Variants))
			}
		})
	}
}

func TestApplyVariantUpdate(t *testing.T) {
	p := Product{ID: 1, Variants: []Variant{{ID: 10, Name: "41"}, {ID: 11, Name: "42"}}}
	base := Variant{ID: 10, Name: "41", SKU: "A", Price: rub(100)}
	tests := []struct {
		name string
		u    VariantUpdate
		want error
	}{
		{"Rename", VariantUpdate{Name: ptr("40")}, nil},
		{"NameOfAnother", VariantUpdate{Name: ptr("42")}, ErrVariantName},
		{"EmptyNameAmongSeveral", VariantUpdate{Name: ptr("")}, ErrVariantName},
		{"SKU", VariantUpdate{SKU: ptr("B-1")}, nil},
		{"EmptySKU", VariantUpdate{SKU: ptr("")}, ErrSKU},
		{"Price", VariantUpdate{Price: ptr(rub(250))}, nil},
		{"PriceInDollars", VariantUpdate{Price: ptr(core.Money{Amount: 250, Currency: "USD"})}, ErrWrongCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := base
			err := applyVariantUpdate(&v, p, tt.u)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("applyVariantUpdate() error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("EmptyNameOfOnlyVariant", func(t *testing.T) {
		v := base
		only := Product{ID: 1, Variants: []Variant{base}}
		if err := applyVariantUpdate(&v, only, VariantUpdate{Name: ptr("")}); err != nil || v.Name != "" {
			t.Errorf("applyVariantUpdate() = %+v, %v", v, err)
		}
	})
}

func TestAdjust(t *testing.T) {
	v := Variant{ID: 5, OnHand: 10, Reserved: 4}
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		delta int
		kind  MovementKind
		want  error
		after int
	}{
		{"Receipt", 5, MoveReceipt, nil, 15},
		{"WriteOff", -6, MoveWriteOff, nil, 4},
		{"CorrectionDown", -1, MoveCorrection, nil, 9},
		{"CorrectionUp", 1, MoveCorrection, nil, 11},
		{"BelowReserved", -7, MoveWriteOff, ErrStockBelowZero, 0},
		{"AboveMax", MaxStock, MoveReceipt, ErrQuantity, 0},
		{"NegativeReceipt", -1, MoveReceipt, ErrAdjustKind, 0},
		{"PositiveWriteOff", 1, MoveWriteOff, ErrAdjustKind, 0},
		{"SaleByHand", -1, MoveSale, ErrAdjustKind, 0},
		{"Zero", 0, MoveCorrection, ErrQuantity, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			note, err := checkAdjustment(tt.delta, tt.kind, " why ")
			var m Movement
			if err == nil {
				m, err = adjust(v, tt.delta, tt.kind, 9, note, at)
			}
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			want := Movement{VariantID: 5, Kind: tt.kind, OnHandBefore: 10, OnHandAfter: tt.after,
				ReservedBefore: 4, ReservedAfter: 4, ActorID: 9, Note: "why", CreatedAt: at}
			if m != want {
				t.Errorf("movement = %+v, want %+v", m, want)
			}
		})
	}
	if _, err := checkAdjustment(1, MoveReceipt, strings.Repeat("n", 501)); !errors.Is(err, ErrNote) {
		t.Errorf("long note: error = %v, want ErrNote", err)
	}
}

func TestPlanImport(t *testing.T) {
	shop := Shop{ID: 1, Currency: "RUB"}
	current := []StockRow{
		{VariantID: 10, SKU: "A", Product: "Sneakers", Variant: "41", Price: rub(1000), OnHand: 5, Reserved: 2},
		{VariantID: 11, SKU: "B", Product: "Cap", Price: rub(500), OnHand: 1},
		{VariantID: 12, SKU: "C", Product: "Bag", Price: rub(700), OnHand: 3},
	}
	rows := []ImportRow{
		{Line: 2, SKU: "A", Price: ptr(rub(1200)), Stock: ptr(9)},
		{Line: 3, SKU: "B", Price: ptr(rub(500)), Stock: ptr(1)}, // no change
		{Line: 4, SKU: "Z", Stock: ptr(1)},                       // unknown
		{Line: 5, SKU: "C", Stock: ptr(1)},                       // fine
		{Line: 6, SKU: "D", Stock: ptr(1)},                       // duplicate
		{Line: 7, SKU: "D", Stock: ptr(2)},
	}
	earlier := []RowError{{Line: 8, SKU: "E", Err: ErrQuantity}}
	plan := planImport(shop, current, rows, earlier)
	wantChanges := []ImportChange{
		{Line: 2, VariantID: 10, SKU: "A", Title: "Sneakers, 41", OldPrice: rub(1000), NewPrice: rub(1200), OldStock: 5, NewStock: 9},
		{Line: 5, VariantID: 12, SKU: "C", Title: "Bag", OldPrice: rub(700), NewPrice: rub(700), OldStock: 3, NewStock: 1},
	}
	if len(plan.Changes) != len(wantChanges) {
		t.Fatalf("changes = %+v, want %+v", plan.Changes, wantChanges)
	}
	for i := range wantChanges {
		if plan.Changes[i] != wantChanges[i] {
			t.Errorf("change %d = %+v, want %+v", i, plan.Changes[i], wantChanges[i])
		}
	}
	wantRejected := map[int]error{4: ErrUnknownSKU, 6: ErrDuplicateSKU, 7: ErrDuplicateSKU, 8: ErrQuantity}
	if len(plan.Rejected) != len(wantRejected) {
		t.Fatalf("rejected = %+v", plan.Rejected)
	}
	for _, r := range plan.Rejected {
		if !errors.Is(r.Err, wantRejected[r.Line]) {
			t.Errorf("line %d rejected with %v, want %v", r.Line, r.Err, wantRejected[r.Line])
		}
	}

	t.Run("BelowReserved", func(t *testing.T) {
		plan := planImport(shop, current, []ImportRow{{Line: 2, SKU: "A", Stock: ptr(1)}}, nil)
		if len(plan.Changes) != 0 || len(plan.Rejected) != 1 || !errors.Is(plan.Rejected[0].Err, ErrStockBelowZero) {
			t.Errorf("plan = %+v", plan)
		}
	})
	t.Run("OtherCurrency", func(t *testing.T) {
		usd := core.Money{Amount: 1, Currency: "USD"}
		plan := planImport(shop, current, []ImportRow{{Line: 2, SKU: "A", Price: &usd}}, nil)
		if len(plan.Rejected) != 1 || !errors.Is(plan.Rejected[0].Err, ErrWrongCurrency) {
			t.Errorf("plan = %+v", plan)
		}
	})
}

func TestApplyChange(t *testing.T) {
	change := ImportChange{VariantID: 10, SKU: "A", OldPrice: rub(100), NewPrice: rub(150), OldStock: 5, NewStock: 8}
	tests := []struct {
		name      string
		v         Variant
		want      error
		writes    bool
		movement  bool
		wantStock int
	}{
		{"AsPreviewed", Variant{ID: 10, Price: rub(100), OnHand: 5}, nil, true, true, 8},
		{"AlreadyApplied", Variant{ID: 10, Price: rub(150), OnHand: 8}, nil, false, false, 8},
		{"PriceAppliedStockNot", Variant{ID: 10, Price: rub(150), OnHand: 5}, nil, true, true, 8},
		{"StockMovedSince", Variant{ID: 10, Price: rub(100), OnHand: 4}, ErrImportStale, false, false, 0},
		{"PriceMovedSince", Variant{ID: 10, Price: rub(120), OnHand: 5}, ErrImportStale, false, false, 0},
		{"ReservedAboveNewStock", Variant{ID: 10, Price: rub(100), OnHand: 5, Reserved: 9}, ErrStockBelowZero, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ok, err := applyChange(tt.v, change, 3, time.Time{})
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("applyChange() error = %v, want %v", err, tt.want)
			}
			if ok != tt.writes || (w.Movement != nil) != tt.movement {
				t.Fatalf("applyChange() = %+v, %v", w, ok)
			}
			if ok && (w.OnHand != tt.wantStock || w.Price != change.NewPrice) {
				t.Errorf("write = %+v", w)
			}
			if w.Movement != nil {
				m := *w.Movement
				if m.Kind != MoveImport || m.OnHandBefore != tt.v.OnHand || m.OnHandAfter != tt.wantStock || m.ActorID != 3 {
					t.Errorf("movement = %+v", m)
				}
			}
		})
	}
}
