package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Catalog stores shops, staff, products, variants and the stock ledger.
type Catalog struct {
	Roles // Role
	pool  *pgxpool.Pool
}

// NewCatalog returns a Catalog on pool.
func NewCatalog(pool *pgxpool.Pool) *Catalog { return &Catalog{Roles: NewRoles(pool), pool: pool} }

var _ catalog.Store = (*Catalog)(nil)

// Constraint names the schema gives by default, translated into domain errors.
const (
	catalogVariantsSKUKey    = "variants_shop_id_sku_key"
	catalogCategoriesNameKey = "categories_shop_id_name_key"
)

// --- shops ---

const catalogShopColumns = `s.id, s.name, s.currency, s.payment_method, s.provider_token,
	s.reservation_ttl_seconds, s.cart_reminder_seconds, s.review_request_days, s.blocked_at IS NOT NULL,
	s.created_by, s.created_at`

// scanShop reads a shop selected with catalogShopColumns (or orderShopColumns), and
// the columns after them into extra.
func scanShop(row pgx.Row, extra ...any) (catalog.Shop, error) {
	var (
		sh        catalog.Shop
		ttl, cart int
	)
	dest := append([]any{&sh.ID, &sh.Name, &sh.Currency, &sh.PaymentMethod, &sh.ProviderToken,
		&ttl, &cart, &sh.ReviewRequestDays, &sh.Blocked, &sh.CreatedBy, &sh.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return catalog.Shop{}, err
	}
	sh.ReservationTTL = time.Duration(ttl) * time.Second
	sh.CartReminder = time.Duration(cart) * time.Second
	return sh, nil
}

// catalogEnsureUser makes sure a users row exists for id, so staff and invites can refer to
// a person whatever order the adapters record them in.
func catalogEnsureUser(ctx context.Context, q querier, id core.UserID) error {
	if _, err := q.Exec(ctx, `INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, id); err != nil {
		return fmt.Errorf("ensure user %d: %w", id, err)
	}
	return nil
}

// CreateShop inserts sh and makes sh.CreatedBy its owner, in one transaction.
func (c *Catalog) CreateShop(ctx context.Context, sh catalog.Shop) (catalog.Shop, error) {
	var out catalog.Shop
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		if err := catalogEnsureUser(ctx, tx, sh.CreatedBy); err != nil {
			return err
		}
		var err error
		out, err = scanShop(tx.QueryRow(ctx, `
			INSERT INTO shops AS s (name, currency, payment_method, provider_token, reservation_ttl_seconds,
				cart_reminder_seconds, review_request_days, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING `+catalogShopColumns,
			sh.Name, sh.Currency, sh.PaymentMethod, sh.ProviderToken, int(sh.ReservationTTL/time.Second),
			int(sh.CartReminder/time.Second), sh.ReviewRequestDays, sh.CreatedBy))
		if err != nil {
			return fmt.Errorf("insert shop: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, $3)`,
			out.ID, sh.CreatedBy, catalog.RoleOwner)
		if err != nil {
			return fmt.Errorf("insert owner: %w", err)
		}
		return nil
	})
	return out, err
}

// Shop returns a shop; ErrShopNotFound.
func (c *Catalog) Shop(ctx context.Context, id core.ShopID) (catalog.Shop, error) {
	sh, err := scanShop(c.pool.QueryRow(ctx, `SELECT `+catalogShopColumns+` FROM shops s WHERE s.id = $1`, id))
	return sh, notFound(err, catalog.ErrShopNotFound)
}

