// Package demo builds the demo world of the sandbox: personas who talk to the bot, two
// shops with products, photos, stock, pickup points and shipping options, past orders in
// different states, and a channel where the shop posts. Everything is made through the
// domain services, as a seller and shoppers would, so the demo shows the real product.
//
// Seeding is idempotent: a second run finds the shop by its owner and only puts back
// what the sandbox lacks (personas, photos, the channel). `vitrina demo` restores the
// sandbox's saved world before seeding, so usually nothing is missing; without it (a
// saved world lost or unreadable) the seeding still makes a usable one.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Persona is someone the sandbox page lets you act as.
type Persona struct {
	ID   int64
	Name string
	Lang string
	Role string // "seller", "shopper", "kol"
}

// The personas have fixed ids so that a second run finds what the first one made.
var (
	Seller   = Persona{ID: 700001, Name: "Марина", Lang: "ru", Role: "seller"}
	Shoppers = []Persona{
		{ID: 700101, Name: "Аня", Lang: "ru", Role: "shopper"},
		{ID: 700102, Name: "John", Lang: "en", Role: "shopper"},
		{ID: 700103, Name: "Алия", Lang: "ru", Role: "shopper"},
	}
	// ChannelID is the shop's channel.
	ChannelID int64 = -1001700000001
	// GroupID is a neighbours' chat where the shoppers talk; the bot is a member. Group
	// buys will live here.
	GroupID int64 = -1001700000002
)

// Deps are what seeding needs.
type Deps struct {
	Sandbox *sandbox.Server
	// API is the bot's own Bot API client: the shop's channel post is the bot's.
	API         *telego.Bot
	BotUsername string
	Catalog     *catalog.Service
	Orders      *order.Service
	Users       *user.Service
	// Reviews seeds the shoppers' reviews of their completed orders; nil seeds none.
	Reviews *review.Service
	// Live seeds the KOL, her channel and her session; nil seeds none.
	Live *live.Service
	// GroupBuys seeds the shop's group buys; nil seeds none. PostCard posts a
	// purchase's public card in a chat, kept up to date as people join (the
	// bot's groupbuys.Feature.PostCard); nil posts none.
	GroupBuys *groupbuy.Service
	PostCard  func(ctx context.Context, p groupbuy.Purchase, chat int64, lang string) (groupbuy.Card, error)
	// Teams seeds a team price and an open team buy; nil seeds none.
	Teams *teambuy.Service
	// LiveAt returns the services of live drops and orders on another clock:
	// the KOL's past session, with its taps, orders and payments, happened
	// yesterday. Nil seeds no past session.
	LiveAt func(core.Clock) (*live.Service, *order.Service)
}

// World is what Seed made or found.
type World struct {
	Personas []Persona
	Shops    []catalog.Shop
	Channel  int64
	Group    int64
}

const (
	shopName      = "Лавка Марины"
	starsShopName = "Стикеры Марины"
)

// Seed makes the demo world, or finds the one an earlier run made.
func Seed(ctx context.Context, d Deps) (World, error) {
	w := World{Personas: append([]Persona{Seller}, Shoppers...), Channel: ChannelID, Group: GroupID}
	if d.Live != nil {
		w.Personas = append(w.Personas, KOL)
	}
	for _, p := range w.Personas {
		d.Sandbox.NewUser(sandbox.UserSpec{ID: p.ID, FirstName: p.Name, LanguageCode: p.Lang, StartedBot: true})
		if _, err := d.Users.Touch(ctx, user.Seen{ID: core.UserID(p.ID), FirstName: p.Name, TelegramLang: p.Lang}); err != nil {
			return World{}, fmt.Errorf("persona %s: %w", p.Name, err)
		}
	}
	shops, err := existingShops(ctx, d)
	if err != nil {
		return World{}, err
	}
	if len(shops) == 0 {
		shops, err = seedShops(ctx, d)
		if err != nil {
			return World{}, err
		}
	}
	w.Shops = shops
	for _, s := range shops {
		if err := restorePhotos(ctx, d, s); err != nil {
			return World{}, err
		}
	}
	if err := seedChannel(ctx, d, shops[0]); err != nil {
		return World{}, err
	}
	seedGroup(d)
	if d.GroupBuys != nil {
		if err := seedGroupBuys(ctx, d, shops[0]); err != nil {
			return World{}, err
		}
	}
	if d.Teams != nil {
		if err := seedTeams(ctx, d, shops[1]); err != nil {
			return World{}, err
		}
	}
	if d.Live != nil {
		if err := seedLive(ctx, d, shops[0]); err != nil {
			return World{}, err
		}
	}
	return w, nil
}

