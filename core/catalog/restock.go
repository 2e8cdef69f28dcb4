package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// Back in stock: a shopper taps "notify me" on a sold-out variant; when its available
// stock comes back from zero, the store writes JobRestock in the transaction of the
// change (an adjustment, an import, a reservation released), and its handler tells the
// oldest subscribers, as many as there are units plus a margin, the rest later.

// JobRestock tells the subscribers of a variant that it is back (payload
// RestockPayload, key "stock:restock:<variant>").
const JobRestock = "stock:restock"

// RestockPayload names the variant of JobRestock.
type RestockPayload struct {
	VariantID core.VariantID `json:"variant_id"`
}

// RestockJob is the job that tells the subscribers of variant v it is back.
func RestockJob(v core.VariantID) core.Job {
	payload, _ := json.Marshal(RestockPayload{VariantID: v}) // an int always encodes
	return core.Job{Kind: JobRestock, Key: JobRestock + ":" + strconv.FormatInt(int64(v), 10), Payload: payload}
}

// RestockSubscription is a shopper waiting for a variant to be back in stock.
type RestockSubscription struct {
	UserID    core.UserID
	VariantID core.VariantID
	CreatedAt time.Time
}

// RestockBatch is who to tell now that a variant is back.
type RestockBatch struct {
	Product Product // the variant's product, with its active variants
	Variant Variant
	// Subscribers are the oldest subscribers, as many as the available units plus a
	// margin (RestockCount); none when the variant is not for sale.
	Subscribers []RestockSubscription
	// More says others wait after them.
	More bool
}

// ErrInStock refuses a "notify me" for a variant a shopper can buy now.
var ErrInStock = &core.Error{Code: core.ECONFLICT, Message: "it is in stock now"}

// RestockCount is how many subscribers are told when units are available: more than
// the units, since some will not buy, but not everyone, who could not all buy.
func RestockCount(units int) int {
	if units <= 0 {
		return 0
	}
	return units + max(2, units/5)
}

// SubscribeRestock has user told when variant v is back in stock; subscribing again
// changes nothing (the subscriber keeps their place). ErrVariantNotFound (also for
// an archived variant or product), ErrShopBlocked, ErrInStock when it can be bought
// now.
func (s *Service) SubscribeRestock(ctx context.Context, user core.UserID, v core.VariantID) error {
	p, vr, err := s.restockVariant(ctx, v)
	if err != nil {
		return fmt.Errorf("notify of variant %d: %w", v, err)
	}
	if shop, err := s.store.Shop(ctx, p.ShopID); err != nil {
		return fmt.Errorf("notify of variant %d: %w", v, err)
	} else if shop.Blocked {
		return ErrShopBlocked
	}
	if vr.Available() > 0 {
		return ErrInStock
	}
	sub := RestockSubscription{UserID: user, VariantID: v, CreatedAt: s.clock.Now().Truncate(time.Microsecond)}
	if err := s.store.SubscribeRestock(ctx, sub); err != nil {
		return fmt.Errorf("notify of variant %d: %w", v, err)
	}
	return nil
}

// UnsubscribeRestock stops waiting for variant v; nothing if user was not waiting.
func (s *Service) UnsubscribeRestock(ctx context.Context, user core.UserID, v core.VariantID) error {
	if err := s.store.UnsubscribeRestock(ctx, user, v); err != nil {
		return fmt.Errorf("stop notifying of variant %d: %w", v, err)
	}
	return nil
}

// RestockSubscribed says whether user waits for variant v.
func (s *Service) RestockSubscribed(ctx context.Context, user core.UserID, v core.VariantID) (bool, error) {
	ok, err := s.store.RestockSubscribed(ctx, user, v)
	if err != nil {
		return false, fmt.Errorf("subscription to variant %d: %w", v, err)
	}
	return ok, nil
}

// RestockBatch returns who to tell now that variant v is back: its oldest
// subscribers, RestockCount of the units available now. None when nothing is
// available, or the variant, its product or its shop is no longer for sale.
// ErrVariantNotFound for a variant deleted.
func (s *Service) RestockBatch(ctx context.Context, v core.VariantID) (RestockBatch, error) {
	p, vr, err := s.restockVariant(ctx, v)
	if core.ErrorCode(err) == core.ENOTFOUND && p.ID != 0 {
		return RestockBatch{Product: p, Variant: vr}, nil // archived: nobody to tell
	}
	if err != nil {
		return RestockBatch{}, fmt.Errorf("restock of variant %d: %w", v, err)
	}
	b := RestockBatch{Product: p, Variant: vr}
	shop, err := s.store.Shop(ctx, p.ShopID)
	if err != nil {
		return RestockBatch{}, fmt.Errorf("restock of variant %d: %w", v, err)
	}
	n := RestockCount(vr.Available())
	if n == 0 || shop.Blocked {
		return b, nil
	}
	if b.Subscribers, b.More, err = s.store.RestockSubscribers(ctx, v, n); err != nil {
		return RestockBatch{}, fmt.Errorf("restock of variant %d: %w", v, err)
	}
	return b, nil
}

// RestockNotified removes the subscriptions whose subscribers were told. A
// subscription made again since (a later CreatedAt) stays.
func (s *Service) RestockNotified(ctx context.Context, subs []RestockSubscription) error {
	if len(subs) == 0 {
		return nil
	}
	if err := s.store.DeleteRestockSubscriptions(ctx, subs); err != nil {
		return fmt.Errorf("remove restock subscriptions: %w", err)
	}
	return nil
}

// restockVariant returns variant v with its product. ErrVariantNotFound, with the
// product and variant, when either is archived.
func (s *Service) restockVariant(ctx context.Context, v core.VariantID) (Product, Variant, error) {
	vr, err := s.store.Variant(ctx, v)
	if err != nil {
		return Product{}, Variant{}, err
	}
	p, err := s.store.Product(ctx, vr.ProductID)
	if err != nil {
		return Product{}, Variant{}, err
	}
	if p.Archived || vr.Archived {
		return p, vr, ErrVariantNotFound
	}
	return p, vr, nil
}