// Shops lists shops by filter, newest first: only those not blocked unless
// f.WithBlocked.
func (c *Catalog) Shops(ctx context.Context, f catalog.ShopFilter) ([]catalog.Shop, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT `+catalogShopColumns+` FROM shops s
		WHERE ($1::boolean OR s.blocked_at IS NULL)
			AND (NOT $4::boolean OR EXISTS (SELECT 1 FROM products p JOIN variants v ON v.product_id = p.id
				WHERE p.shop_id = s.id AND p.archived_at IS NULL AND v.archived_at IS NULL AND v.on_hand > v.reserved))
		ORDER BY CASE WHEN $4::boolean THEN (SELECT count(*) FROM orders o
			WHERE o.shop_id = s.id AND o.paid_at > now() - interval '30 days') END DESC NULLS LAST, s.id DESC
		LIMIT $2 OFFSET $3`, f.WithBlocked, f.Limit, f.Offset, f.Selling)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Shop, error) { return scanShop(r) })
}

// UpdateShop locks the shop, runs update, and saves what it changed.
func (c *Catalog) UpdateShop(ctx context.Context, id core.ShopID, update func(sh *catalog.Shop, hasProducts bool) error) (catalog.Shop, error) {
	var out catalog.Shop
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		sh, err := scanShop(tx.QueryRow(ctx, `SELECT `+catalogShopColumns+` FROM shops s WHERE s.id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, catalog.ErrShopNotFound)
		}
		var hasProducts bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE shop_id = $1)`, id).Scan(&hasProducts); err != nil {
			return fmt.Errorf("count products: %w", err)
		}
		if err := update(&sh, hasProducts); err != nil {
			return err
		}
		out, err = scanShop(tx.QueryRow(ctx, `
			UPDATE shops AS s SET name = $2, currency = $3, payment_method = $4, provider_token = $5,
				reservation_ttl_seconds = $6,
				blocked_at = CASE WHEN $7::boolean THEN coalesce(s.blocked_at, now()) END,
				cart_reminder_seconds = $8, review_request_days = $9
			WHERE s.id = $1
			RETURNING `+catalogShopColumns,
			id, sh.Name, sh.Currency, sh.PaymentMethod, sh.ProviderToken, int(sh.ReservationTTL/time.Second), sh.Blocked,
			int(sh.CartReminder/time.Second), sh.ReviewRequestDays))
		if err != nil {
			return fmt.Errorf("update shop: %w", err)
		}
		return nil
	})
	return out, err
}

// --- staff ---

// Memberships lists the shops where user is staff, oldest first.
func (c *Catalog) Memberships(ctx context.Context, user core.UserID) ([]catalog.Membership, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT `+catalogShopColumns+`, st.role FROM shop_staff st JOIN shops s ON s.id = st.shop_id
		WHERE st.user_id = $1 ORDER BY s.id`, user)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Membership, error) {
		var m catalog.Membership
		var err error
		m.Shop, err = scanShop(r, &m.Role)
		return m, err
	})
}

// Staff lists a shop's staff, the owner first, then by when they joined.
func (c *Catalog) Staff(ctx context.Context, shop core.ShopID) ([]catalog.StaffMember, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT st.shop_id, st.user_id, st.role, u.first_name, u.username, st.added_at
		FROM shop_staff st JOIN users u ON u.id = st.user_id
		WHERE st.shop_id = $1
		ORDER BY st.role = 'owner' DESC, st.added_at, st.user_id`, shop)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.StaffMember, error) {
		var m catalog.StaffMember
		err := r.Scan(&m.ShopID, &m.UserID, &m.Role, &m.FirstName, &m.Username, &m.AddedAt)
		return m, err
	})
}

// RemoveManager removes user from shop's staff unless they are its owner.
func (c *Catalog) RemoveManager(ctx context.Context, shop core.ShopID, user core.UserID) error {
	_, err := c.pool.Exec(ctx, `DELETE FROM shop_staff WHERE shop_id = $1 AND user_id = $2 AND role = $3`,
		shop, user, catalog.RoleManager)
	return err
}

// CreateInvite stores an invitation.
func (c *Catalog) CreateInvite(ctx context.Context, inv catalog.Invite) error {
	return inTx(ctx, c.pool, func(tx pgx.Tx) error {
		if err := catalogEnsureUser(ctx, tx, inv.CreatedBy); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO staff_invites (token, shop_id, role, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5)`,
			inv.Token, inv.ShopID, inv.Role, inv.CreatedBy, inv.ExpiresAt)
		if isCode(err, foreignKeyViolation, "") {
			return catalog.ErrShopNotFound
		}
		return err
	})
}

