package core

// UserID is a Telegram user id. Vitrina has no accounts of its own: a person is who
// Telegram says they are.
type UserID int64

// Typed ids of Vitrina's records, so that a product id is never passed where an order
// id is wanted.
type (
	ShopID           int64
	CategoryID       int64
	ProductID        int64
	VariantID        int64
	OrderID          int64
	PaymentID        int64
	PickupPointID    int64
	ShippingOptionID int64
	// LotID is a lot of a live drop (core/live): orders name the lot they
	// came from.
	LotID int64
	// GroupBuyID is a group buy (core/groupbuy): orders name the purchase
	// they pay a place of.
	GroupBuyID int64
	// TeamID is a team buy (core/teambuy): orders name the team they are
	// part of.
	TeamID int64
)
