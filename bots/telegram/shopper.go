package telegram

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
)

// shopperRoutes registers the shopper's commands, buttons and conversations.
func (b *Bot) shopperRoutes(r *router) {
	r.command("start", b.cmdStart, "cmd_start")
	r.command("search", b.cmdSearch, "cmd_search")
	r.command("orders", b.cmdOrders, "cmd_orders")
	r.command("language", b.cmdLanguage, "cmd_language")
	r.command("help", b.cmdHelp, "cmd_help")
	r.command("paysupport", b.cmdPaySupport, "cmd_paysupport")
	r.command("cancel", b.cmdCancel, "")

	r.callback(verbNoop, b.onNoop)
	r.callback(verbLanguage, b.onLanguage)
	r.callback(verbShops, b.onShops)
	r.callback(verbShop, b.onShop)
	r.callback(verbProducts, b.onProducts)
	r.callback(verbProduct, b.onProduct)
	r.callback(verbProductNew, fresh(b.onProduct))
	r.callback(verbAddToCart, b.onAddToCart)
	r.callback(verbCart, b.onCart)
	r.callback(verbCartQuantity, b.onCartQuantity)
	r.callback(verbCartTypeQty, b.onCartTypeQuantity)
	r.callback(verbCartClear, b.onCartClear)
	r.callback(verbBuyNow, b.onBuyNow)
	r.callback(verbCheckout, b.onCheckout)
	r.callback(verbConfirmCart, b.onConfirmCart)
	r.callback(verbConfirmBuy, b.onConfirmBuy)
	r.callback(verbOrders, b.onOrders)
	r.callback(verbOrder, b.onOrder)
	r.callback(verbOrderNew, fresh(b.onOrder))
	r.callback(verbOrderPay, b.onOrderPay)
	r.callback(verbOrderCancel, b.onOrderCancel)
	r.callback(verbOrderDone, b.onOrderDone)

	r.dialog(dialogCartQuantity, b.onCartQuantityTyped)

	r.onPayment(b.onSuccessfulPayment)
	r.onPreCheckout(b.onPreCheckout)
	r.onShipping(b.onShippingQuery)
	r.onInline(b.onInlineQuery)
	r.onText(b.search)
}

// cmdStart greets and lists the shops, or opens what a deep link points at.
func (b *Bot) cmdStart(ctx context.Context, r *request, payload string) error {
	if payload == "" {
		v, err := b.shopsView(ctx, r, 0, b.t(r.lang, "welcome", r.user.FirstName))
		if err != nil {
			return err
		}
		return b.show(ctx, r, v)
	}
	link, err := parseDeepLink(payload)
	if err == nil {
		switch link.Kind {
		case linkShop:
			err = b.showShop(ctx, r, core.ShopID(link.ID))
		case linkProduct:
			err = b.showProduct(ctx, r, core.ProductID(link.ID), 0, 1)
		case linkInvite:
			// Staff invitations belong to the seller side, which registers the
			// hidden command inviteCommand; without it the link is unknown here.
			fn, ok := b.command(inviteCommand)
			if !ok {
				err = errDeepLink
				break
			}
			return fn(ctx, r, link.Token)
		}
	}
	if err == nil {
		return nil
	}
	if !userFacing(err) && !errors.Is(err, errDeepLink) {
		return err
	}
	// A link to something gone or malformed: say so politely and show the shops.
	v, verr := b.shopsView(ctx, r, 0, b.t(r.lang, "link_broken"))
	if verr != nil {
		return verr
	}
	return b.show(ctx, r, v)
}

// inviteCommand is the hidden command the seller side registers to accept a staff
// invitation; /start inv_<token> calls it with the token.
const inviteCommand = "invite"

func (b *Bot) cmdHelp(ctx context.Context, r *request, _ string) error {
	return b.sendText(ctx, r.chatID, b.t(r.lang, "help", b.username), nil)
}

func (b *Bot) cmdLanguage(ctx context.Context, r *request, _ string) error {
	kb := (&keyboard{}).row(
		button("Русский", verbLanguage, "ru"),
		button("English", verbLanguage, "en"),
	).markup()
	return b.sendText(ctx, r.chatID, b.t(r.lang, "language_choose"), kb)
}

// onLanguage stores the chosen language and confirms in it.
func (b *Bot) onLanguage(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(1); err != nil {
		return err
	}
	lang := d.Str(0)
	if err := b.users.SetLanguage(ctx, r.userID(), lang); err != nil {
		return err
	}
	r.lang = langOf(lang)
	kb := (&keyboard{}).row(button(b.label(r.lang, "btn_shops"), verbShops, 0)).markup()
	return b.show(ctx, r, view{text: b.t(r.lang, "language_set"), kb: kb})
}

// cmdPaySupport tells how to get help with a payment, as Telegram requires of bots
// that take payments.
func (b *Bot) cmdPaySupport(ctx context.Context, r *request, _ string) error {
	contact := b.t(r.lang, "paysupport_contact_none")
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
	kb := (&keyboard{}).row(button(b.label(r.lang, "btn_my_orders"), verbOrders, 0)).markup()
	return b.sendText(ctx, r.chatID, b.t(r.lang, "paysupport", contact), kb)
}

// cmdCancel ends a conversation. The router has already ended it and said which
// (every command does: leaveDialog), so this only answers a /cancel with nothing
// to cancel.
func (b *Bot) cmdCancel(ctx context.Context, r *request, _ string) error {
	if r.left != "" {
		return nil
	}
	return b.sendText(ctx, r.chatID, b.t(r.lang, "cancel_nothing"), nil)
}

// onNoop answers a label button. "x:max" is the "+" of a quantity at its limit.
func (b *Bot) onNoop(ctx context.Context, r *request, d callbackData) error {
	if d.Str(0) == "max" {
		r.answer(b.t(r.lang, "qty_limit"))
	}
	return nil
}

// pager adds a "◀️ n/m ▶️" row for page (0-based) of pages, whose buttons call
// verb with args followed by the page number.
func (b *Bot) pager(k *keyboard, lang string, page, pages int, verb string, args ...any) {
	if pages <= 1 {
		return
	}
	var row []telego.InlineKeyboardButton
	if page > 0 {
		row = append(row, button(b.label(lang, "btn_prev"), verb, append(args, page-1)...))
	}
	row = append(row, button(b.label(lang, "btn_page", page+1, pages), verbNoop))
	if page+1 < pages {
		row = append(row, button(b.label(lang, "btn_next"), verb, append(args, page+1)...))
	}
	k.row(row...)
}

// prevNext adds a "◀️ ▶️" row for a list paged without a total: page (0-based)
// and whether there is a next one; the buttons call verb with the page number.
func (b *Bot) prevNext(k *keyboard, lang string, page int, hasNext bool, verb string) {
	var row []telego.InlineKeyboardButton
	if page > 0 {
		row = append(row, button(b.label(lang, "btn_prev"), verb, page-1))
	}
	if hasNext {
		row = append(row, button(b.label(lang, "btn_next"), verb, page+1))
	}
	k.row(row...)
}

// pageCount returns how many pages of size hold total items (at least 1).
func pageCount(total, size int) int {
	if total <= 0 {
		return 1
	}
	return (total + size - 1) / size
}