// AcceptInvite locks the invite, lets decide whether to use it, and adds the user to
// the staff if so.
func (c *Catalog) AcceptInvite(ctx context.Context, token string, user core.UserID, decide func(inv catalog.Invite, current catalog.Role) (bool, error)) (catalog.Membership, error) {
	var m catalog.Membership
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		var inv catalog.Invite
		err := tx.QueryRow(ctx, `
			SELECT token, shop_id, role, expires_at, created_by, coalesce(used_by, 0)
			FROM staff_invites WHERE token = $1 FOR UPDATE`, token).
			Scan(&inv.Token, &inv.ShopID, &inv.Role, &inv.ExpiresAt, &inv.CreatedBy, &inv.UsedBy)
		if err != nil {
			return notFound(err, catalog.ErrInviteInvalid)
		}
		// The role is read in the transaction, after the invite's lock: a second
		// accept of the same invite waits here and sees the first one's staff row.
		current, err := staffRole(ctx, tx, inv.ShopID, user)
		if err != nil {
			return err
		}
		use, err := decide(inv, current)
		if err != nil {
			return err
		}
		if use {
			if err := catalogEnsureUser(ctx, tx, user); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE staff_invites SET used_by = $2, used_at = now() WHERE token = $1`, token, user); err != nil {
				return fmt.Errorf("use invite: %w", err)
			}
			_, err := tx.Exec(ctx, `
				INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, $3)
				ON CONFLICT (shop_id, user_id) DO NOTHING`, inv.ShopID, user, inv.Role)
			if err != nil {
				return fmt.Errorf("add staff: %w", err)
			}
		}
		m.Shop, err = scanShop(tx.QueryRow(ctx, `SELECT `+catalogShopColumns+` FROM shops s WHERE s.id = $1`, inv.ShopID))
		if err != nil {
			return notFound(err, catalog.ErrShopNotFound)
		}
		m.Role, err = staffRole(ctx, tx, inv.ShopID, user)
		if err == nil && m.Role == "" {
			return catalog.ErrInviteInvalid // decide let a non-member through without the invite
		}
		return err
	})
	return m, err
}

// --- pickup points and shipping options ---

// AddPickupPoint inserts p.
func (c *Catalog) AddPickupPoint(ctx context.Context, p catalog.PickupPoint) (catalog.PickupPoint, error) {
	err := c.pool.QueryRow(ctx, `
		INSERT INTO pickup_points (shop_id, name, address, hours) VALUES ($1, $2, $3, $4) RETURNING id`,
		p.ShopID, p.Name, p.Address, p.Hours).Scan(&p.ID)
	if isCode(err, foreignKeyViolation, "") {
		return catalog.PickupPoint{}, catalog.ErrShopNotFound
	}
	return p, err
}

// PickupPoint returns a pickup point, removed or not; ErrPickupPointNotFound.
func (c *Catalog) PickupPoint(ctx context.Context, id core.PickupPointID) (catalog.PickupPoint, error) {
	var p catalog.PickupPoint
	err := c.pool.QueryRow(ctx, `SELECT id, shop_id, name, address, hours FROM pickup_points WHERE id = $1`, id).
		Scan(&p.ID, &p.ShopID, &p.Name, &p.Address, &p.Hours)
	return p, notFound(err, catalog.ErrPickupPointNotFound)
}

// RemovePickupPoint archives a pickup point; archiving it again keeps the first time.
func (c *Catalog) RemovePickupPoint(ctx context.Context, id core.PickupPointID) error {
	_, err := c.pool.Exec(ctx, `UPDATE pickup_points SET archived_at = coalesce(archived_at, now()) WHERE id = $1`, id)
	return err
}

// PickupPoints lists a shop's pickup points that are not removed, oldest first.
func (c *Catalog) PickupPoints(ctx context.Context, shop core.ShopID) ([]catalog.PickupPoint, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT id, shop_id, name, address, hours FROM pickup_points
		WHERE shop_id = $1 AND archived_at IS NULL ORDER BY id`, shop)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.PickupPoint, error) {
		var p catalog.PickupPoint
		err := r.Scan(&p.ID, &p.ShopID, &p.Name, &p.Address, &p.Hours)
		return p, err
	})
}

// AddShippingOption inserts o; its price is in the shop's currency.
func (c *Catalog) AddShippingOption(ctx context.Context, o catalog.ShippingOption) (catalog.ShippingOption, error) {
	err := c.pool.QueryRow(ctx, `
		INSERT INTO shipping_options (shop_id, name, price) VALUES ($1, $2, $3) RETURNING id`,
		o.ShopID, o.Name, o.Price.Amount).Scan(&o.ID)
	if isCode(err, foreignKeyViolation, "") {
		return catalog.ShippingOption{}, catalog.ErrShopNotFound
	}
	return o, err
}

// shippingOptionSelect reads shipping options (alias o) with their shop's currency,
// for scanShippingOption.
const shippingOptionSelect = `
	SELECT o.id, o.shop_id, o.name, o.price, s.currency
	FROM shipping_options o JOIN shops s ON s.id = o.shop_id`

func scanShippingOption(row pgx.Row) (catalog.ShippingOption, error) {
	var o catalog.ShippingOption
	err := row.Scan(&o.ID, &o.ShopID, &o.Name, &o.Price.Amount, &o.Price.Currency)
	return o, err
}

