package catalog

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
)

// The rules below are pure: they take values and return values or errors, so they
// are tested without storage. Service runs them, inside store closures where the
// answer depends on locked rows.

// Length limits of text fields, in characters.
const (
	maxShopName     = 64
	maxTitle        = 128
	maxDescription  = 1000
	maxVariantName  = 64
	maxCategoryName = 64
	maxSKU          = 64
	maxNote         = 500
	maxPlaceName    = 64
	maxAddress      = 256
	maxHours        = 128
	maxPhotoID      = 256
)

// cleanLine trims s and checks it is one line of least to most characters without
// control characters, and, when it may not be empty, that a person can see it; it returns
// the trimmed text or e.
func cleanLine(s string, least, most int, e *core.Error) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < least || n > most || !utf8.ValidString(s) {
		return "", e
	}
	if least > 0 && !core.Visible(s) {
		return "", e
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", e
	}
	return s, nil
}

// cleanText is cleanLine for text of up to most characters that may span lines (a
// description) or be empty.
func cleanText(s string, most int, e *core.Error) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > most || !utf8.ValidString(s) {
		return "", e
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return "", e
	}
	return s, nil
}

// ValidateSKU returns ErrSKU unless sku is 1 to 64 letters, digits, '-', '_' or '.'.
// SKUs are compared exactly: "a-1" and "A-1" are two SKUs.
func ValidateSKU(sku string) error {
	if sku == "" || utf8.RuneCountInString(sku) > maxSKU || !utf8.ValidString(sku) {
		return ErrSKU
	}
	for _, r := range sku {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return ErrSKU
		}
	}
	return nil
}

// GeneratedSKU is the SKU a variant gets when the seller gives none: the product id
// and the variant's number within the product, counting from 1 ("P42-1").
func GeneratedSKU(product core.ProductID, n int) string {
	return fmt.Sprintf("P%d-%d", product, n)
}

// ParseStock reads an on-hand quantity a person typed: a whole number from 0 to
// MaxStock, digits only, spaces around allowed. ErrQuantity otherwise.
func ParseStock(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 7 {
		return 0, ErrQuantity
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, ErrQuantity
		}
		n = n*10 + int(c-'0')
	}
	if n > MaxStock {
		return 0, ErrQuantity
	}
	return n, nil
}

// validateStock returns ErrQuantity unless n is 0 to MaxStock.
func validateStock(n int) error {
	if n < 0 || n > MaxStock {
		return ErrQuantity
	}
	return nil
}

// validatePrice checks a variant's price: in the shop's currency, more than zero,
// at most core.MaxAmount.
func validatePrice(m core.Money, cur core.Currency) error {
	switch {
	case m.Currency != cur:
		return ErrWrongCurrency
	case m.Amount < 0:
		return core.ErrPriceNegative
	case m.Amount == 0:
		return core.ErrPriceZero
	case m.Amount > core.MaxAmount:
		return core.ErrPriceTooLarge
	}
	return nil
}

// shippingPrice checks the price of a shipping option: zero (free; a zero Money of
// no currency will do) or a price in the shop's currency up to core.MaxAmount.
func shippingPrice(m core.Money, cur core.Currency) (core.Money, error) {
	if m.Amount == 0 {
		return core.Money{Currency: cur}, nil
	}
	if err := validatePrice(m, cur); err != nil {
		return core.Money{}, err
	}
	return m, nil
}

// validatePhotos checks a product's photos (Telegram file ids) and returns a copy.
func validatePhotos(photos []string) ([]string, error) {
	if len(photos) > MaxPhotos {
		return nil, ErrTooManyPhotos
	}
	out := make([]string, 0, len(photos))
	for _, p := range photos {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > maxPhotoID {
			return nil, ErrPhoto
		}
		out = append(out, p)
	}
	return out, nil
}

// newShop checks what /sell collected and returns the shop to create.
func newShop(owner core.UserID, n NewShop) (Shop, error) {
	name, err := cleanLine(n.Name, 1, maxShopName, ErrShopName)
	if err != nil {
		return Shop{}, err
	}
	sh := Shop{
		Name:              name,
		Currency:          n.Currency,
		PaymentMethod:     n.PaymentMethod,
		ProviderToken:     strings.TrimSpace(n.ProviderToken),
		ReservationTTL:    DefaultReservationTTL,
		ReviewRequestDays: DefaultReviewRequestDays,
		CreatedBy:         owner,
	}
	if err := validatePayment(sh); err != nil {
		return Shop{}, err
	}
	if err := checkProviderChoice(Shop{}, sh, n.PlatformProvider); err != nil {
		return Shop{}, err
	}
	return sh, nil
}

