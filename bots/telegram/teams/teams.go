// Package teams is team buys in the bot: a product with a team offer shows
// its team price on its card and a button to start a team; the team's card
// (deep link tm_<team>) shows who paid and until when, with a Join button and
// a link to share; the seller sets a product's offer in the admin menu; and,
// for the workers, the message that a team filled or failed.
package teams

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Callback verbs and the deep link of team buys.
const (
	linkTeam = "tm" // tm_<team>: a team's card

	verbStart = "tms" // tms:<product>[:<variant>]: start a team (a variant first, when several)
	verbJoin  = "tmj" // tmj:<team>: join it
	verbCard  = "tmc" // tmc:<team>: its card again

	verbShopTeams = telegram.VerbAdminTeams // atl:<shop>: the shop's team prices
	verbOfferSize = "ats"                   // ats:<product>:<size>: a product's team size
	verbOfferCut  = "atd"                   // atd:<product>:<size>:<discount %>: and its discount (0: none)
)

// Feature is team buys in the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k       *telegram.Bot
	teams   *teambuy.Service
	catalog *catalog.Service
	users   *user.Service
	clock   core.Clock
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{teams: d.Teams, catalog: d.Catalog, users: d.Users, clock: d.Clock}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	r.AddTexts(texts())
	r.AddErrors(
		telegram.ErrorKey{Err: teambuy.ErrNoOffer, Key: "tm_err_no_offer"},
		telegram.ErrorKey{Err: teambuy.ErrNotFound, Key: "tm_err_not_found"},
		telegram.ErrorKey{Err: teambuy.ErrClosed, Key: "tm_err_closed"},
		telegram.ErrorKey{Err: teambuy.ErrFull, Key: "tm_err_full"},
		telegram.ErrorKey{Err: teambuy.ErrMember, Key: "tm_err_member"},
		telegram.ErrorKey{Err: teambuy.ErrNotVariant, Key: "tm_err_variant"},
		telegram.ErrorKey{Err: teambuy.ErrOffer, Key: "tm_err_offer"},
	)
	r.DeepLink(linkTeam, b.openTeam)
	r.Callback(verbStart, b.onStart)
	r.Callback(verbJoin, b.onJoin)
	r.Callback(verbCard, b.onCard)
	r.Callback(verbShopTeams, b.k.ForStaff(b.onShopTeams))
	r.Callback(verbOfferSize, b.onOfferSize)
	r.Callback(verbOfferCut, b.onOfferCut)
	r.ProductFact(b.teamFact)
	r.ProductRow(b.teamRow)
}

// teamFact is the product card's line of its team price.
func (b *Feature) teamFact(ctx context.Context, lang string, p catalog.Product) ([]string, error) {
	o, err := b.teams.Offer(ctx, p.ID)
	if err != nil || len(p.Variants) == 0 {
		return nil, ignoreNoOffer(err)
	}
	return []string{b.k.T(lang, "tm_fact", o.Size, telegram.FormatMoney(lang, o.Price(p.Variants[0].Price)), o.Hours)}, nil
}

// teamRow is the product card's button that starts a team.
func (b *Feature) teamRow(ctx context.Context, lang string, k *telegram.Keyboard, p catalog.Product) error {
	o, err := b.teams.Offer(ctx, p.ID)
	if err != nil || len(p.Variants) == 0 {
		return ignoreNoOffer(err)
	}
	k.Row(telegram.Button(b.k.Label(lang, "tm_btn_start", o.Size), verbStart, int64(p.ID)))
	return nil
}

func ignoreNoOffer(err error) error {
	if err != nil && telegram.UserFacing(err) {
		return nil
	}
	return err
}

// onStart starts a team: the variant first, when the product has several;
// then the team's card and the leader's invoice.
func (b *Feature) onStart(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	pid, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	p, err := b.catalog.Product(ctx, core.ProductID(pid))
	if err != nil {
		return err
	}
	o, err := b.teams.Offer(ctx, p.ID)
	if err != nil {
		return err
	}
	vid, _ := d.Int(1)
	if vid == 0 && len(p.Variants) == 1 {
		vid = int64(p.Variants[0].ID)
	}
	if vid == 0 {
		k := &telegram.Keyboard{}
		for _, v := range p.Variants {
			k.Row(telegram.Button(b.k.Label(r.Lang, "tm_btn_variant", v.Name, telegram.FormatMoney(r.Lang, o.Price(v.Price))), verbStart, pid, int64(v.ID)))
		}
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "tm_ask_variant"), Keyboard: k.Markup()})
	}
	pickup, _ := d.Int(2)
	if pickup == 0 {
		points, err := b.pickupPoints(ctx, p.ShopID)
		if err != nil {
			return err
		}
		if len(points) > 0 {
			return b.askPickup(ctx, r, points, func(pp catalog.PickupPoint) telego.InlineKeyboardButton {
				return telegram.Button(pp.Name+" · "+pp.Address, verbStart, pid, vid, int64(pp.ID))
			})
		}
	}
	t, ord, err := b.teams.Start(ctx, r.UserID(), core.VariantID(vid), p.ID, core.PickupPointID(pickup))
	if err != nil {
		return err
	}
	if err := b.showTeam(ctx, r, t, b.k.T(r.Lang, "tm_started")); err != nil {
		return err
	}
	return b.invoice(ctx, r, ord)
}