// shippingOptions lists a shop's shipping options that are not removed, oldest first.
func shippingOptions(ctx context.Context, q querier, shop core.ShopID) ([]catalog.ShippingOption, error) {
	rows, err := q.Query(ctx, shippingOptionSelect+` WHERE o.shop_id = $1 AND o.archived_at IS NULL ORDER BY o.id`, shop)
	if err != nil {
		return nil, fmt.Errorf("shipping options of shop %d: %w", shop, err)
	}
	opts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.ShippingOption, error) { return scanShippingOption(r) })
	if err != nil {
		return nil, fmt.Errorf("shipping options of shop %d: %w", shop, err)
	}
	return opts, nil
}

// ShippingOption returns a shipping option, removed or not; ErrShippingOptionNotFound.
func (c *Catalog) ShippingOption(ctx context.Context, id core.ShippingOptionID) (catalog.ShippingOption, error) {
	o, err := scanShippingOption(c.pool.QueryRow(ctx, shippingOptionSelect+` WHERE o.id = $1`, id))
	return o, notFound(err, catalog.ErrShippingOptionNotFound)
}

// RemoveShippingOption archives a shipping option; archiving it again keeps the first time.
func (c *Catalog) RemoveShippingOption(ctx context.Context, id core.ShippingOptionID) error {
	_, err := c.pool.Exec(ctx, `UPDATE shipping_options SET archived_at = coalesce(archived_at, now()) WHERE id = $1`, id)
	return err
}

// ShippingOptions lists a shop's shipping options that are not removed, oldest first.
func (c *Catalog) ShippingOptions(ctx context.Context, shop core.ShopID) ([]catalog.ShippingOption, error) {
	return shippingOptions(ctx, c.pool, shop)
}

// --- categories ---

// CreateCategory inserts c after the shop's other categories; ErrCategoryTaken.
func (c *Catalog) CreateCategory(ctx context.Context, cat catalog.Category) (catalog.Category, error) {
	err := c.pool.QueryRow(ctx, `
		INSERT INTO categories (shop_id, name, position)
		VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM categories WHERE shop_id = $1))
		RETURNING id`, cat.ShopID, cat.Name).Scan(&cat.ID)
	switch {
	case isCode(err, uniqueViolation, catalogCategoriesNameKey):
		return catalog.Category{}, catalog.ErrCategoryTaken
	case isCode(err, foreignKeyViolation, ""):
		return catalog.Category{}, catalog.ErrShopNotFound
	}
	return cat, err
}

// Category returns a category; ErrCategoryNotFound.
func (c *Catalog) Category(ctx context.Context, id core.CategoryID) (catalog.Category, error) {
	var cat catalog.Category
	err := c.pool.QueryRow(ctx, `SELECT id, shop_id, name FROM categories WHERE id = $1`, id).
		Scan(&cat.ID, &cat.ShopID, &cat.Name)
	return cat, notFound(err, catalog.ErrCategoryNotFound)
}

// Categories lists a shop's categories by position.
func (c *Catalog) Categories(ctx context.Context, shop core.ShopID) ([]catalog.Category, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT id, shop_id, name FROM categories WHERE shop_id = $1 ORDER BY position, id`, shop)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Category, error) {
		var cat catalog.Category
		err := r.Scan(&cat.ID, &cat.ShopID, &cat.Name)
		return cat, err
	})
}

// --- products and variants ---

const catalogProductColumns = `p.id, p.shop_id, coalesce(p.category_id, 0), p.title, p.description, p.photos,
	p.archived_at IS NOT NULL, p.created_at`

func catalogScanProduct(row pgx.Row) (catalog.Product, error) {
	var p catalog.Product
	err := row.Scan(&p.ID, &p.ShopID, &p.CategoryID, &p.Title, &p.Description, &p.Photos, &p.Archived, &p.CreatedAt)
	return p, err
}

const catalogVariantColumns = `v.id, v.product_id, v.shop_id, v.sku, v.name, v.price, s.currency,
	v.on_hand, v.reserved, v.archived_at IS NOT NULL`

// catalogVariantFrom joins a variant with its shop, whose currency its price is in.
const catalogVariantFrom = ` FROM variants v JOIN shops s ON s.id = v.shop_id `

func catalogScanVariant(row pgx.Row) (catalog.Variant, error) {
	var v catalog.Variant
	err := row.Scan(&v.ID, &v.ProductID, &v.ShopID, &v.SKU, &v.Name, &v.Price.Amount, &v.Price.Currency,
		&v.OnHand, &v.Reserved, &v.Archived)
	return v, err
}

// catalogWithVariants loads the active variants of products, in their order.
func catalogWithVariants(ctx context.Context, q querier, products []catalog.Product) error {
	if len(products) == 0 {
		return nil
	}
	ids := make([]core.ProductID, len(products))
	at := make(map[core.ProductID]int, len(products))
	for i, p := range products {
		ids[i], at[p.ID] = p.ID, i
	}
	rows, err := q.Query(ctx, `SELECT `+catalogVariantColumns+catalogVariantFrom+`
		WHERE v.product_id = ANY($1) AND v.archived_at IS NULL
		ORDER BY v.product_id, v.position, v.id`, ids)
	if err != nil {
		return fmt.Errorf("load variants: %w", err)
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Variant, error) { return catalogScanVariant(r) })
	if err != nil {
		return fmt.Errorf("load variants: %w", err)
	}
	for _, v := range vs {
		p := &products[at[v.ProductID]]
		p.Variants = append(p.Variants, v)
	}
	return nil
}

// catalogProduct reads a product with its active variants, locking the product row when
// lock is set.
func catalogProduct(ctx context.Context, q querier, id core.ProductID, lock bool) (catalog.Product, error) {
	sql := `SELECT ` + catalogProductColumns + ` FROM products p WHERE p.id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	p, err := catalogScanProduct(q.QueryRow(ctx, sql, id))
	if err != nil {
		return catalog.Product{}, notFound(err, catalog.ErrProductNotFound)
	}
	ps := []catalog.Product{p}
	if err := catalogWithVariants(ctx, q, ps); err != nil {
		return catalog.Product{}, err
	}
	return ps[0], nil
}

