package catalog

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// --- shops and staff ---

// CreateShop opens a shop owned by owner, with the default reservation time.
// ErrShopName, ErrStarsCurrency, ErrCardCurrency, ErrPaymentMethod,
// core.ErrCurrencyUnknown; ErrNoProvider for a card shop with neither a token nor
// PlatformProvider, ErrProviderChoice for both. Whether the platform has a default
// provider to choose is the caller's concern: the catalog does not know the
// platform's token, and stores none for a shop on it.
func (s *Service) CreateShop(ctx context.Context, owner core.UserID, n NewShop) (Shop, error) {
	sh, err := newShop(owner, n)
	if err != nil {
		return Shop{}, fmt.Errorf("create shop: %w", err)
	}
	sh, err = s.store.CreateShop(ctx, sh)
	if err != nil {
		return Shop{}, fmt.Errorf("create shop: %w", err)
	}
	return sh, nil
}

// Shop returns a shop, blocked or not; ErrShopNotFound.
func (s *Service) Shop(ctx context.Context, id core.ShopID) (Shop, error) {
	sh, err := s.store.Shop(ctx, id)
	if err != nil {
		return Shop{}, fmt.Errorf("shop %d: %w", id, err)
	}
	return sh, nil
}

// Shops lists shops that are not blocked, newest first (for the shopper's catalog).
// limit is 10 when not positive and at most 50.
func (s *Service) Shops(ctx context.Context, limit, offset int) ([]Shop, error) {
	limit, offset = page(limit, offset)
	shops, err := s.store.Shops(ctx, ShopFilter{Selling: true, Limit: limit, Offset: offset})
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	return shops, nil
}

// ShopsForOperator lists every shop, blocked ones included (Shop.Blocked says
// which), newest first, for a platform operator; ErrNotOperator for anyone else.
// limit is 10 when not positive and at most 50.
func (s *Service) ShopsForOperator(ctx context.Context, actor core.UserID, limit, offset int) ([]Shop, error) {
	if err := s.operators.Require(actor); err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	limit, offset = page(limit, offset)
	shops, err := s.store.Shops(ctx, ShopFilter{WithBlocked: true, Limit: limit, Offset: offset})
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	return shops, nil
}

// Memberships lists the shops where user is staff, with their role, blocked shops
// included.
func (s *Service) Memberships(ctx context.Context, user core.UserID) ([]Membership, error) {
	ms, err := s.store.Memberships(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("memberships of %d: %w", user, err)
	}
	return ms, nil
}

// Role returns actor's role in shop; ErrNotStaff if none.
func (s *Service) Role(ctx context.Context, id core.ShopID, actor core.UserID) (Role, error) {
	return s.requireStaff(ctx, id, actor)
}

// UpdateSettings changes a shop's settings (owner only); ErrNotStaff, ErrNotOwner,
// ErrShopName, ErrReservationTTL, ErrStarsCurrency, ErrCardCurrency,
// ErrPaymentMethod, ErrCurrencyLocked (the shop has products),
// core.ErrCurrencyUnknown. ErrNoProvider when the change would leave a card shop
// without a token of its own and PlatformProvider is not set (a card shop already
// on the platform's provider stays on it); ErrProviderChoice for PlatformProvider
// with a token. A reservation time is kept in whole seconds.
func (s *Service) UpdateSettings(ctx context.Context, actor core.UserID, shop core.ShopID, set ShopSettings) (Shop, error) {
	if err := s.requireOwner(ctx, shop, actor); err != nil {
		return Shop{}, fmt.Errorf("update settings: %w", err)
	}
	sh, err := s.store.UpdateShop(ctx, shop, func(sh *Shop, hasProducts bool) error {
		return applySettings(sh, set, hasProducts)
	})
	if err != nil {
		return Shop{}, fmt.Errorf("update settings: %w", err)
	}
	return sh, nil
}