// onJoin joins the shopper to a team; its card, then their invoice.
func (b *Feature) onJoin(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	pickup, _ := d.Int(1)
	if pickup == 0 {
		t, _, err := b.teams.Team(ctx, teambuy.ID(id))
		if err != nil {
			return err
		}
		points, err := b.pickupPoints(ctx, t.Shop)
		if err != nil {
			return err
		}
		if len(points) > 0 {
			return b.askPickup(ctx, r, points, func(pp catalog.PickupPoint) telego.InlineKeyboardButton {
				return telegram.Button(pp.Name+" · "+pp.Address, verbJoin, id, int64(pp.ID))
			})
		}
	}
	t, ord, err := b.teams.Join(ctx, r.UserID(), teambuy.ID(id), core.PickupPointID(pickup))
	if err != nil {
		return err
	}
	if err := b.showTeam(ctx, r, t, b.k.T(r.Lang, "tm_joined")); err != nil {
		return err
	}
	return b.invoice(ctx, r, ord)
}

// pickupPoints are where a card shop's team members may collect; none for a
// Stars shop (digital goods, nothing to collect) or a shop without points
// (the goods are shipped).
func (b *Feature) pickupPoints(ctx context.Context, id core.ShopID) ([]catalog.PickupPoint, error) {
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil || shop.PaymentMethod == catalog.PayStars || shop.Currency == core.Stars {
		return nil, err
	}
	return b.catalog.PickupPoints(ctx, id)
}

// askPickup asks where the member will collect their unit, a button a point.
func (b *Feature) askPickup(ctx context.Context, r *telegram.Request, points []catalog.PickupPoint,
	button func(catalog.PickupPoint) telego.InlineKeyboardButton) error {
	k := &telegram.Keyboard{}
	for _, pp := range points {
		k.Row(button(pp))
	}
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "tm_ask_pickup"), Keyboard: k.Markup()})
}

// invoice sends a member's invoice, unless one went (a double tap).
func (b *Feature) invoice(ctx context.Context, r *telegram.Request, o order.Order) error {
	if o.InvoiceMessageID != 0 || o.Status != order.StatusAwaitingPayment {
		return nil
	}
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return err
	}
	return b.k.SendInvoice(ctx, r.ChatID, r.Lang, shop, o)
}

func (b *Feature) openTeam(ctx context.Context, r *telegram.Request, arg string) error {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n <= 0 {
		return telegram.ErrDeepLink
	}
	t, _, err := b.teams.Team(ctx, teambuy.ID(n))
	if err != nil {
		if telegram.UserFacing(err) {
			return b.k.Tell(ctx, r, b.k.ErrorText(r.Lang, err))
		}
		return err
	}
	return b.showTeam(ctx, r, t, "")
}

func (b *Feature) onCard(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	t, _, err := b.teams.Team(ctx, teambuy.ID(id))
	if err != nil {
		return err
	}
	return b.showTeam(ctx, r, t, "")
}

// showTeam shows a team's card: the product and its team price, who paid
// and until when; Join for others while it forms, and the link to share.
func (b *Feature) showTeam(ctx context.Context, r *telegram.Request, t teambuy.Team, notice string) error {
	lang := r.Lang
	t, members, err := b.teams.Team(ctx, t.ID)
	if err != nil {
		return err
	}
	p, err := b.catalog.Product(ctx, t.Product)
	if err != nil {
		return err
	}
	was := core.Money{}
	name := p.Title
	for _, v := range p.Variants {
		if v.ID == t.Variant {
			was = v.Price
			if v.Name != "" {
				name += " · " + v.Name
			}
		}
	}
	paid, mine := 0, false
	for _, m := range members {
		if m.Paid() {
			paid++
		}
		mine = mine || m.Buyer == r.UserID()
	}
	lines := []string{notice, b.k.T(lang, "tm_card", name, telegram.FormatMoney(lang, t.Price), telegram.FormatMoney(lang, was), t.Size)}
	k := &telegram.Keyboard{}
	switch t.Status {
	case teambuy.StatusForming:
		lines = append(lines, b.k.T(lang, "tm_card_forming", paid, t.Size, t.ExpiresAt.In(telegram.Moscow).Format("02.01 15:04")))
		if !mine {
			k.Row(telegram.Button(b.k.Label(lang, "tm_btn_join", telegram.FormatMoney(lang, t.Price)), verbJoin, int64(t.ID)))
		}
		link := b.k.StartURL(fmt.Sprintf("%s_%d", linkTeam, t.ID))
		share := "https://t.me/share/url?url=" + url.QueryEscape(link) + "&text=" + url.QueryEscape(b.k.Label(lang, "tm_share_text", name, telegram.FormatMoney(lang, t.Price)))
		k.Row(telegram.URLButton(b.k.Label(lang, "tm_btn_share"), share))
		k.Row(telegram.Button(b.k.Label(lang, "tm_btn_refresh"), verbCard, int64(t.ID)))
	case teambuy.StatusFilled:
		lines = append(lines, b.k.T(lang, "tm_card_filled"))
	case teambuy.StatusFailed:
		lines = append(lines, b.k.T(lang, "tm_card_failed"))
	}
	v := telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n\n"), Keyboard: k.Markup()}
	if len(p.Photos) > 0 {
		v.Photo = p.Photos[0]
	}
	return b.k.Show(ctx, r, v)
}

