package telegram

import (
	"context"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// ForStaff adapts fn to the callback "<verb>:<shop>" of a screen for the shop's
// staff: fn gets the shop and the person's role; anyone else gets
// catalog.ErrNotStaff (staffShop).
func (b *Bot) ForStaff(fn func(ctx context.Context, r *Request, shop catalog.Shop, role catalog.Role) error) CallbackFunc {
	return WithID(func(ctx context.Context, r *Request, id core.ShopID) error {
		shop, role, err := b.StaffShop(ctx, r, id)
		if err != nil {
			return err
		}
		return fn(ctx, r, shop, role)
	})
}

// ForOwner adapts fn to the callback "<verb>:<shop>" of a screen for the shop's
// owner: catalog.ErrNotStaff, ErrNotOwner for anyone else (ownerShop).
func (b *Bot) ForOwner(fn func(ctx context.Context, r *Request, shop catalog.Shop) error) CallbackFunc {
	return WithID(func(ctx context.Context, r *Request, id core.ShopID) error {
		shop, err := b.OwnerShop(ctx, r, id)
		if err != nil {
			return err
		}
		return fn(ctx, r, shop)
	})
}

// StaffShop returns a shop and the person's role in it. catalog.ErrNotStaff when
// they are not its staff, also for a shop that does not exist, so ids cannot be
// probed.
func (b *Bot) StaffShop(ctx context.Context, r *Request, id core.ShopID) (catalog.Shop, catalog.Role, error) {
	role, err := b.catalog.Role(ctx, id, r.UserID())
	if err != nil {
		return catalog.Shop{}, "", err
	}
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return catalog.Shop{}, "", err
	}
	return shop, role, nil
}

// OwnerShop returns a shop its owner manages; catalog.ErrNotStaff, ErrNotOwner.
func (b *Bot) OwnerShop(ctx context.Context, r *Request, id core.ShopID) (catalog.Shop, error) {
	shop, role, err := b.StaffShop(ctx, r, id)
	if err != nil {
		return catalog.Shop{}, err
	}
	if role != catalog.RoleOwner {
		return catalog.Shop{}, catalog.ErrNotOwner
	}
	return shop, nil
}

// OpenShop returns a shop a shopper may browse: ErrShopNotFound, ErrShopBlocked.
func (b *Bot) OpenShop(ctx context.Context, id core.ShopID) (catalog.Shop, error) {
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return catalog.Shop{}, err
	}
	if shop.Blocked {
		return catalog.Shop{}, catalog.ErrShopBlocked
	}
	return shop, nil
}

// ProductPrice is a product's price, or the range of its variants' prices.
func ProductPrice(lang string, p catalog.Product) string {
	if len(p.Variants) == 0 {
		return ""
	}
	lo, hi := p.Variants[0].Price, p.Variants[0].Price
	for _, v := range p.Variants[1:] {
		if v.Price.Amount < lo.Amount {
			lo = v.Price
		}
		if v.Price.Amount > hi.Amount {
			hi = v.Price
		}
	}
	return formatPriceRange(lang, lo, hi)
}

// ShopperProduct returns a product a shopper may see: errProductGone when it is
// archived, deleted or has nothing to sell; ErrShopBlocked.
func (b *Bot) ShopperProduct(ctx context.Context, id core.ProductID) (catalog.Product, catalog.Shop, error) {
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return catalog.Product{}, catalog.Shop{}, ErrProductGone
		}
		return catalog.Product{}, catalog.Shop{}, err
	}
	if p.Archived || len(p.Variants) == 0 {
		return catalog.Product{}, catalog.Shop{}, ErrProductGone
	}
	shop, err := b.OpenShop(ctx, p.ShopID)
	if err != nil {
		return catalog.Product{}, catalog.Shop{}, err
	}
	return p, shop, nil
}