// onPlatformProvider reports whether a shop takes cards through the platform's
// default provider: a card shop without a token of its own.
func onPlatformProvider(sh Shop) bool {
	return sh.PaymentMethod == PayCard && sh.ProviderToken == ""
}

// checkProviderChoice checks how a change from before to after (a new shop: from
// the zero Shop) connects a card provider. A shop comes to rely on the platform's
// provider only when the seller chose it (platform); an empty token alone is more
// likely a token lost on the way than a choice. Choosing the platform's provider
// and giving a token is ErrProviderChoice.
func checkProviderChoice(before, after Shop, platform bool) error {
	switch {
	case platform && after.ProviderToken != "":
		return ErrProviderChoice
	case onPlatformProvider(after) && !onPlatformProvider(before) && !platform:
		return ErrNoProvider
	}
	return nil
}

// validatePayment checks that a shop's currency and payment method go together:
// Stars sell in XTR, cards in any other known currency, through the shop's own
// provider token or, without one, the platform's default provider.
func validatePayment(sh Shop) error {
	if !sh.Currency.Valid() {
		return core.ErrCurrencyUnknown
	}
	switch sh.PaymentMethod {
	case PayStars:
		if sh.Currency != core.Stars {
			return ErrStarsCurrency
		}
	case PayCard:
		if sh.Currency == core.Stars {
			return ErrCardCurrency
		}
	default:
		return ErrPaymentMethod
	}
	return nil
}

// applySettings changes sh by set. The currency may change only while the shop has
// no products, since prices are stored in the shop's currency.
func applySettings(sh *Shop, set ShopSettings, hasProducts bool) error {
	next := *sh
	if set.Name != nil {
		name, err := cleanLine(*set.Name, 1, maxShopName, ErrShopName)
		if err != nil {
			return err
		}
		next.Name = name
	}
	if set.Currency != nil && *set.Currency != sh.Currency {
		if !set.Currency.Valid() {
			return core.ErrCurrencyUnknown
		}
		if hasProducts {
			return ErrCurrencyLocked
		}
		next.Currency = *set.Currency
	}
	if set.PaymentMethod != nil {
		next.PaymentMethod = *set.PaymentMethod
	}
	if set.ProviderToken != nil {
		next.ProviderToken = strings.TrimSpace(*set.ProviderToken)
	}
	if set.PlatformProvider && set.ProviderToken == nil {
		next.ProviderToken = ""
	}
	if set.ReservationTTL != nil {
		ttl := set.ReservationTTL.Truncate(1e9) // the schema keeps whole seconds
		if ttl < MinReservationTTL || ttl > MaxReservationTTL {
			return ErrReservationTTL
		}
		next.ReservationTTL = ttl
	}
	if set.CartReminder != nil {
		d := set.CartReminder.Truncate(time.Second)
		if d != 0 && (d < MinCartReminder || d > MaxCartReminder) {
			return ErrCartReminder
		}
		next.CartReminder = d
	}
	if set.ReviewRequestDays != nil {
		if n := *set.ReviewRequestDays; n < 0 || n > MaxReviewRequestDays {
			return ErrReviewRequest
		}
		next.ReviewRequestDays = *set.ReviewRequestDays
	}
	if err := validatePayment(next); err != nil {
		return err
	}
	if err := checkProviderChoice(*sh, next, set.PlatformProvider); err != nil {
		return err
	}
	*sh = next
	return nil
}

// newProduct checks what the add-product conversation collected and returns the
// product to create, in the shop's currency. Variants keep an empty SKU where the
// seller gave none; the caller generates it once the product id is known.
func newProduct(n NewProduct, cur core.Currency) (Product, error) {
	title, err := cleanLine(n.Title, 1, maxTitle, ErrTitle)
	if err != nil {
		return Product{}, err
	}
	desc, err := cleanText(n.Description, maxDescription, ErrDescription)
	if err != nil {
		return Product{}, err
	}
	photos, err := validatePhotos(n.Photos)
	if err != nil {
		return Product{}, err
	}
	if len(n.Variants) == 0 {
		return Product{}, ErrNoVariants
	}
	if len(n.Variants) > MaxVariants {
		return Product{}, ErrTooManyVariants
	}
	p := Product{
		ShopID:      n.ShopID,
		CategoryID:  n.CategoryID,
		Title:       title,
		Description: desc,
		Photos:      photos,
	}
	names := make(map[string]bool, len(n.Variants))
	skus := make(map[string]bool, len(n.Variants))
	for _, nv := range n.Variants {
		v, err := newVariant(nv, cur, len(n.Variants) > 1)
		if err != nil {
			return Product{}, err
		}
		key := strings.ToLower(v.Name)
		if names[key] {
			return Product{}, ErrVariantName
		}
		names[key] = true
		if v.SKU != "" {
			if skus[v.SKU] {
				return Product{}, ErrSKUTaken
			}
			skus[v.SKU] = true
		}
		v.ShopID = n.ShopID
		p.Variants = append(p.Variants, v)
	}
	return p, nil
}