// existingShops returns the seller's shops made by an earlier run, the card shop first.
func existingShops(ctx context.Context, d Deps) ([]catalog.Shop, error) {
	ms, err := d.Catalog.Memberships(ctx, core.UserID(Seller.ID))
	if err != nil {
		return nil, fmt.Errorf("find the demo shops: %w", err)
	}
	var card, stars *catalog.Shop
	for _, m := range ms {
		switch m.Shop.Name {
		case shopName:
			card = &m.Shop
		case starsShopName:
			stars = &m.Shop
		}
	}
	if card == nil || stars == nil {
		return nil, nil
	}
	return []catalog.Shop{*card, *stars}, nil
}

// seedShops makes both shops with everything in them.
func seedShops(ctx context.Context, d Deps) ([]catalog.Shop, error) {
	owner := core.UserID(Seller.ID)
	shop, err := d.Catalog.CreateShop(ctx, owner, catalog.NewShop{
		Name: shopName, Currency: "RUB", PaymentMethod: catalog.PayCard, PlatformProvider: true,
	})
	if err != nil {
		return nil, fmt.Errorf("create the demo shop: %w", err)
	}
	var points []catalog.PickupPoint
	for _, p := range pickupPoints {
		p.ShopID = shop.ID
		pp, err := d.Catalog.AddPickupPoint(ctx, owner, p)
		if err != nil {
			return nil, fmt.Errorf("add pickup point %s: %w", p.Name, err)
		}
		points = append(points, pp)
	}
	var options []catalog.ShippingOption
	for _, o := range shippingOptions {
		o.ShopID = shop.ID
		so, err := d.Catalog.AddShippingOption(ctx, owner, o)
		if err != nil {
			return nil, fmt.Errorf("add shipping option %s: %w", o.Name, err)
		}
		options = append(options, so)
	}
	products, err := seedProducts(ctx, d, shop, cardCatalog)
	if err != nil {
		return nil, err
	}
	if err := seedOrders(ctx, d, shop, products, points, options); err != nil {
		return nil, err
	}

	stars, err := d.Catalog.CreateShop(ctx, owner, catalog.NewShop{Name: starsShopName, Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		return nil, fmt.Errorf("create the demo Stars shop: %w", err)
	}
	if _, err := seedProducts(ctx, d, stars, starsCatalog); err != nil {
		return nil, err
	}
	return []catalog.Shop{shop, stars}, nil
}

// seedProducts adds a shop's categories and products, each with a generated photo.
func seedProducts(ctx context.Context, d Deps, shop catalog.Shop, items []productSeed) (map[string]catalog.Product, error) {
	owner := core.UserID(Seller.ID)
	categories := map[string]core.CategoryID{}
	products := map[string]catalog.Product{}
	for i, it := range items {
		if _, ok := categories[it.category]; !ok && it.category != "" {
			c, err := d.Catalog.CreateCategory(ctx, owner, shop.ID, it.category)
			if err != nil {
				return nil, fmt.Errorf("create category %s: %w", it.category, err)
			}
			categories[it.category] = c.ID
		}
		count := 1
		if len(it.variants) > 1 {
			count = 3 // the clothes and shoes have a gallery: the card pages it
		}
		photos, err := addPhotos(d.Sandbox, it.title, i, count)
		if err != nil {
			return nil, err
		}
		n := catalog.NewProduct{
			ShopID: shop.ID, CategoryID: categories[it.category],
			Title: it.title, Description: it.description, Photos: photos,
		}
		for _, v := range it.variants {
			n.Variants = append(n.Variants, catalog.NewVariant{
				Name: v.name, Price: core.Money{Amount: v.price, Currency: shop.Currency}, Stock: v.stock,
			})
		}
		p, err := d.Catalog.CreateProduct(ctx, owner, n)
		if err != nil {
			return nil, fmt.Errorf("create product %s: %w", it.title, err)
		}
		products[it.title] = p
	}
	return products, nil
}

// seedOrders makes a few past orders in different states, as shoppers and the seller
// would have: checkout, payment (with a made-up charge id), and the seller's actions.
func seedOrders(ctx context.Context, d Deps, shop catalog.Shop, products map[string]catalog.Product,
	points []catalog.PickupPoint, options []catalog.ShippingOption) error {
	owner := core.UserID(Seller.ID)
	for i, o := range pastOrders {
		buyer := core.UserID(Shoppers[o.shopper].ID)
		p, ok := products[o.product]
		if !ok {
			return fmt.Errorf("past order %d: no product %q", i, o.product)
		}
		req := order.CheckoutRequest{
			Key: "demo-" + strconv.Itoa(i), BuyerID: buyer, ShopID: shop.ID,
			Items: []order.Item{{VariantID: p.Variants[o.variant].ID, Quantity: o.quantity}},
		}
		var payment order.Payment
		if o.shipping {
			req.Delivery = order.DeliveryShipping
			payment.ShippingOptionID = options[0].ID
			payment.ShippingAddress = &order.Address{CountryCode: "RU", City: "Москва", StreetLine1: "ул. Арбат, 10, кв. 5", PostCode: "119002"}
		} else {
			req.Delivery, req.PickupPointID = order.DeliveryPickup, points[0].ID
		}
		placed, err := d.Orders.Checkout(ctx, req)
		if err != nil {
			return fmt.Errorf("past order %d: checkout: %w", i, err)
		}
		if o.status == order.StatusAwaitingPayment {
			continue
		}
		total := placed.Total
		if o.shipping {
			if total, err = total.Add(options[0].Price); err != nil {
				return err
			}
		}
		payment.OrderID, payment.BuyerID, payment.Total = placed.ID, buyer, total
		payment.TelegramChargeID = fmt.Sprintf("demo-charge-%d-%d", shop.ID, i)
		payment.ProviderChargeID = fmt.Sprintf("demo-provider-%d-%d", shop.ID, i)
		if _, _, err := d.Orders.RecordPayment(ctx, payment); err != nil {
			return fmt.Errorf("past order %d: payment: %w", i, err)
		}
		switch o.status {
		case order.StatusShipped:
			_, err = d.Orders.MarkShipped(ctx, owner, placed.ID, "СДЭК 1234567890")
		case order.StatusReadyForPickup:
			_, err = d.Orders.MarkReadyForPickup(ctx, owner, placed.ID)
		case order.StatusCompleted:
			if o.shipping {
				_, err = d.Orders.MarkShipped(ctx, owner, placed.ID, "СДЭК 1234567891")
			} else {
				_, err = d.Orders.MarkReadyForPickup(ctx, owner, placed.ID)
			}
			if err == nil {
				_, err = d.Orders.Complete(ctx, buyer, placed.ID)
			}
		}
		if err != nil {
			return fmt.Errorf("past order %d: %s: %w", i, o.status, err)
		}
		if err := seedReview(ctx, d, buyer, placed.ID, o.review); err != nil {
			return fmt.Errorf("past order %d: %w", i, err)
		}
	}
	return nil
}

// seedReview writes the buyer's review of a completed order's first line, and the
// shop's reply, as they would in the bot.
func seedReview(ctx context.Context, d Deps, buyer core.UserID, id core.OrderID, rs *reviewSeed) error {
	if rs == nil || d.Reviews == nil {
		return nil
	}
	r, err := d.Reviews.Create(ctx, buyer, id, 1, review.Draft{Rating: rs.rating, Text: rs.text})
	if err != nil {
		return fmt.Errorf("review: %w", err)
	}
	if rs.reply != "" {
		if _, err := d.Reviews.Reply(ctx, core.UserID(Seller.ID), r.ID, rs.reply); err != nil {
			return fmt.Errorf("reply to the review: %w", err)
		}
	}
	return nil
}

// restorePhotos puts product photos the sandbox does not know (it keeps files in memory,
// so a restart forgets them) back as generated ones.
func restorePhotos(ctx context.Context, d Deps, shop catalog.Shop) error {
	owner := core.UserID(Seller.ID)
	for offset := 0; ; offset += 50 {
		products, _, err := d.Catalog.Products(ctx, catalog.ProductFilter{ShopID: shop.ID, Limit: 50, Offset: offset})
		if err != nil {
			return fmt.Errorf("list demo products: %w", err)
		}
		for _, p := range products {
			if len(p.Photos) == 0 {
				continue
			}
			if _, _, ok := d.Sandbox.FileData(p.Photos[0]); ok {
				continue
			}
			photos, err := addPhotos(d.Sandbox, p.Title, int(p.ID), len(p.Photos))
			if err != nil {
				return err
			}
			if _, err := d.Catalog.UpdateProduct(ctx, owner, p.ID, catalog.ProductUpdate{Photos: &photos}); err != nil {
				return fmt.Errorf("restore the photo of %s: %w", p.Title, err)
			}
		}
		if len(products) < 50 {
			return nil
		}
	}
}

// seedChannel makes the shop's channel, with the personas as subscribers, and posts a
// product there with a button that opens it in the bot, as a seller would.
func seedChannel(ctx context.Context, d Deps, shop catalog.Shop) error {
	ch := d.Sandbox.Chat(ChannelID)
	if ch == nil {
		ch = d.Sandbox.NewChat(sandbox.ChatSpec{ID: ChannelID, Type: sandbox.ChatChannel, Title: shop.Name, Username: "marina_shop_demo"})
	}
	if len(ch.Messages()) > 0 {
		return nil
	}
	ch.AddMember(Seller.ID, sandbox.StatusCreator)
	for _, p := range Shoppers {
		ch.AddMember(p.ID, sandbox.StatusMember)
	}
	products, _, err := d.Catalog.Products(ctx, catalog.ProductFilter{ShopID: shop.ID, Query: "Худи", Limit: 1})
	if err != nil || len(products) == 0 {
		return errors.Join(errors.New("find the product to post in the channel"), err)
	}
	p := products[0]
	link := "https://t.me/" + d.BotUsername + "?start=p_" + strconv.FormatInt(int64(p.ID), 10)
	caption := "🔥 <b>" + p.Title + "</b> — " + roubles(p.Variants[0].Price) + "\n\n" + p.Description +
		"\n\nРазмеры S–XL, забирайте в пункте на Тверской или с доставкой."
	_, err = d.API.SendPhoto(ctx, &telego.SendPhotoParams{
		ChatID:      telego.ChatID{ID: ChannelID},
		Photo:       telego.InputFile{FileID: p.Photos[0]},
		Caption:     caption,
		ParseMode:   telego.ModeHTML,
		ReplyMarkup: &telego.InlineKeyboardMarkup{InlineKeyboard: [][]telego.InlineKeyboardButton{{{Text: "Купить в боте", URL: link}}}},
	})
	if err != nil {
		return fmt.Errorf("post in the demo channel: %w", err)
	}
	return nil
}

// roubles writes a whole price as a post does: "4 990 ₽".
func roubles(m core.Money) string {
	digits := strconv.FormatInt(m.Amount/100, 10)
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "\u00a0" + digits[i:]
	}
	return digits + "\u00a0₽"
}

