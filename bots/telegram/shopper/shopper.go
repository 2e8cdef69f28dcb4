package shopper

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/vitrina-shop/vitrina/core"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// shopperRoutes registers the shopper's commands, buttons and conversations.
func (b *Feature) shopperRoutes(r *telegram.Router) {
	r.Command("start", b.cmdStart, "cmd_start")
	r.Command("search", b.cmdSearch, "cmd_search")
	r.Command("cart", b.cmdCart, "cmd_cart")
	r.Command("language", b.cmdLanguage, "cmd_language")
	r.Command("help", b.cmdHelp, "cmd_help")
	r.Command("paysupport", b.cmdPaySupport, "cmd_paysupport")
	r.Command("cancel", b.cmdCancel, "")

	r.Callback(telegram.VerbNoop, b.onNoop)
	r.Callback(telegram.VerbLanguage, b.onLanguage)
	r.Callback(telegram.VerbShops, b.onShops)
	r.Callback(telegram.VerbShop, b.onShop)
	r.Callback(telegram.VerbProducts, b.onProducts)
	r.Callback(telegram.VerbProduct, b.onProduct)
	r.Callback(telegram.VerbProductNew, telegram.Fresh(b.onProduct))
	r.Callback(telegram.VerbAddToCart, b.onAddToCart)
	r.Callback(telegram.VerbCart, b.onCart)
	r.Callback(telegram.VerbCartQuantity, b.onCartQuantity)
	r.Callback(telegram.VerbCartTypeQty, b.onCartTypeQuantity)
	r.Callback(telegram.VerbCartClear, b.onCartClear)
	r.Callback(telegram.VerbBuyNow, b.onBuyNow)
	r.Callback(telegram.VerbCheckout, b.onCheckout)
	r.Callback(telegram.VerbConfirmCart, b.onConfirmCart)
	r.Callback(telegram.VerbConfirmBuy, b.onConfirmBuy)

	r.Dialog(dialogCartQuantity, b.onCartQuantityTyped)

	r.OnPayment(b.onSuccessfulPayment)
	r.OnInvoice(b.SendInvoice)
	r.OnPreCheckout(b.onPreCheckout)
	r.OnShipping(b.onShippingQuery)
	r.OnInline(b.onInlineQuery)
	r.OnText(b.search)
}

// cmdStart greets and lists the shops, or opens what a deep link points at.
func (b *Feature) cmdStart(ctx context.Context, r *telegram.Request, payload string) error {
	if payload == "" {
		v, err := b.shopsView(ctx, r, 0, b.k.T(r.Lang, "welcome", r.User.FirstName))
		if err != nil {
			return err
		}
		return b.k.Show(ctx, r, v)
	}
	if fn, arg, ok := b.k.DeepLinkHandler(payload); ok {
		// A link of another feature (a KOL's invitation, a drop's lot).
		return fn(ctx, r, arg)
	}
	link, err := telegram.ParseDeepLink(payload)
	if err == nil {
		switch link.Kind {
		case telegram.LinkShop:
			err = b.showShop(ctx, r, core.ShopID(link.ID))
		case telegram.LinkProduct:
			err = b.showProduct(ctx, r, core.ProductID(link.ID), 0, 1)
		case telegram.LinkInvite:
			// Staff invitations belong to the seller side, which registers the
			// hidden command inviteCommand; without it the link is unknown here.
			fn, ok := b.k.Command(telegram.InviteCommand)
			if !ok {
				err = telegram.ErrDeepLink
				break
			}
			return fn(ctx, r, link.Token)
		}
	}
	if err == nil {
		return nil
	}
	if !telegram.UserFacing(err) && !errors.Is(err, telegram.ErrDeepLink) {
		return err
	}
	// A link to something gone or malformed: say so politely and show the shops.
	v, verr := b.shopsView(ctx, r, 0, b.k.T(r.Lang, "link_broken"))
	if verr != nil {
		return verr
	}
	return b.k.Show(ctx, r, v)
}

func (b *Feature) cmdHelp(ctx context.Context, r *telegram.Request, _ string) error {
	return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "help", b.username), nil)
}

func (b *Feature) cmdLanguage(ctx context.Context, r *telegram.Request, _ string) error {
	kb := (&telegram.Keyboard{}).Row(
		telegram.Button("Русский", telegram.VerbLanguage, "ru"),
		telegram.Button("English", telegram.VerbLanguage, "en"),
	).Markup()
	return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "language_choose"), kb)
}

// onLanguage stores the chosen language and confirms in it.
func (b *Feature) onLanguage(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(1); err != nil {
		return err
	}
	lang := d.Str(0)
	if err := b.users.SetLanguage(ctx, r.UserID(), lang); err != nil {
		return err
	}
	r.Lang = telegram.LangOf(lang)
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_shops"), telegram.VerbShops, 0)).Markup()
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "language_set"), Keyboard: kb})
}

// cmdPaySupport tells how to get help with a payment, as Telegram requires of bots
// that take payments.
func (b *Feature) cmdPaySupport(ctx context.Context, r *telegram.Request, _ string) error {
	contact := b.k.T(r.Lang, "paysupport_contact_none")
	var names []string
	for id := range b.operators {
		u, err := b.users.User(ctx, id)
		if err == nil && u.Username != "" {
			names = append(names, "@"+u.Username)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		contact = strings.Join(names, ", ")
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_my_orders"), telegram.VerbOrders, 0)).Markup()
	return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "paysupport", contact), kb)
}

// cmdCancel ends a conversation. The router has already ended it and said which
// (every command does: leaveDialog), so this only answers a /cancel with nothing
// to cancel.
func (b *Feature) cmdCancel(ctx context.Context, r *telegram.Request, _ string) error {
	if r.Left != "" {
		return nil
	}
	return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "cancel_nothing"), nil)
}

// onNoop answers a label button. "x:max" is the "+" of a quantity at its limit.
func (b *Feature) onNoop(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if d.Str(0) == "max" {
		r.Answer(b.k.T(r.Lang, "qty_limit"))
	}
	return nil
}