// newVariant checks one new variant; named says whether it needs a name (a product
// with several variants tells them apart by name).
func newVariant(n NewVariant, cur core.Currency, named bool) (Variant, error) {
	least := 0
	if named {
		least = 1
	}
	name, err := cleanLine(n.Name, least, maxVariantName, ErrVariantName)
	if err != nil {
		return Variant{}, err
	}
	sku := strings.TrimSpace(n.SKU)
	if sku != "" {
		if err := ValidateSKU(sku); err != nil {
			return Variant{}, err
		}
	}
	if err := validatePrice(n.Price, cur); err != nil {
		return Variant{}, err
	}
	if err := validateStock(n.Stock); err != nil {
		return Variant{}, err
	}
	return Variant{SKU: sku, Name: name, Price: n.Price, OnHand: n.Stock}, nil
}

// nameTaken reports whether another active variant of p than except is called name.
func nameTaken(p Product, except core.VariantID, name string) bool {
	for _, v := range p.Variants {
		if v.ID != except && strings.EqualFold(v.Name, name) {
			return true
		}
	}
	return false
}

// applyProductUpdate changes p by u.
func applyProductUpdate(p *Product, u ProductUpdate) error {
	next := *p
	if u.Title != nil {
		title, err := cleanLine(*u.Title, 1, maxTitle, ErrTitle)
		if err != nil {
			return err
		}
		next.Title = title
	}
	if u.Description != nil {
		desc, err := cleanText(*u.Description, maxDescription, ErrDescription)
		if err != nil {
			return err
		}
		next.Description = desc
	}
	if u.Photos != nil {
		photos, err := validatePhotos(*u.Photos)
		if err != nil {
			return err
		}
		next.Photos = photos
	}
	if u.CategoryID != nil {
		next.CategoryID = *u.CategoryID
	}
	*p = next
	return nil
}

// applyVariantUpdate changes v, a variant of p, by u.
func applyVariantUpdate(v *Variant, p Product, u VariantUpdate) error {
	next := *v
	if u.Name != nil {
		others := false
		for _, o := range p.Variants {
			others = others || o.ID != v.ID
		}
		least := 0
		if others {
			least = 1
		}
		name, err := cleanLine(*u.Name, least, maxVariantName, ErrVariantName)
		if err != nil {
			return err
		}
		if nameTaken(p, v.ID, name) {
			return ErrVariantName
		}
		next.Name = name
	}
	if u.SKU != nil {
		sku := strings.TrimSpace(*u.SKU)
		if err := ValidateSKU(sku); err != nil {
			return err
		}
		next.SKU = sku
	}
	if u.Price != nil {
		if err := validatePrice(*u.Price, v.Price.Currency); err != nil {
			return err
		}
		next.Price = *u.Price
	}
	*v = next
	return nil
}

// checkAdjustment checks a stock adjustment before the variant is read: the kind
// must be one a person chooses and agree with the sign of delta.
func checkAdjustment(delta int, kind MovementKind, note string) (string, error) {
	if delta == 0 || delta > MaxStock || delta < -MaxStock {
		return "", ErrQuantity
	}
	switch {
	case kind == MoveReceipt && delta > 0, kind == MoveWriteOff && delta < 0, kind == MoveCorrection:
	default:
		return "", ErrAdjustKind
	}
	return cleanText(note, maxNote, ErrNote)
}

// adjust returns the movement that changes v's on-hand stock by delta at now. On
// hand never falls below what is reserved (ErrStockBelowZero) nor rises above MaxStock.
func adjust(v Variant, delta int, kind MovementKind, actor core.UserID, note string, now time.Time) (Movement, error) {
	after := v.OnHand + delta
	if after < v.Reserved || after < 0 {
		return Movement{}, ErrStockBelowZero
	}
	if after > MaxStock {
		return Movement{}, ErrQuantity
	}
	return movement(v, after, kind, actor, note, now), nil
}