// SetBlocked blocks or unblocks a shop (operators only); ErrNotOperator,
// ErrShopNotFound. A blocked shop is hidden from shoppers; its staff still manage it.
func (s *Service) SetBlocked(ctx context.Context, actor core.UserID, shop core.ShopID, blocked bool) error {
	if err := s.operators.Require(actor); err != nil {
		return fmt.Errorf("block shop: %w", err)
	}
	_, err := s.store.UpdateShop(ctx, shop, func(sh *Shop, _ bool) error {
		sh.Blocked = blocked
		return nil
	})
	if err != nil {
		return fmt.Errorf("block shop: %w", err)
	}
	return nil
}

// Staff lists a shop's staff, the owner first (staff only); ErrNotStaff.
func (s *Service) Staff(ctx context.Context, actor core.UserID, shop core.ShopID) ([]StaffMember, error) {
	if _, err := s.requireStaff(ctx, shop, actor); err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	staff, err := s.store.Staff(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return staff, nil
}

// StaffOf lists a shop's staff, the owner first, without asking who wants to know:
// for notifications and workers, which act for the system, never for a person's
// request (that is Staff). An unknown shop has no staff.
func (s *Service) StaffOf(ctx context.Context, shop core.ShopID) ([]StaffMember, error) {
	staff, err := s.store.Staff(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("staff of shop %d: %w", shop, err)
	}
	return staff, nil
}

// CreateInvite makes a one-time manager invitation valid for 7 days (owner only);
// ErrNotStaff, ErrNotOwner. The token is 26 characters of A-Z and 2-7, so
// "inv_"+token fits a deep-link payload.
func (s *Service) CreateInvite(ctx context.Context, actor core.UserID, shop core.ShopID) (Invite, error) {
	if err := s.requireOwner(ctx, shop, actor); err != nil {
		return Invite{}, fmt.Errorf("create invite: %w", err)
	}
	inv := Invite{
		Token:     rand.Text(),
		ShopID:    shop,
		Role:      RoleManager,
		ExpiresAt: s.clock.Now().Add(InviteTTL),
		CreatedBy: actor,
	}
	if err := s.store.CreateInvite(ctx, inv); err != nil {
		return Invite{}, fmt.Errorf("create invite: %w", err)
	}
	return inv, nil
}

// AcceptInvite makes user a manager of the invite's shop and uses the invite up;
// ErrInviteInvalid if used by someone else, expired or unknown. Accepting twice by
// the same user is not an error. A user who is already staff keeps their role and
// leaves the invite unused.
func (s *Service) AcceptInvite(ctx context.Context, user core.UserID, token string) (Membership, error) {
	now := s.clock.Now()
	m, err := s.store.AcceptInvite(ctx, token, user, func(inv Invite, current Role) (bool, error) {
		switch {
		case inv.UsedBy == user && current != "":
			return false, nil // accepted before: a second tap
		case inv.UsedBy != 0:
			return false, ErrInviteInvalid
		case !now.Before(inv.ExpiresAt):
			return false, ErrInviteInvalid
		case current != "":
			return false, nil // the owner trying their own link
		}
		return true, nil
	})
	if err != nil {
		return Membership{}, fmt.Errorf("accept invite: %w", err)
	}
	return m, nil
}

// RemoveStaff removes a manager (owner only); ErrNotStaff, ErrNotOwner, ErrLastOwner
// for the owner. Removing someone who is not staff is not an error.
func (s *Service) RemoveStaff(ctx context.Context, actor core.UserID, shop core.ShopID, user core.UserID) error {
	if err := s.requireOwner(ctx, shop, actor); err != nil {
		return fmt.Errorf("remove staff: %w", err)
	}
	role, err := s.store.Role(ctx, shop, user)
	switch {
	case err != nil:
		return fmt.Errorf("remove staff: %w", err)
	case role == "":
		return nil // not staff: nothing to remove
	case role == RoleOwner:
		return fmt.Errorf("remove staff: %w", ErrLastOwner)
	}
	if err := s.store.RemoveManager(ctx, shop, user); err != nil {
		return fmt.Errorf("remove staff: %w", err)
	}
	return nil
}

// --- pickup points and shipping options (owner and managers) ---

// AddPickupPoint adds a place where shoppers collect orders (staff only);
// ErrNotStaff, ErrPickupPoint.
func (s *Service) AddPickupPoint(ctx context.Context, actor core.UserID, p PickupPoint) (PickupPoint, error) {
	if _, err := s.requireStaff(ctx, p.ShopID, actor); err != nil {
		return PickupPoint{}, fmt.Errorf("add pickup point: %w", err)
	}
	var err error
	if p.Name, err = cleanLine(p.Name, 1, maxPlaceName, ErrPickupPoint); err != nil {
		return PickupPoint{}, fmt.Errorf("add pickup point: %w", err)
	}
	if p.Address, err = cleanText(p.Address, maxAddress, ErrPickupPoint); err != nil || p.Address == "" {
		return PickupPoint{}, fmt.Errorf("add pickup point: %w", ErrPickupPoint)
	}
	if p.Hours, err = cleanText(p.Hours, maxHours, ErrPickupPoint); err != nil {
		return PickupPoint{}, fmt.Errorf("add pickup point: %w", err)
	}
	p, err = s.store.AddPickupPoint(ctx, p)
	if err != nil {
		return PickupPoint{}, fmt.Errorf("add pickup point: %w", err)
	}
	return p, nil
}

// RemovePickupPoint stops offering a pickup point (staff only); orders that chose it
// keep it. ErrPickupPointNotFound, ErrNotStaff. Removing it twice is not an error.
func (s *Service) RemovePickupPoint(ctx context.Context, actor core.UserID, id core.PickupPointID) error {
	p, err := s.store.PickupPoint(ctx, id)
	if err != nil {
		return fmt.Errorf("remove pickup point %d: %w", id, err)
	}
	if _, err := s.requireStaff(ctx, p.ShopID, actor); err != nil {
		return fmt.Errorf("remove pickup point %d: %w", id, err)
	}
	if err := s.store.RemovePickupPoint(ctx, id); err != nil {
		return fmt.Errorf("remove pickup point %d: %w", id, err)
	}
	return nil
}

// PickupPoints lists a shop's pickup points in the order they were added.
func (s *Service) PickupPoints(ctx context.Context, shop core.ShopID) ([]PickupPoint, error) {
	ps, err := s.store.PickupPoints(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("pickup points of shop %d: %w", shop, err)
	}
	return ps, nil
}

// AddShippingOption adds a way to ship with its price, zero for free shipping, in the
// shop's currency (staff only); ErrNotStaff, ErrShippingOption, ErrWrongCurrency,
// core.ErrPriceNegative, core.ErrPriceTooLarge. ErrStarsShipping for a shop paid in
// Stars: Telegram takes no shipping address or options with a Stars invoice.
func (s *Service) AddShippingOption(ctx context.Context, actor core.UserID, o ShippingOption) (ShippingOption, error) {
	if _, err := s.requireStaff(ctx, o.ShopID, actor); err != nil {
		return ShippingOption{}, fmt.Errorf("add shipping option: %w", err)
	}
	sh, err := s.store.Shop(ctx, o.ShopID)
	if err != nil {
		return ShippingOption{}, fmt.Errorf("add shipping option: %w", err)
	}
	if sh.PaymentMethod == PayStars {
		return ShippingOption{}, fmt.Errorf("add shipping option: %w", ErrStarsShipping)
	}
	if o.Name, err = cleanLine(o.Name, 1, maxPlaceName, ErrShippingOption); err != nil {
		return ShippingOption{}, fmt.Errorf("add shipping option: %w", err)
	}
	if o.Price, err = shippingPrice(o.Price, sh.Currency); err != nil {
		return ShippingOption{}, fmt.Errorf("add shipping option: %w", err)
	}
	o, err = s.store.AddShippingOption(ctx, o)
	if err != nil {
		return ShippingOption{}, fmt.Errorf("add shipping option: %w", err)
	}
	return o, nil
}

// RemoveShippingOption stops offering a shipping option (staff only); orders that
// chose it keep it. ErrShippingOptionNotFound, ErrNotStaff. Removing it twice is not
// an error.
func (s *Service) RemoveShippingOption(ctx context.Context, actor core.UserID, id core.ShippingOptionID) error {
	o, err := s.store.ShippingOption(ctx, id)
	if err != nil {
		return fmt.Errorf("remove shipping option %d: %w", id, err)
	}
	if _, err := s.requireStaff(ctx, o.ShopID, actor); err != nil {
		return fmt.Errorf("remove shipping option %d: %w", id, err)
	}
	if err := s.store.RemoveShippingOption(ctx, id); err != nil {
		return fmt.Errorf("remove shipping option %d: %w", id, err)
	}
	return nil
}

// ShippingOptions lists a shop's shipping options in the order they were added.
func (s *Service) ShippingOptions(ctx context.Context, shop core.ShopID) ([]ShippingOption, error) {
	opts, err := s.store.ShippingOptions(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("shipping options of shop %d: %w", shop, err)
	}
	return opts, nil
}

// --- categories ---

// CreateCategory adds a category to a shop (staff only); ErrNotStaff,
// ErrCategoryName, ErrCategoryTaken.
func (s *Service) CreateCategory(ctx context.Context, actor core.UserID, shop core.ShopID, name string) (Category, error) {
	if _, err := s.requireStaff(ctx, shop, actor); err != nil {
		return Category{}, fmt.Errorf("create category: %w", err)
	}
	name, err := cleanLine(name, 1, maxCategoryName, ErrCategoryName)
	if err != nil {
		return Category{}, fmt.Errorf("create category: %w", err)
	}
	c, err := s.store.CreateCategory(ctx, Category{ShopID: shop, Name: name})
	if err != nil {
		return Category{}, fmt.Errorf("create category: %w", err)
	}
	return c, nil
}

// Categories lists a shop's categories in the order they were added.
func (s *Service) Categories(ctx context.Context, shop core.ShopID) ([]Category, error) {
	cs, err := s.store.Categories(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("categories of shop %d: %w", shop, err)
	}
	return cs, nil
}

// --- products and variants ---

// CreateProduct adds a product with its variants and their opening stock (each a
// receipt in the ledger) in one transaction (staff only). A variant without a SKU
// gets GeneratedSKU(product id, its number). ErrNotStaff, ErrShopNotFound, ErrTitle,
// ErrDescription, ErrTooManyPhotos, ErrPhoto, ErrNoVariants, ErrTooManyVariants,
// ErrVariantName, ErrSKU, ErrSKUTaken, ErrWrongCurrency, ErrQuantity,
// ErrCategoryNotFound, and the price errors of core.
func (s *Service) CreateProduct(ctx context.Context, actor core.UserID, n NewProduct) (Product, error) {
	if _, err := s.requireStaff(ctx, n.ShopID, actor); err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	sh, err := s.store.Shop(ctx, n.ShopID)
	if err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	p, err := newProduct(n, sh.Currency)
	if err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	if err := s.checkCategory(ctx, sh.ID, p.CategoryID); err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	if p.ID, err = s.store.NewProductID(ctx); err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	for i := range p.Variants {
		p.Variants[i].ProductID = p.ID
		if p.Variants[i].SKU == "" {
			p.Variants[i].SKU = GeneratedSKU(p.ID, i+1)
		}
	}
	p, err = s.store.CreateProduct(ctx, p, actor)
	if err != nil {
		return Product{}, fmt.Errorf("create product: %w", err)
	}
	return p, nil
}

// Product returns a product with its active variants, archived or not; ErrProductNotFound.
func (s *Service) Product(ctx context.Context, id core.ProductID) (Product, error) {
	p, err := s.store.Product(ctx, id)
	if err != nil {
		return Product{}, fmt.Errorf("product %d: %w", id, err)
	}
	return p, nil
}

// Variant returns a variant, archived or not; ErrVariantNotFound.
func (s *Service) Variant(ctx context.Context, id core.VariantID) (Variant, error) {
	v, err := s.store.Variant(ctx, id)
	if err != nil {
		return Variant{}, fmt.Errorf("variant %d: %w", id, err)
	}
	return v, nil
}

// Products lists products by filter, newest first, and the total count that matches.
// Query matches products whose title or description has words starting with each
// word of the query ("крос" finds "Кроссовки"), or a variant with exactly that SKU.
// With ShopID set, a blocked shop's products are listed too (for its staff).
func (s *Service) Products(ctx context.Context, f ProductFilter) ([]Product, int, error) {
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	ps, total, err := s.store.Products(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list products: %w", err)
	}
	return ps, total, nil
}

// UpdateProduct changes a product's title, description, photos or category (staff
// only); ErrProductNotFound, ErrNotStaff, ErrTitle, ErrDescription, ErrTooManyPhotos,
// ErrPhoto, ErrCategoryNotFound.
func (s *Service) UpdateProduct(ctx context.Context, actor core.UserID, id core.ProductID, u ProductUpdate) (Product, error) {
	p, err := s.staffProduct(ctx, actor, id)
	if err != nil {
		return Product{}, fmt.Errorf("update product %d: %w", id, err)
	}
	if u.CategoryID != nil {
		if err := s.checkCategory(ctx, p.ShopID, *u.CategoryID); err != nil {
			return Product{}, fmt.Errorf("update product %d: %w", id, err)
		}
	}
	p, err = s.store.UpdateProduct(ctx, id, func(p *Product) error { return applyProductUpdate(p, u) })
	if err != nil {
		return Product{}, fmt.Errorf("update product %d: %w", id, err)
	}
	return p, nil
}

// SetArchived archives or restores a product (staff only). Archived products are not
// shown to shoppers and cannot be bought; open reservations still complete.
// ErrProductNotFound, ErrNotStaff.
func (s *Service) SetArchived(ctx context.Context, actor core.UserID, id core.ProductID, archived bool) (Product, error) {
	if _, err := s.staffProduct(ctx, actor, id); err != nil {
		return Product{}, fmt.Errorf("archive product %d: %w", id, err)
	}
	p, err := s.store.UpdateProduct(ctx, id, func(p *Product) error {
		p.Archived = archived
		return nil
	})
	if err != nil {
		return Product{}, fmt.Errorf("archive product %d: %w", id, err)
	}
	return p, nil
}

// AddVariant adds a variant with its opening stock (a receipt) to a product (staff
// only). It needs a name of its own; without a SKU it gets GeneratedSKU.
// ErrProductNotFound, ErrNotStaff, ErrVariantName, ErrTooManyVariants, ErrSKU,
// ErrSKUTaken, ErrWrongCurrency, ErrQuantity, and the price errors of core.
func (s *Service) AddVariant(ctx context.Context, actor core.UserID, product core.ProductID, n NewVariant) (Variant, error) {
	p, err := s.staffProduct(ctx, actor, product)
	if err != nil {
		return Variant{}, fmt.Errorf("add variant: %w", err)
	}
	sh, err := s.store.Shop(ctx, p.ShopID)
	if err != nil {
		return Variant{}, fmt.Errorf("add variant: %w", err)
	}
	nv, err := newVariant(n, sh.Currency, true)
	if err != nil {
		return Variant{}, fmt.Errorf("add variant: %w", err)
	}
	v, err := s.store.AddVariant(ctx, product, actor, func(p Product, count int) (Variant, error) {
		if len(p.Variants) >= MaxVariants {
			return Variant{}, ErrTooManyVariants
		}
		if nameTaken(p, 0, nv.Name) {
			return Variant{}, ErrVariantName
		}
		v := nv
		v.ProductID, v.ShopID = p.ID, p.ShopID
		if v.SKU == "" {
			v.SKU = GeneratedSKU(p.ID, count+1)
		}
		return v, nil
	})
	if err != nil {
		return Variant{}, fmt.Errorf("add variant: %w", err)
	}
	return v, nil
}

// UpdateVariant changes a variant's name, SKU or price (staff only). A price change
// applies to checkouts from now on; orders keep the price they were made at.
// ErrVariantNotFound, ErrNotStaff, ErrVariantName, ErrSKU, ErrSKUTaken,
// ErrWrongCurrency, and the price errors of core.
func (s *Service) UpdateVariant(ctx context.Context, actor core.UserID, id core.VariantID, u VariantUpdate) (Variant, error) {
	v, err := s.store.Variant(ctx, id)
	if err != nil {
		return Variant{}, fmt.Errorf("update variant %d: %w", id, err)
	}
	p, err := s.staffProduct(ctx, actor, v.ProductID)
	if err != nil {
		return Variant{}, fmt.Errorf("update variant %d: %w", id, err)
	}
	v, err = s.store.UpdateVariant(ctx, id, func(v *Variant) error { return applyVariantUpdate(v, p, u) })
	if err != nil {
		return Variant{}, fmt.Errorf("update variant %d: %w", id, err)
	}
	return v, nil
}

// --- stock ---

// AdjustStock changes a variant's on-hand stock by delta with a reason (receipt,
// correction, writeoff) and a note, and writes the movement (staff only), in one
// transaction under a lock on the variant. A receipt adds, a write-off removes, a
// correction does either. ErrVariantNotFound, ErrNotStaff, ErrAdjustKind, ErrNote,
// ErrQuantity (delta 0, or on hand above MaxStock), ErrStockBelowZero if on hand
// would fall below what is reserved.
func (s *Service) AdjustStock(ctx context.Context, actor core.UserID, id core.VariantID, delta int, kind MovementKind, note string) (Variant, error) {
	note, err := checkAdjustment(delta, kind, note)
	if err != nil {
		return Variant{}, fmt.Errorf("adjust stock of variant %d: %w", id, err)
	}
	if _, err := s.staffVariant(ctx, actor, id); err != nil {
		return Variant{}, fmt.Errorf("adjust stock of variant %d: %w", id, err)
	}
	v, err := s.store.AdjustStock(ctx, id, func(v Variant) (Movement, error) {
		return adjust(v, delta, kind, actor, note, s.clock.Now())
	})
	if err != nil {
		return Variant{}, fmt.Errorf("adjust stock of variant %d: %w", id, err)
	}
	return v, nil
}

// Movements returns a variant's ledger, newest first (staff only); limit is 20 when
// not positive and at most 100. ErrVariantNotFound, ErrNotStaff.
func (s *Service) Movements(ctx context.Context, actor core.UserID, id core.VariantID, limit int) ([]Movement, error) {
	if _, err := s.staffVariant(ctx, actor, id); err != nil {
		return nil, fmt.Errorf("movements of variant %d: %w", id, err)
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	ms, err := s.store.Movements(ctx, id, limit)
	if err != nil {
		return nil, fmt.Errorf("movements of variant %d: %w", id, err)
	}
	return ms, nil
}

// --- bulk import and export ---

// ImportRow is one row of a stock file: SKU, and the new price and on-hand stock
// (nil: unchanged).
type ImportRow struct {
	Line  int
	SKU   string
	Price *core.Money
	Stock *int
}

// RowError says why a row of a stock file was rejected. Err is one of the exported
// errors of this package or of core (errors.Is), which the bot translates.
type RowError struct {
	Line int
	SKU  string
	Err  error
}

// ImportChange is one variant a confirmed import will change.
type ImportChange struct {
	Line      int
	VariantID core.VariantID
	SKU       string
	Title     string
	OldPrice  core.Money
	NewPrice  core.Money
	OldStock  int
	NewStock  int
}

// ImportPlan is the preview the seller confirms.
type ImportPlan struct {
	ShopID   core.ShopID
	Changes  []ImportChange
	Rejected []RowError
}

// ParseStockFile reads a CSV stock file into rows and row errors. The header names
// the columns, in any order and any case: sku (or артикул), price (цена), stock (or
// on_hand, quantity, qty, остаток, количество); others are ignored, so an export
// reads back. The separator is ',', ';' or a tab, whichever the header uses most. A
// UTF-8 byte order mark is skipped. A price is read with core.ParsePrice in currency,
// a stock with ParseStock; an empty cell leaves the value unchanged; blank rows are
// skipped. A row is rejected with its line (RowError) for ErrRowCells, ErrRowFormat,
// ErrSKU, ErrQuantity, a price error of core, or ErrDuplicateSKU (every row of a SKU
// that appears twice). Row errors are in line order.
//
// It fails as a whole, returning no rows, only when the file is not CSV with a
// header (ErrStockFile), has no sku column (ErrNoSKUColumn), names a column twice
// (ErrDuplicateColumn), is not UTF-8 (ErrStockFileEncoding), or has more than
// MaxImportRows rows or 4 MiB (ErrStockFileTooLarge).
func ParseStockFile(r io.Reader, currency core.Currency) ([]ImportRow, []RowError, error) {
	return parseStockFile(r, currency)
}

// PlanImport compares rows with the shop's variants (staff only) and returns the
// changes to confirm and the rows rejected: those in rejected, and rows with
// ErrUnknownSKU (no active variant of the shop has it), ErrDuplicateSKU, ErrSKU,
// ErrQuantity, ErrWrongCurrency, a price error of core, or ErrStockBelowZero (less
// than is reserved now). Rows that change nothing are left out. ErrNotStaff,
// ErrShopNotFound.
func (s *Service) PlanImport(ctx context.Context, actor core.UserID, shop core.ShopID, rows []ImportRow, rejected []RowError) (ImportPlan, error) {
	if _, err := s.requireStaff(ctx, shop, actor); err != nil {
		return ImportPlan{}, fmt.Errorf("plan import: %w", err)
	}
	sh, err := s.store.Shop(ctx, shop)
	if err != nil {
		return ImportPlan{}, fmt.Errorf("plan import: %w", err)
	}
	current, err := s.store.StockRows(ctx, shop)
	if err != nil {
		return ImportPlan{}, fmt.Errorf("plan import: %w", err)
	}
	plan := planImport(sh, current, rows, rejected)
	sortRowErrors(plan.Rejected)
	return plan, nil
}

// ApplyImport applies a confirmed plan in one transaction, each stock change a
// movement of kind import, under locks on the variants (staff only). It reads only
// ShopID and Changes, so a plan kept in a conversation as JSON works.
//
// The result holds the changes written, their Old values as they were just before,
// and the plan's changes rejected now: ErrStockBelowZero (less than is reserved now),
// ErrImportStale (the price or stock moved since the preview, other than to the
// plan's new value), ErrUnknownSKU (the variant is gone), or a validation error. A
// value already at the plan's new value is not written, so applying the same plan
// twice changes nothing the second time. ErrNotStaff, ErrShopNotFound.
func (s *Service) ApplyImport(ctx context.Context, actor core.UserID, plan ImportPlan) (ImportPlan, error) {
	if _, err := s.requireStaff(ctx, plan.ShopID, actor); err != nil {
		return ImportPlan{}, fmt.Errorf("apply import: %w", err)
	}
	sh, err := s.store.Shop(ctx, plan.ShopID)
	if err != nil {
		return ImportPlan{}, fmt.Errorf("apply import: %w", err)
	}
	var (
		valid   []ImportChange
		invalid []RowError
		ids     []core.VariantID
	)
	for _, c := range plan.Changes {
		if err := validateChange(c, sh.Currency); err != nil {
			invalid = append(invalid, RowError{Line: c.Line, SKU: c.SKU, Err: err})
			continue
		}
		valid = append(valid, c)
		ids = append(ids, c.VariantID)
	}
	var result ImportPlan
	now := s.clock.Now()
	err = s.store.ApplyImport(ctx, sh.ID, ids, func(locked map[core.VariantID]Variant) ([]StockWrite, error) {
		result = ImportPlan{ShopID: sh.ID, Rejected: append([]RowError(nil), invalid...)}
		var writes []StockWrite
		for _, c := range valid {
			reject := func(err error) {
				result.Rejected = append(result.Rejected, RowError{Line: c.Line, SKU: c.SKU, Err: err})
			}
			v, ok := locked[c.VariantID]
			if !ok || v.SKU != c.SKU {
				reject(ErrUnknownSKU)
				continue
			}
			w, ok, err := applyChange(v, c, actor, now)
			if err != nil {
				reject(err)
				continue
			}
			if !ok {
				continue
			}
			writes = append(writes, w)
			c.OldPrice, c.OldStock = v.Price, v.OnHand
			result.Changes = append(result.Changes, c)
		}
		return writes, nil
	})
	if err != nil {
		return ImportPlan{}, fmt.Errorf("apply import: %w", err)
	}
	sortRowErrors(result.Rejected)
	return result, nil
}

// StockRow is one line of a stock export.
type StockRow struct {
	SKU       string
	Product   string
	Variant   string
	Price     core.Money
	OnHand    int
	Reserved  int
	Available int
	VariantID core.VariantID
}

// ExportStock returns every variant of the shop that is not archived, of archived
// products too (their goods are still on the shelf), by product (staff only);
// ErrNotStaff.
func (s *Service) ExportStock(ctx context.Context, actor core.UserID, shop core.ShopID) ([]StockRow, error) {
	if _, err := s.requireStaff(ctx, shop, actor); err != nil {
		return nil, fmt.Errorf("export stock: %w", err)
	}
	rows, err := s.store.StockRows(ctx, shop)
	if err != nil {
		return nil, fmt.Errorf("export stock: %w", err)
	}
	return rows, nil
}

// WriteStockFile writes rows as a CSV file that ParseStockFile reads back, comma
// separated, with the header "sku,product,variant,price,on_hand,reserved,available"
// and prices as Money.Decimal. A product or variant name that a spreadsheet would
// run as a formula gets a leading apostrophe.
func WriteStockFile(w io.Writer, rows []StockRow) error { return writeStockFile(w, rows) }

// --- helpers ---

// requireStaff returns actor's role in the shop; ErrNotStaff if none.
func (s *Service) requireStaff(ctx context.Context, id core.ShopID, actor core.UserID) (Role, error) {
	return shop.Require(ctx, s.store, id, actor, shop.RoleManager)
}

// requireOwner returns ErrNotStaff or ErrNotOwner unless actor owns the shop.
func (s *Service) requireOwner(ctx context.Context, id core.ShopID, actor core.UserID) error {
	_, err := shop.Require(ctx, s.store, id, actor, shop.RoleOwner)
	return err
}

// staffProduct returns a product whose shop actor works for.
func (s *Service) staffProduct(ctx context.Context, actor core.UserID, id core.ProductID) (Product, error) {
	p, err := s.store.Product(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if _, err := s.requireStaff(ctx, p.ShopID, actor); err != nil {
		return Product{}, err
	}
	return p, nil
}

// staffVariant returns a variant whose shop actor works for.
func (s *Service) staffVariant(ctx context.Context, actor core.UserID, id core.VariantID) (Variant, error) {
	v, err := s.store.Variant(ctx, id)
	if err != nil {
		return Variant{}, err
	}
	if _, err := s.requireStaff(ctx, v.ShopID, actor); err != nil {
		return Variant{}, err
	}
	return v, nil
}

// checkCategory returns ErrCategoryNotFound unless id is 0 (none) or a category of
// shop.
func (s *Service) checkCategory(ctx context.Context, shop core.ShopID, id core.CategoryID) error {
	if id == 0 {
		return nil
	}
	c, err := s.store.Category(ctx, id)
	if err != nil {
		return err
	}
	if c.ShopID != shop {
		return ErrCategoryNotFound
	}
	return nil
}

// page bounds a page of a listing: limit 10 when not positive and at most 50,
// offset at least 0.
func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 10
	}
	return min(limit, 50), max(offset, 0)
}