// NewProductID reserves the next product id.
func (c *Catalog) NewProductID(ctx context.Context) (core.ProductID, error) {
	var id core.ProductID
	err := c.pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('products', 'id'))`).Scan(&id)
	return id, err
}

// CreateProduct inserts p with its variants and their opening stock as receipts, in
// one transaction. The shop row is share-locked so that its currency cannot change
// under the insert: the prices must still be in it (ErrWrongCurrency).
func (c *Catalog) CreateProduct(ctx context.Context, p catalog.Product, actor core.UserID) (catalog.Product, error) {
	var out catalog.Product
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		var cur core.Currency
		if err := tx.QueryRow(ctx, `SELECT currency FROM shops WHERE id = $1 FOR SHARE`, p.ShopID).Scan(&cur); err != nil {
			return notFound(err, catalog.ErrShopNotFound)
		}
		for _, v := range p.Variants {
			if v.Price.Currency != cur {
				return catalog.ErrWrongCurrency
			}
		}
		photos := p.Photos
		if photos == nil {
			photos = []string{}
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO products (id, shop_id, category_id, title, description, photos)
			VALUES ($1, $2, nullif($3, 0), $4, $5, $6)`,
			p.ID, p.ShopID, p.CategoryID, p.Title, p.Description, photos)
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		for i, v := range p.Variants {
			v.ProductID, v.ShopID = p.ID, p.ShopID
			if _, err := catalogInsertVariant(ctx, tx, v, i, actor); err != nil {
				return err
			}
		}
		out, err = catalogProduct(ctx, tx, p.ID, false)
		return err
	})
	return out, err
}

// catalogInsertVariant inserts v at position with v.OnHand as its opening stock, a receipt
// by actor; ErrSKUTaken.
func catalogInsertVariant(ctx context.Context, tx pgx.Tx, v catalog.Variant, position int, actor core.UserID) (core.VariantID, error) {
	var id core.VariantID
	err := tx.QueryRow(ctx, `
		INSERT INTO variants (product_id, shop_id, sku, name, price, on_hand, position)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		v.ProductID, v.ShopID, v.SKU, v.Name, v.Price.Amount, v.OnHand, position).Scan(&id)
	if isCode(err, uniqueViolation, catalogVariantsSKUKey) {
		return 0, catalog.ErrSKUTaken
	}
	if err != nil {
		return 0, fmt.Errorf("insert variant %s: %w", v.SKU, err)
	}
	if v.OnHand > 0 {
		m := catalog.Movement{VariantID: id, Kind: catalog.MoveReceipt, OnHandAfter: v.OnHand, ActorID: actor}
		if err := catalogInsertMovement(ctx, tx, m); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// catalogInsertMovement writes m to the stock ledger; a zero CreatedAt is the
// database's now().
func catalogInsertMovement(ctx context.Context, tx pgx.Tx, m catalog.Movement) error {
	var at any
	if !m.CreatedAt.IsZero() {
		at = m.CreatedAt
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before, reserved_after,
			actor_id, order_id, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, 0), nullif($8, 0), $9, coalesce($10, now()))`,
		m.VariantID, m.Kind, m.OnHandBefore, m.OnHandAfter, m.ReservedBefore, m.ReservedAfter,
		int64(m.ActorID), int64(m.OrderID), m.Note, at)
	if err != nil {
		return fmt.Errorf("insert %s movement: %w", m.Kind, err)
	}
	return nil
}