// TeamMessage composes what tells a member that their team filled or failed
// (workers/teams.Bot).
func (b *Feature) TeamMessage(ctx context.Context, t teambuy.Team, m teambuy.Member) (core.Message, error) {
	lang := "ru"
	if u, err := b.users.User(ctx, m.Buyer); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	p, err := b.catalog.Product(ctx, t.Product)
	if err != nil {
		return core.Message{}, err
	}
	var text string
	switch {
	case t.Status == teambuy.StatusFilled:
		text = b.k.T(lang, "tm_filled", p.Title, m.Order)
	case m.Paid() || m.OrderStatus == order.StatusRefundPending || m.OrderStatus == order.StatusRefunded || m.OrderStatus == order.StatusCancelled:
		text = b.k.T(lang, "tm_failed", p.Title)
	default:
		text = b.k.T(lang, "tm_failed_unpaid", p.Title)
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "tm_btn_card"), verbCard, int64(t.ID))).Markup()
	return b.k.MessageTo(fmt.Sprintf("team:%d:%s:%d", t.ID, t.Status, m.Buyer), core.PriorityOrder, m.Buyer, telegram.View{Text: text, Keyboard: kb}), nil
}

// maxProducts bounds the products listed on the seller's team screen.
const maxProducts = 30

// onShopTeams lists a shop's products with their team offers, to its staff:
// a product opens the choice of its team's size.
func (b *Feature) onShopTeams(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	return b.showShopTeams(ctx, r, shop, "")
}

func (b *Feature) showShopTeams(ctx context.Context, r *telegram.Request, shop catalog.Shop, notice string) error {
	lang := r.Lang
	products, _, err := b.catalog.Products(ctx, catalog.ProductFilter{ShopID: shop.ID, Limit: maxProducts})
	if err != nil {
		return err
	}
	k := &telegram.Keyboard{}
	for _, p := range products {
		label := p.Title
		if o, err := b.teams.Offer(ctx, p.ID); err == nil {
			label = b.k.Label(lang, "tm_btn_product_offer", p.Title, o.Size, o.DiscountBP/100)
		} else if !telegram.UserFacing(err) {
			return err
		}
		k.Row(telegram.Button(label, verbOfferSize, int64(p.ID), 0))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, int64(shop.ID)))
	text := strings.Join(telegram.NonEmpty(notice, b.k.T(lang, "tm_shop", shop.Name)), "\n\n")
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onOfferSize asks a product's team size (ats:<product>:0), then its
// discount (ats:<product>:<size>).
func (b *Feature) onOfferSize(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	pid, err1 := d.Int(0)
	size, err2 := d.Int(1)
	if err1 != nil || err2 != nil {
		return telegram.ErrStaleButton
	}
	p, err := b.catalog.Product(ctx, core.ProductID(pid))
	if err != nil {
		return err
	}
	if _, _, err := b.k.StaffShop(ctx, r, p.ShopID); err != nil {
		return err
	}
	lang := r.Lang
	k := &telegram.Keyboard{}
	if size == 0 {
		var row []telego.InlineKeyboardButton
		for n := teambuy.MinSize; n <= teambuy.MaxSize; n++ {
			row = append(row, telegram.Button(strconv.Itoa(n), verbOfferSize, pid, n))
		}
		k.Row(row...)
		k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbShopTeams, int64(p.ShopID)))
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "tm_ask_size", p.Title), Keyboard: k.Markup()})
	}
	var row []telego.InlineKeyboardButton
	for _, pct := range []int64{10, 15, 20, 25, 30} {
		row = append(row, telegram.Button(strconv.FormatInt(pct, 10)+" %", verbOfferCut, pid, size, pct))
	}
	k.Row(row...)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbOfferSize, pid, 0))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "tm_ask_discount", p.Title, size), Keyboard: k.Markup()})
}

// onOfferCut saves a product's team offer.
func (b *Feature) onOfferCut(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	pid, err1 := d.Int(0)
	size, err2 := d.Int(1)
	pct, err3 := d.Int(2)
	if err1 != nil || err2 != nil || err3 != nil {
		return telegram.ErrStaleButton
	}
	if err := b.teams.SetOffer(ctx, r.UserID(), teambuy.Offer{Product: core.ProductID(pid), Size: int(size), DiscountBP: int(pct * 100)}); err != nil {
		return err
	}
	p, err := b.catalog.Product(ctx, core.ProductID(pid))
	if err != nil {
		return err
	}
	shop, _, err := b.k.StaffShop(ctx, r, p.ShopID)
	if err != nil {
		return err
	}
	return b.showShopTeams(ctx, r, shop, b.k.T(r.Lang, "tm_offer_saved", p.Title, size, pct))
}