// movement is the ledger entry that sets v's on-hand stock to after, at now.
func movement(v Variant, after int, kind MovementKind, actor core.UserID, note string, now time.Time) Movement {
	return Movement{
		CreatedAt:      now,
		VariantID:      v.ID,
		Kind:           kind,
		OnHandBefore:   v.OnHand,
		OnHandAfter:    after,
		ReservedBefore: v.Reserved,
		ReservedAfter:  v.Reserved,
		ActorID:        actor,
		Note:           note,
	}
}

// planImport compares a stock file's rows with the shop's variants. A row changes
// what differs; a row that changes nothing is left out; a row is rejected (and
// changes nothing) for an unknown SKU, an invalid value, a SKU that appears twice,
// or stock below what is reserved now.
func planImport(shop Shop, current []StockRow, rows []ImportRow, rejected []RowError) ImportPlan {
	plan := ImportPlan{ShopID: shop.ID, Rejected: append([]RowError(nil), rejected...)}
	bySKU := make(map[string]StockRow, len(current))
	for _, r := range current {
		bySKU[r.SKU] = r
	}
	count := make(map[string]int, len(rows))
	for _, r := range rows {
		count[r.SKU]++
	}
	for _, r := range rows {
		reject := func(err error) { plan.Rejected = append(plan.Rejected, RowError{Line: r.Line, SKU: r.SKU, Err: err}) }
		if err := ValidateSKU(r.SKU); err != nil {
			reject(err)
			continue
		}
		if count[r.SKU] > 1 {
			reject(ErrDuplicateSKU)
			continue
		}
		cur, ok := bySKU[r.SKU]
		if !ok {
			reject(ErrUnknownSKU)
			continue
		}
		c := ImportChange{
			Line: r.Line, VariantID: cur.VariantID, SKU: r.SKU, Title: stockTitle(cur),
			OldPrice: cur.Price, NewPrice: cur.Price, OldStock: cur.OnHand, NewStock: cur.OnHand,
		}
		if r.Price != nil {
			if err := validatePrice(*r.Price, shop.Currency); err != nil {
				reject(err)
				continue
			}
			c.NewPrice = *r.Price
		}
		if r.Stock != nil {
			if err := validateStock(*r.Stock); err != nil {
				reject(err)
				continue
			}
			if *r.Stock < cur.Reserved {
				reject(ErrStockBelowZero)
				continue
			}
			c.NewStock = *r.Stock
		}
		if c.NewPrice == c.OldPrice && c.NewStock == c.OldStock {
			continue
		}
		plan.Changes = append(plan.Changes, c)
	}
	return plan
}

// stockTitle names a variant for people: "Sneakers", "Sneakers, 42".
func stockTitle(r StockRow) string {
	if r.Variant == "" {
		return r.Product
	}
	return r.Product + ", " + r.Variant
}

// validateChange checks a change of a confirmed plan, which has been through the
// bot's storage since PlanImport made it.
func validateChange(c ImportChange, cur core.Currency) error {
	if err := ValidateSKU(c.SKU); err != nil {
		return err
	}
	if err := validatePrice(c.NewPrice, cur); err != nil {
		return err
	}
	if c.OldPrice.Currency != cur {
		return ErrWrongCurrency
	}
	if err := validateStock(c.NewStock); err != nil {
		return err
	}
	return validateStock(c.OldStock)
}

// applyChange decides what a confirmed change does to the locked variant v. Each of
// price and stock is written only if it still differs from the plan's new value, and
// only if it is still what the preview showed: so applying a plan again writes
// nothing, and a value that moved since the preview (a sale, another import) is
// not overwritten blindly (ErrImportStale). ok is false when nothing is to be written.
func applyChange(v Variant, c ImportChange, actor core.UserID, now time.Time) (w StockWrite, ok bool, err error) {
	w = StockWrite{VariantID: v.ID, Price: v.Price, OnHand: v.OnHand}
	if v.Price != c.NewPrice {
		if v.Price != c.OldPrice {
			return StockWrite{}, false, ErrImportStale
		}
		w.Price = c.NewPrice
		ok = true
	}
	if v.OnHand != c.NewStock {
		if v.OnHand != c.OldStock {
			return StockWrite{}, false, ErrImportStale
		}
		if c.NewStock < v.Reserved {
			return StockWrite{}, false, ErrStockBelowZero
		}
		m := movement(v, c.NewStock, MoveImport, actor, "", now)
		w.OnHand = c.NewStock
		w.Movement = &m
		ok = true
	}
	return w, ok, nil
}