// Product returns a product with its active variants; ErrProductNotFound.
func (c *Catalog) Product(ctx context.Context, id core.ProductID) (catalog.Product, error) {
	return catalogProduct(ctx, c.pool, id, false)
}

// Products lists products by filter, newest first, with the count of all that match.
// A query matches every word of it against the products' words, stemmed the Russian
// way ("свечи" finds "Свеча") or as a prefix ("крос" finds "Кроссовки"), ё read as е;
// or a variant's exact SKU; the best matches first, the title weighing more. When no
// product matches every word, those matching any word or resembling the query in
// their title (a misspelling: "кросовки") are listed, the closest first.
func (c *Catalog) Products(ctx context.Context, f catalog.ProductFilter) ([]catalog.Product, int, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Archived {
		where = append(where, "p.archived_at IS NOT NULL")
	} else {
		where = append(where, "p.archived_at IS NULL")
	}
	if f.ShopID != 0 {
		where = append(where, "p.shop_id = "+arg(f.ShopID))
	} else {
		// The blocked shops are few, read once (an initplan): a join with
		// shops could read a search's index once per shop.
		where = append(where, "p.shop_id <> ALL (ARRAY(SELECT id FROM shops WHERE blocked_at IS NOT NULL))")
	}
	if f.CategoryID != nil {
		if *f.CategoryID == 0 {
			where = append(where, "p.category_id IS NULL")
		} else {
			where = append(where, "p.category_id = "+arg(*f.CategoryID))
		}
	}
	order := "p.id DESC"
	var fuzzy func() (cond, order string) // the search when nothing has every word
	if q := strings.TrimSpace(f.Query); q != "" {
		// The products with a variant of that SKU first, then every way a
		// product matches is a condition an index answers (a bitmap of each,
		// OR-ed): a subquery among them would read every product.
		var skus []int64
		rows, err := c.pool.Query(ctx, `SELECT product_id FROM variants WHERE sku = $1 AND archived_at IS NULL`, q)
		if err == nil {
			skus, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil {
			return nil, 0, fmt.Errorf("products of SKU: %w", err)
		}
		sku := "false"
		if len(skus) > 0 {
			sku = "p.id = ANY(" + arg(skus) + ")"
		}
		words := catalogQueryWords(q)
		if len(words) == 0 {
			where = append(where, sku)
		} else {
			terms := make([]string, len(words))
			for i, w := range words {
				a := arg(w)
				terms[i] = "(to_tsquery('russian', " + a + ") || to_tsquery('simple', " + a + " || ':*'))"
			}
			every, some := "("+strings.Join(terms, " && ")+")", "("+strings.Join(terms, " || ")+")"
			fuzzy = func() (string, string) {
				typed := arg(strings.Join(words, " "))
				return "(p.search @@ " + some + " OR " + typed + " <% " + catalogFoldedTitle + " OR " + sku + ")",
					"ts_rank(p.search, " + some + ") + word_similarity(" + typed + ", " + catalogFoldedTitle + ") DESC, p.id DESC"
			}
			where = append(where, "(p.search @@ "+every+" OR "+sku+")")
			order = "ts_rank(p.search, " + every + ") DESC, p.id DESC"
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM products p WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count products: %w", err)
	}
	if total == 0 && fuzzy != nil {
		// Nothing has every word: what has some, or looks like what was typed.
		where[len(where)-1], order = fuzzy()
		cond = strings.Join(where, " AND ")
		if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM products p WHERE `+cond, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count products: %w", err)
		}
	}
	if total == 0 {
		return nil, 0, nil
	}
	limit, offset := arg(f.Limit), arg(f.Offset)
	rows, err := c.pool.Query(ctx, `SELECT `+catalogProductColumns+` FROM products p WHERE `+cond+`
		ORDER BY `+order+` LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list products: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Product, error) { return catalogScanProduct(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list products: %w", err)
	}
	if err := catalogWithVariants(ctx, c.pool, ps); err != nil {
		return nil, 0, err
	}
	return ps, total, nil
}

// catalogFoldedTitle is a product's title as search compares it: lower case, ё as е
// (the expression of the index products_title_trgm).
const catalogFoldedTitle = "translate(lower(p.title), 'ё', 'е')"

// catalogMaxQueryWords bounds the words of a search, so a pasted page is not a query plan.
const catalogMaxQueryWords = 8

// catalogQueryWords are the words of what a shopper typed, as search compares them:
// runs of letters and digits (so nothing of tsquery's syntax gets through), lower
// case, ё as е; at most catalogMaxQueryWords.
func catalogQueryWords(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > catalogMaxQueryWords {
		words = words[:catalogMaxQueryWords]
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(strings.ToLower(w), "ё", "е")
	}
	return words
}

// UpdateProduct locks the product, runs update, and saves what it changed.
func (c *Catalog) UpdateProduct(ctx context.Context, id core.ProductID, update func(p *catalog.Product) error) (catalog.Product, error) {
	var out catalog.Product
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		p, err := catalogProduct(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := update(&p); err != nil {
			return err
		}
		photos := p.Photos
		if photos == nil {
			photos = []string{}
		}
		_, err = tx.Exec(ctx, `
			UPDATE products SET title = $2, description = $3, photos = $4, category_id = nullif($5, 0),
				archived_at = CASE WHEN $6::boolean THEN coalesce(archived_at, now()) END,
				updated_at = now()
			WHERE id = $1`,
			id, p.Title, p.Description, photos, p.CategoryID, p.Archived)
		if isCode(err, foreignKeyViolation, "") {
			return catalog.ErrCategoryNotFound
		}
		if err != nil {
			return fmt.Errorf("update product: %w", err)
		}
		out = p
		return nil
	})
	return out, err
}

// AddVariant locks the product, lets build make the variant, and inserts it after
// the product's other variants with its opening stock.
func (c *Catalog) AddVariant(ctx context.Context, productID core.ProductID, actor core.UserID, build func(p catalog.Product, count int) (catalog.Variant, error)) (catalog.Variant, error) {
	var out catalog.Variant
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		p, err := catalogProduct(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		var count, next int
		err = tx.QueryRow(ctx, `SELECT count(*), coalesce(max(position) + 1, 0) FROM variants WHERE product_id = $1`, productID).
			Scan(&count, &next)
		if err != nil {
			return fmt.Errorf("count variants: %w", err)
		}
		v, err := build(p, count)
		if err != nil {
			return err
		}
		v.ProductID, v.ShopID = p.ID, p.ShopID
		id, err := catalogInsertVariant(ctx, tx, v, next, actor)
		if err != nil {
			return err
		}
		out, err = catalogScanVariant(tx.QueryRow(ctx, `SELECT `+catalogVariantColumns+catalogVariantFrom+`WHERE v.id = $1`, id))
		return err
	})
	return out, err
}

// Variant returns a variant, archived or not; ErrVariantNotFound.
func (c *Catalog) Variant(ctx context.Context, id core.VariantID) (catalog.Variant, error) {
	v, err := catalogScanVariant(c.pool.QueryRow(ctx, `SELECT `+catalogVariantColumns+catalogVariantFrom+`WHERE v.id = $1`, id))
	return v, notFound(err, catalog.ErrVariantNotFound)
}

// catalogLockVariant reads a variant under a row lock (the shop row is not locked).
func catalogLockVariant(ctx context.Context, tx pgx.Tx, id core.VariantID) (catalog.Variant, error) {
	v, err := catalogScanVariant(tx.QueryRow(ctx, `SELECT `+catalogVariantColumns+catalogVariantFrom+`WHERE v.id = $1 FOR UPDATE OF v`, id))
	return v, notFound(err, catalog.ErrVariantNotFound)
}

// UpdateVariant locks the variant, runs update, and saves its name, SKU and price.
func (c *Catalog) UpdateVariant(ctx context.Context, id core.VariantID, update func(v *catalog.Variant) error) (catalog.Variant, error) {
	var out catalog.Variant
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		v, err := catalogLockVariant(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := update(&v); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE variants SET name = $2, sku = $3, price = $4 WHERE id = $1`,
			id, v.Name, v.SKU, v.Price.Amount)
		if isCode(err, uniqueViolation, catalogVariantsSKUKey) {
			return catalog.ErrSKUTaken
		}
		if err != nil {
			return fmt.Errorf("update variant: %w", err)
		}
		out = v
		return nil
	})
	return out, err
}

// --- stock ---

// AdjustStock locks the variant, asks change for the movement, and writes the new
// on-hand stock and the movement in one transaction.
func (c *Catalog) AdjustStock(ctx context.Context, id core.VariantID, change func(v catalog.Variant) (catalog.Movement, error)) (catalog.Variant, error) {
	var out catalog.Variant
	err := inTx(ctx, c.pool, func(tx pgx.Tx) error {
		v, err := catalogLockVariant(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := change(v)
		if err != nil {
			return err
		}
		m.VariantID = id
		if err := catalogSetStock(ctx, tx, id, v.Price.Amount, m.OnHandAfter); err != nil {
			return err
		}
		if err := catalogInsertMovement(ctx, tx, m); err != nil {
			return err
		}
		if err := restockJobs(ctx, tx, map[core.VariantID]int{id: m.OnHandAfter - v.OnHand}); err != nil {
			return err
		}
		v.OnHand = m.OnHandAfter
		out = v
		return nil
	})
	return out, err
}

// catalogSetStock writes a variant's price and on-hand stock. The schema refuses on hand
// below reserved, which the caller checked under the same lock; the check is a
// second line.
func catalogSetStock(ctx context.Context, tx pgx.Tx, id core.VariantID, price int64, onHand int) error {
	_, err := tx.Exec(ctx, `UPDATE variants SET price = $2, on_hand = $3 WHERE id = $1`, id, price, onHand)
	if isCode(err, checkViolation, "") {
		return catalog.ErrStockBelowZero
	}
	if err != nil {
		return fmt.Errorf("update stock of variant %d: %w", id, err)
	}
	return nil
}

// Movements returns a variant's ledger, newest first.
func (c *Catalog) Movements(ctx context.Context, id core.VariantID, limit int) ([]catalog.Movement, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT id, variant_id, kind, on_hand_before, on_hand_after, reserved_before, reserved_after,
			coalesce(actor_id, 0), coalesce(order_id, 0), note, created_at
		FROM stock_movements WHERE variant_id = $1 ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Movement, error) {
		var m catalog.Movement
		err := r.Scan(&m.ID, &m.VariantID, &m.Kind, &m.OnHandBefore, &m.OnHandAfter, &m.ReservedBefore, &m.ReservedAfter,
			&m.ActorID, &m.OrderID, &m.Note, &m.CreatedAt)
		return m, err
	})
}

// StockRows returns the shop's variants that are not archived, by product and position.
func (c *Catalog) StockRows(ctx context.Context, shop core.ShopID) ([]catalog.StockRow, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT v.id, v.sku, p.title, v.name, v.price, s.currency, v.on_hand, v.reserved
		FROM variants v JOIN products p ON p.id = v.product_id JOIN shops s ON s.id = v.shop_id
		WHERE v.shop_id = $1 AND v.archived_at IS NULL
		ORDER BY p.id, v.position, v.id`, shop)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.StockRow, error) {
		var s catalog.StockRow
		err := r.Scan(&s.VariantID, &s.SKU, &s.Product, &s.Variant, &s.Price.Amount, &s.Price.Currency, &s.OnHand, &s.Reserved)
		s.Available = s.OnHand - s.Reserved
		return s, err
	})
}

