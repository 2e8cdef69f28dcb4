// Package catalog holds shops, their staff and settings, products, variants and
// stock: what a seller manages from the admin menu and what a shopper browses.
package catalog

import (
	"context"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// PaymentMethod is how a shop takes money.
type PaymentMethod string

const (
	PayStars PaymentMethod = "stars" // Telegram Stars (XTR); no provider
	PayCard  PaymentMethod = "card"  // a card provider connected in BotFather
)

// Shop is a seller's storefront.
type Shop struct {
	ID             core.ShopID
	Name           string
	Currency       core.Currency
	PaymentMethod  PaymentMethod
	ProviderToken  string // the shop's own card provider token; "" = platform default. A secret: never log it.
	ReservationTTL time.Duration
	// CartReminder is how long after a shopper last changed their cart they are
	// reminded of it, if they did not order; 0: never (the default).
	CartReminder time.Duration
	// ReviewRequestDays is how many days after an order is completed its buyer is
	// asked for a review; 0: never.
	ReviewRequestDays int
	Blocked           bool
	CreatedBy         core.UserID
	CreatedAt         time.Time
}

// Role is a staff member's role in a shop. The roles, and who may do what with
// them, are core/shop's; the names stay here for the catalog's callers.
type Role = shop.Role

const (
	RoleOwner   = shop.RoleOwner   // everything, including staff and settings
	RoleManager = shop.RoleManager // products, stock and orders
)

// StaffMember is a person working for a shop.
type StaffMember struct {
	ShopID    core.ShopID
	UserID    core.UserID
	Role      Role
	FirstName string
	Username  string
	AddedAt   time.Time
}

// Membership is a shop together with the viewer's role in it.
type Membership struct {
	Shop Shop
	Role Role
}

// NewShop is what /sell asks for.
type NewShop struct {
	Name          string
	Currency      core.Currency
	PaymentMethod PaymentMethod
	// ProviderToken is the shop's own card provider token. A card shop without one
	// must choose the platform's provider with PlatformProvider.
	ProviderToken string
	// PlatformProvider makes a card shop take payments through the platform's
	// default provider: the shop keeps no token (Shop.ProviderToken ""), so the
	// invoice uses whatever the platform's token is when the buyer pays. It is a
	// choice the seller makes, not a fallback: ProviderToken must be empty.
	PlatformProvider bool
}

// ShopSettings changes a shop's settings; nil fields stay as they are.
type ShopSettings struct {
	Name          *string
	Currency      *core.Currency // only while the shop has no products
	PaymentMethod *PaymentMethod
	ProviderToken *string // the shop's own token; "" only together with PlatformProvider
	// PlatformProvider drops the shop's own token: card payments go through the
	// platform's default provider (see NewShop). false changes nothing.
	PlatformProvider  bool
	ReservationTTL    *time.Duration
	CartReminder      *time.Duration // 0: off; else MinCartReminder to MaxCartReminder
	ReviewRequestDays *int           // 0: off; else 1 to MaxReviewRequestDays
}

// ShopFilter selects shops for a listing, newest first.
type ShopFilter struct {
	WithBlocked bool // list blocked shops too; otherwise only the ones shoppers see
	// Selling lists only the shops with something in stock to sell, the
	// ones that sold most in the last 30 days first (a shopper's list).
	Selling bool
	Limit   int
	Offset  int
}

// Invite is a one-time invitation to join a shop's staff, opened by a deep link.
type Invite struct {
	Token     string
	ShopID    core.ShopID
	Role      Role
	ExpiresAt time.Time
	CreatedBy core.UserID
	UsedBy    core.UserID // 0: not used yet
}

// Category groups a shop's products.
type Category struct {
	ID     core.CategoryID
	ShopID core.ShopID
	Name   string
}

// Product is something a shop sells, in one or more variants.
type Product struct {
	ID          core.ProductID
	ShopID      core.ShopID
	CategoryID  core.CategoryID // 0: none
	Title       string
	Description string
	Photos      []string // Telegram file ids; the first is the cover
	Archived    bool
	Variants    []Variant // active variants, in their order
	CreatedAt   time.Time
}

// Variant is what is sold and stocked: a size, a colour. Every product has at least one.
type Variant struct {
	ID        core.VariantID
	ProductID core.ProductID
	ShopID    core.ShopID
	SKU       string
	Name      string // "" for a product's only variant
	Price     core.Money
	OnHand    int
	Reserved  int
	Archived  bool
}

// Available is the stock a shopper can still buy.
func (v Variant) Available() int { return v.OnHand - v.Reserved }

// NewProduct is what the add-product conversation collects.
type NewProduct struct {
	ShopID      core.ShopID
	CategoryID  core.CategoryID
	Title       string
	Description string
	Photos      []string
	Variants    []NewVariant
}

// NewVariant is one variant of a new product. An empty SKU is generated.
type NewVariant struct {
	Name  string
	SKU   string
	Price core.Money
	Stock int
}

// ProductUpdate changes a product; nil fields stay as they are.
type ProductUpdate struct {
	Title       *string
	Description *string
	Photos      *[]string
	CategoryID  *core.CategoryID
}

// VariantUpdate changes a variant; nil fields stay as they are.
type VariantUpdate struct {
	Name  *string
	SKU   *string
	Price *core.Money
}

// ProductFilter selects products. Query matches words of the title and description.
type ProductFilter struct {
	ShopID     core.ShopID // 0: every shop that is not blocked
	CategoryID *core.CategoryID
	Query      string
	Archived   bool // list archived products instead of active ones
	Limit      int  // default 10, at most 50
	Offset     int
}

// MovementKind says why stock changed.
type MovementKind string

const (
	MoveReceipt     MovementKind = "receipt"     // goods arrived
	MoveCorrection  MovementKind = "correction"  // a count was wrong
	MoveWriteOff    MovementKind = "writeoff"    // damaged, lost
	MoveReservation MovementKind = "reservation" // held for a checkout
	MoveRelease     MovementKind = "release"     // a reservation ended unpaid
	MoveSale        MovementKind = "sale"        // paid
	MoveReturn      MovementKind = "return"      // a paid order was cancelled
	MoveImport      MovementKind = "import"      // bulk file
)

// Movement is one entry in the stock ledger.
type Movement struct {
	ID             int64
	VariantID      core.VariantID
	Kind           MovementKind
	OnHandBefore   int
	OnHandAfter    int
	ReservedBefore int
	ReservedAfter  int
	ActorID        core.UserID // 0: the system
	OrderID        core.OrderID
	Note           string
	CreatedAt      time.Time
}

// PickupPoint is a place where shoppers collect orders.
type PickupPoint struct {
	ID      core.PickupPointID
	ShopID  core.ShopID
	Name    string
	Address string
	Hours   string
}

// ShippingOption is a way to ship, with its price in the shop's currency.
type ShippingOption struct {
	ID     core.ShippingOptionID
	ShopID core.ShopID
	Name   string
	Price  core.Money
}

// Limits of what a seller may enter. The schema enforces the ones it can as well.
const (
	MaxStock              = 1_000_000 // on-hand stock of one variant
	MaxPhotos             = 10
	MaxVariants           = 50 // active variants of one product
	MaxImportRows         = 10_000
	InviteTTL             = 7 * 24 * time.Hour
	DefaultReservationTTL = 15 * time.Minute // a new shop's reservation time
	MinReservationTTL     = time.Minute
	MaxReservationTTL     = 24 * time.Hour

	MinCartReminder          = time.Hour
	MaxCartReminder          = 7 * 24 * time.Hour
	DefaultReviewRequestDays = 3 // a new shop asks for reviews 3 days after completion
	MaxReviewRequestDays     = 60
)

// Errors the bot explains to people in their language.
var (
	ErrNotStaff        = shop.ErrNotStaff    // the same value: errors.Is matches either name
	ErrNotOwner        = shop.ErrNotOwner    // the same value
	ErrNotOperator     = shop.ErrNotOperator // the same value
	ErrShopNotFound    = &core.Error{Code: core.ENOTFOUND, Message: "shop not found"}
	ErrShopBlocked     = &core.Error{Code: core.ECONFLICT, Message: "the shop is blocked"}
	ErrShopName        = &core.Error{Code: core.EINVALID, Message: "a shop name is 1 to 64 characters"}
	ErrStarsCurrency   = &core.Error{Code: core.EINVALID, Message: "a shop paid in Stars sells in XTR"}
	ErrNoProvider      = &core.Error{Code: core.EINVALID, Message: "card payments need a provider token"}
	ErrProviderChoice  = &core.Error{Code: core.EINVALID, Message: "choose either your own provider token or the platform's provider"}
	ErrStarsShipping   = &core.Error{Code: core.ECONFLICT, Message: "a shop paid in Stars cannot ship: Telegram ignores shipping for Stars invoices"}
	ErrProductNotFound = &core.Error{Code: core.ENOTFOUND, Message: "product not found"}
	ErrVariantNotFound = &core.Error{Code: core.ENOTFOUND, Message: "variant not found"}
	ErrTitle           = &core.Error{Code: core.EINVALID, Message: "a title is 1 to 128 characters"}
	ErrDescription     = &core.Error{Code: core.EINVALID, Message: "a description is at most 1000 characters"}
	ErrNoVariants      = &core.Error{Code: core.EINVALID, Message: "a product needs at least one variant"}
	ErrTooManyPhotos   = &core.Error{Code: core.EINVALID, Message: "at most 10 photos"}
	ErrSKUTaken        = &core.Error{Code: core.ECONFLICT, Message: "this SKU is already used in the shop"}
	ErrSKU             = &core.Error{Code: core.EINVALID, Message: "a SKU is 1 to 64 letters, digits, '-', '_' or '.'"}
	ErrQuantity        = &core.Error{Code: core.EINVALID, Message: "a quantity is a whole number from 0 to 1000000"}
	ErrStockBelowZero  = &core.Error{Code: core.ECONFLICT, Message: "stock cannot go below what is reserved"}
	ErrWrongCurrency   = &core.Error{Code: core.EINVALID, Message: "prices are in the shop's currency"}
	ErrInviteInvalid   = &core.Error{Code: core.ENOTFOUND, Message: "this invitation is used or expired"}
	ErrLastOwner       = &core.Error{Code: core.ECONFLICT, Message: "the owner cannot be removed"}
	ErrCategoryName    = &core.Error{Code: core.EINVALID, Message: "a category name is 1 to 64 characters"}
	ErrReservationTTL  = &core.Error{Code: core.EINVALID, Message: "the reservation time is 1 minute to 24 hours"}
	ErrCartReminder    = &core.Error{Code: core.EINVALID, Message: "an abandoned cart is recalled after 1 hour to 7 days, or never"}
	ErrReviewRequest   = &core.Error{Code: core.EINVALID, Message: "a review is asked for 1 to 60 days after completion, or never"}

	ErrPaymentMethod          = &core.Error{Code: core.EINVALID, Message: "choose Stars or a card provider"}
	ErrCardCurrency           = &core.Error{Code: core.EINVALID, Message: "card payments cannot be in Stars (XTR)"}
	ErrCurrencyLocked         = &core.Error{Code: core.ECONFLICT, Message: "the currency can change only while the shop has no products"}
	ErrCategoryNotFound       = &core.Error{Code: core.ENOTFOUND, Message: "category not found"}
	ErrCategoryTaken          = &core.Error{Code: core.ECONFLICT, Message: "the shop already has a category with this name"}
	ErrPhoto                  = &core.Error{Code: core.EINVALID, Message: "a photo is missing"}
	ErrVariantName            = &core.Error{Code: core.EINVALID, Message: "each variant of a product with several needs its own name, up to 64 characters"}
	ErrTooManyVariants        = &core.Error{Code: core.EINVALID, Message: "at most 50 variants"}
	ErrAdjustKind             = &core.Error{Code: core.EINVALID, Message: "a receipt adds stock, a write-off removes it, a correction does either"}
	ErrNote                   = &core.Error{Code: core.EINVALID, Message: "a note is at most 500 characters"}
	ErrPickupPoint            = &core.Error{Code: core.EINVALID, Message: "a pickup point needs a name (up to 64 characters), an address (up to 256) and hours (up to 128)"}
	ErrPickupPointNotFound    = &core.Error{Code: core.ENOTFOUND, Message: "pickup point not found"}
	ErrShippingOption         = &core.Error{Code: core.EINVALID, Message: "a shipping option needs a name of up to 64 characters"}
	ErrShippingOptionNotFound = &core.Error{Code: core.ENOTFOUND, Message: "shipping option not found"}
)

// Service is the catalog's rules. Every change takes the acting user and checks
// their role in the shop: staff (owner or manager) for products, stock, pickup points
// and shipping options; the owner for settings and staff; operators for blocking.
type Service struct {
	store     Store
	clock     core.Clock
	operators shop.Operators
}

// NewService returns a Service. operators are the platform operators
// (VITRINA_ADMIN_IDS): they may block and unblock shops.
func NewService(store Store, clock core.Clock, operators []core.UserID) *Service {
	return &Service{store: store, clock: clock, operators: shop.NewOperators(operators)}
}

// IsOperator reports whether id is a platform operator.
func (s *Service) IsOperator(id core.UserID) bool { return s.operators.Is(id) }

// StockWrite is one variant change of a bulk import: its new price and on-hand
// stock, and the ledger movement when the stock changes (nil when only the price does).
type StockWrite struct {
	VariantID core.VariantID
	Price     core.Money
	OnHand    int
	Movement  *Movement
}

// Store is what the catalog needs from storage. Implemented by core/postgres.
//
// Reads return the not-found error of their kind (ErrShopNotFound, ErrProductNotFound,
// ...). Methods taking a closure lock the rows they pass to it (SELECT ... FOR
// UPDATE) in one transaction, run it, and write what it decided; an error from the
// closure rolls everything back and is returned as is.
type Store interface {
	// CreateShop inserts sh and makes sh.CreatedBy its owner.
	CreateShop(ctx context.Context, sh Shop) (Shop, error)
	Shop(ctx context.Context, id core.ShopID) (Shop, error)
	// Shops lists shops by filter, newest first; f.Limit is set.
	Shops(ctx context.Context, f ShopFilter) ([]Shop, error)
	// UpdateShop locks the shop, tells update whether it has any product (archived
	// ones included), and saves the name, currency, payment method, provider token,
	// reservation time and blocked flag update left in sh.
	UpdateShop(ctx context.Context, id core.ShopID, update func(sh *Shop, hasProducts bool) error) (Shop, error)

	Memberships(ctx context.Context, user core.UserID) ([]Membership, error)
	// Role returns user's role in a shop, "" if none (postgres.Roles).
	shop.Roles
	Staff(ctx context.Context, shop core.ShopID) ([]StaffMember, error)
	RemoveManager(ctx context.Context, shop core.ShopID, user core.UserID) error
	CreateInvite(ctx context.Context, inv Invite) error
	// AcceptInvite locks the invite (ErrInviteInvalid if there is none with token),
	// asks decide with user's current role in its shop ("" if none), and when decide
	// says so marks it used by user and adds user to the staff with the invite's role.
	// It returns the shop and user's role afterwards.
	AcceptInvite(ctx context.Context, token string, user core.UserID, decide func(inv Invite, current Role) (use bool, err error)) (Membership, error)

	AddPickupPoint(ctx context.Context, p PickupPoint) (PickupPoint, error)
	// PickupPoint returns a pickup point, removed or not.
	PickupPoint(ctx context.Context, id core.PickupPointID) (PickupPoint, error)
	RemovePickupPoint(ctx context.Context, id core.PickupPointID) error
	PickupPoints(ctx context.Context, shop core.ShopID) ([]PickupPoint, error)
	AddShippingOption(ctx context.Context, o ShippingOption) (ShippingOption, error)
	// ShippingOption returns a shipping option, removed or not.
	ShippingOption(ctx context.Context, id core.ShippingOptionID) (ShippingOption, error)
	RemoveShippingOption(ctx context.Context, id core.ShippingOptionID) error
	ShippingOptions(ctx context.Context, shop core.ShopID) ([]ShippingOption, error)

	// CreateCategory returns ErrCategoryTaken for a name the shop already has.
	CreateCategory(ctx context.Context, c Category) (Category, error)
	Category(ctx context.Context, id core.CategoryID) (Category, error)
	Categories(ctx context.Context, shop core.ShopID) ([]Category, error)

	// NewProductID reserves the id of a product about to be created, so its
	// generated SKUs can be derived from it.
	NewProductID(ctx context.Context) (core.ProductID, error)
	// CreateProduct inserts p (with p.ID from NewProductID) and its variants, each
	// variant's OnHand its opening stock written as a receipt by actor, in one
	// transaction. ErrSKUTaken; ErrWrongCurrency if the shop's currency is no longer
	// the prices' currency.
	CreateProduct(ctx context.Context, p Product, actor core.UserID) (Product, error)
	Product(ctx context.Context, id core.ProductID) (Product, error)
	// Products lists products by filter, newest first, and counts all that match.
	Products(ctx context.Context, f ProductFilter) ([]Product, int, error)
	// UpdateProduct saves the title, description, photos, category and archived flag.
	UpdateProduct(ctx context.Context, id core.ProductID, update func(p *Product) error) (Product, error)
	// AddVariant locks the product, asks build for the new variant given the product
	// and how many variants it ever had, and inserts it after the others, its OnHand
	// a receipt by actor. ErrSKUTaken.
	AddVariant(ctx context.Context, product core.ProductID, actor core.UserID, build func(p Product, count int) (Variant, error)) (Variant, error)
	// Variant returns a variant, archived or not.
	Variant(ctx context.Context, id core.VariantID) (Variant, error)

	// SubscribeRestock records a subscription; one that exists stays as it is.
	SubscribeRestock(ctx context.Context, sub RestockSubscription) error
	UnsubscribeRestock(ctx context.Context, user core.UserID, v core.VariantID) error
	RestockSubscribed(ctx context.Context, user core.UserID, v core.VariantID) (bool, error)
	// RestockSubscribers returns up to limit subscribers of v, oldest first, and
	// whether there are more.
	RestockSubscribers(ctx context.Context, v core.VariantID, limit int) ([]RestockSubscription, bool, error)
	// DeleteRestockSubscriptions deletes subscriptions matching user, variant and
	// creation time.
	DeleteRestockSubscriptions(ctx context.Context, subs []RestockSubscription) error
	// UpdateVariant saves the name, SKU and price. ErrSKUTaken.
	UpdateVariant(ctx context.Context, id core.VariantID, update func(v *Variant) error) (Variant, error)

	// AdjustStock locks the variant, asks change for the movement, and sets on_hand
	// to its OnHandAfter and writes it to the ledger, in one transaction.
	AdjustStock(ctx context.Context, id core.VariantID, change func(v Variant) (Movement, error)) (Variant, error)
	// Movements returns a variant's ledger, newest first.
	Movements(ctx context.Context, id core.VariantID, limit int) ([]Movement, error)
	// StockRows returns every variant of the shop that is not archived (of archived
	// products too), by product and position.
	StockRows(ctx context.Context, shop core.ShopID) ([]StockRow, error)
	// ApplyImport locks the shop's variants among ids that are not archived, in id
	// order, passes them to apply, and writes the StockWrites it returns, in one
	// transaction.
	ApplyImport(ctx context.Context, shop core.ShopID, ids []core.VariantID, apply func(locked map[core.VariantID]Variant) ([]StockWrite, error)) error
}