// addPhoto generates a product photo and gives it to the sandbox, as if uploaded.
func addPhoto(s *sandbox.Server, title string, n int) (string, error) {
	att, err := s.AddPhoto(strings.ToLower(strings.ReplaceAll(title, " ", "_"))+".png", productImage(n))
	if err != nil {
		return "", fmt.Errorf("photo of %s: %w", title, err)
	}
	return att.FileID, nil
}

// addPhotos makes count photos of a product: the same colours (n, then n
// plus the palette's length), each with another pattern, as views of it.
func addPhotos(s *sandbox.Server, title string, n, count int) ([]string, error) {
	var photos []string
	for i := range count {
		photo, err := addPhoto(s, title, n+i*len(palette))
		if err != nil {
			return nil, err
		}
		photos = append(photos, photo)
	}
	return photos, nil
}

// seedGroup makes the neighbours' chat with the shoppers and the seller in it.
func seedGroup(d Deps) {
	g := d.Sandbox.Chat(GroupID)
	if g == nil {
		g = d.Sandbox.NewChat(sandbox.ChatSpec{ID: GroupID, Type: sandbox.ChatSupergroup, Title: "Соседи · ЖК «Сокол»"})
	}
	for _, p := range append([]Persona{Seller}, Shoppers...) {
		g.AddMember(p.ID, sandbox.StatusMember)
	}
}