// ApplyImport locks the shop's active variants among ids in id order (so two imports,
// or an import and a checkout that lock in the same order, cannot deadlock), lets
// apply decide, and writes its StockWrites with their movements.
func (c *Catalog) ApplyImport(ctx context.Context, shop core.ShopID, ids []core.VariantID, apply func(locked map[core.VariantID]catalog.Variant) ([]catalog.StockWrite, error)) error {
	return inTx(ctx, c.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+catalogVariantColumns+catalogVariantFrom+`
			WHERE v.shop_id = $1 AND v.id = ANY($2) AND v.archived_at IS NULL
			ORDER BY v.id FOR UPDATE OF v`, shop, ids)
		if err != nil {
			return fmt.Errorf("lock variants: %w", err)
		}
		vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Variant, error) { return catalogScanVariant(r) })
		if err != nil {
			return fmt.Errorf("lock variants: %w", err)
		}
		locked := make(map[core.VariantID]catalog.Variant, len(vs))
		for _, v := range vs {
			locked[v.ID] = v
		}
		writes, err := apply(locked)
		if err != nil {
			return err
		}
		gained := make(map[core.VariantID]int, len(writes))
		for _, w := range writes {
			before, ok := locked[w.VariantID]
			if !ok {
				return fmt.Errorf("import writes variant %d it did not lock", w.VariantID)
			}
			gained[w.VariantID] = w.OnHand - before.OnHand
			if err := catalogSetStock(ctx, tx, w.VariantID, w.Price.Amount, w.OnHand); err != nil {
				return err
			}
			if w.Movement != nil {
				m := *w.Movement
				m.VariantID = w.VariantID
				if err := catalogInsertMovement(ctx, tx, m); err != nil {
					return err
				}
			}
		}
		return restockJobs(ctx, tx, gained)
	})
}
