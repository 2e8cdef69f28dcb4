package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

// Settings in the admin menu (the owner's): name, payment, reservation time,
// pickup points and shipping options. The name and the reservation time are
// changed by the edit conversation (admin_products.go), the payment by the sell
// conversation (sell.go).

func (b *Bot) onAdminSettings(ctx context.Context, r *request, shop catalog.Shop) error {
	points, err := b.catalog.PickupPoints(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list pickup points: %w", err)
	}
	options, err := b.catalog.ShippingOptions(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list shipping options: %w", err)
	}
	lang := r.lang
	payment := b.paymentLabel(lang, shop)
	if shop.PaymentMethod == catalog.PayCard {
		switch {
		case shop.ProviderToken != "":
			payment += b.t(lang, "adm_provider_own")
		case b.providerToken != "":
			payment += b.t(lang, "adm_provider_platform")
		default:
			// The shop is on the platform's provider and the platform has none now:
			// buyers are refused at checkout until either has a token.
			payment += b.t(lang, "adm_provider_platform_missing")
		}
	}
	text := b.t(lang, "adm_settings", shop.Name, htmlText(payment),
		b.duration(lang, shop.ReservationTTL), len(points), len(options))
	k := &keyboard{}
	k.row(
		button(b.label(lang, "adm_btn_rename"), verbAdminRename, shop.ID),
		button(b.label(lang, "adm_btn_payment"), verbAdminPayment, shop.ID),
	)
	k.row(
		button(b.label(lang, "adm_btn_reservation"), verbAdminReservation, shop.ID),
		button(b.label(lang, "rem_adm_btn_reminders"), verbAdminReminders, shop.ID),
	)
	row := []telegoButton{button(b.label(lang, "adm_btn_pickups"), verbAdminPickups, shop.ID)}
	if shop.PaymentMethod == catalog.PayCard || len(options) > 0 {
		// Stars invoices carry no shipping (telegram-facts.md).
		row = append(row, button(b.label(lang, "adm_btn_shipping"), verbAdminShipping, shop.ID))
	}
	k.row(row...)
	k.row(button(b.label(lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// settingsBack is the Back button of a screen under Settings: the settings for
// the owner, the shop's menu for a manager.
func (b *Bot) settingsBack(lang string, shop core.ShopID, role catalog.Role) telegoButton {
	if role == catalog.RoleOwner {
		return button(b.label(lang, "btn_back"), verbAdminSettings, shop)
	}
	return button(b.label(lang, "btn_back"), verbAdminMenu, shop)
}

// --- pickup points ---

func (b *Bot) showPickups(ctx context.Context, r *request, id core.ShopID) error {
	shop, role, err := b.staffShop(ctx, r, id)
	if err != nil {
		return err
	}
	points, err := b.catalog.PickupPoints(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list pickup points: %w", err)
	}
	lang := r.lang
	lines := []string{b.t(lang, "adm_pickups", shop.Name)}
	k := &keyboard{}
	for _, p := range points {
		line := b.t(lang, "adm_pickup_line", p.Name, p.Address)
		if p.Hours != "" {
			line += b.t(lang, "delivery_hours", p.Hours)
		}
		lines = append(lines, line)
		k.row(button(b.label(lang, "adm_btn_remove", p.Name), verbAdminRemovePickup, shop.ID, p.ID))
	}
	if len(points) == 0 {
		lines = append(lines, b.t(lang, "adm_pickups_empty"))
	}
	k.row(button(b.label(lang, "adm_btn_add_pickup"), verbAdminAddPickup, shop.ID))
	k.row(b.settingsBack(lang, shop.ID, role))
	return b.show(ctx, r, view{text: strings.Join(lines, "\n"), kb: k.markup()})
}

// onAdminRemovePickup stops offering a pickup point: aptr:<shop>:<point>.
func (b *Bot) onAdminRemovePickup(ctx context.Context, r *request, d callbackData) error {
	return b.removeFromList(ctx, r, d, func(actor core.UserID, id int64) error {
		return b.catalog.RemovePickupPoint(ctx, actor, core.PickupPointID(id))
	}, b.showPickups)
}

// removeFromList handles "<verb>:<shop>:<id>", a staff member removing a record of
// the shop's (remove): they are told, and see the list again (list).
func (b *Bot) removeFromList(ctx context.Context, r *request, d callbackData, remove func(actor core.UserID, id int64) error,
	list func(context.Context, *request, core.ShopID) error) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	shop, _, err := b.staffShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	if err := remove(r.userID(), a[1]); err != nil {
		return err
	}
	r.answer(b.label(r.lang, "adm_removed"))
	return list(ctx, r, shop.ID)
}

// Steps of the pickup point conversation.
const (
	stepPickupName    = "pp.name"
	stepPickupAddress = "pp.addr"
	stepPickupHours   = "pp.hours"
)

// pickupDialog is a pickup point being added.
type pickupDialog struct {
	ShopID  core.ShopID `json:"shop_id"`
	Name    string      `json:"name,omitempty"`
	Address string      `json:"address,omitempty"`
}

func (b *Bot) onAdminAddPickup(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	data := pickupDialog{ShopID: shop.ID}
	if err := b.startDialog(ctx, r, dialogPickup, stepPickupName, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.pickupPrompt(r.lang, stepPickupName))
}

func (b *Bot) pickupPrompt(lang, step string) view {
	switch step {
	case stepPickupAddress:
		return b.askView(lang, "adm_ask_pickup_address")
	case stepPickupHours:
		v := b.askView(lang, "adm_ask_pickup_hours")
		v.kb = (&keyboard{}).row(stepButton(b.label(lang, "adm_btn_skip"), step, buttonSkip)).markup()
		return v
	}
	return b.askView(lang, "adm_ask_pickup_name")
}

// pickupStep collects a pickup point's name, address and hours, then adds it.
func (b *Bot) pickupStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data pickupDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.stepMoves(ctx, r, st, &data, func(step string) (view, error) {
		return b.pickupPrompt(r.lang, step), nil
	})
	switch st.Step {
	case stepPickupName:
		name, why := b.readText(r.lang, in, placeNameField)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepPickupAddress)
	case stepPickupAddress:
		address, why := b.readText(r.lang, in, addressField)
		if why != "" {
			return again(why)
		}
		data.Address = address
		return next(stepPickupHours)
	case stepPickupHours:
		hours := ""
		if in.button != buttonSkip {
			var why string
			if hours, why = b.readText(r.lang, in, hoursField); why != "" {
				return again(why)
			}
		}
		p, err := b.catalog.AddPickupPoint(ctx, r.userID(), catalog.PickupPoint{
			ShopID: data.ShopID, Name: data.Name, Address: data.Address, Hours: hours,
		})
		if err != nil {
			return err
		}
		return b.finishDialog(ctx, r, dialogPickup, b.t(r.lang, "adm_pickup_added", p.Name), screen(verbAdminPickups, data.ShopID))
	}
	return b.endDialog(ctx, r)
}

// --- shipping options ---

func (b *Bot) showShipping(ctx context.Context, r *request, id core.ShopID) error {
	shop, role, err := b.staffShop(ctx, r, id)
	if err != nil {
		return err
	}
	options, err := b.catalog.ShippingOptions(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list shipping options: %w", err)
	}
	lang := r.lang
	lines := []string{b.t(lang, "adm_shipping", shop.Name)}
	k := &keyboard{}
	for _, o := range options {
		lines = append(lines, b.t(lang, "adm_shipping_line", o.Name, b.shippingPrice(lang, o.Price)))
		k.row(button(b.label(lang, "adm_btn_remove", o.Name), verbAdminRemoveShipping, shop.ID, o.ID))
	}
	if len(options) == 0 {
		lines = append(lines, b.t(lang, "adm_shipping_empty"))
	}
	if shop.PaymentMethod == catalog.PayStars {
		// Options left from when the shop took cards can only be removed.
		lines = append(lines, "", b.t(lang, "err_stars_shipping"))
	} else {
		k.row(button(b.label(lang, "adm_btn_add_shipping"), verbAdminAddShipping, shop.ID))
	}
	k.row(b.settingsBack(lang, shop.ID, role))
	return b.show(ctx, r, view{text: strings.Join(lines, "\n"), kb: k.markup()})
}

// shippingPrice writes a shipping price, "free" for zero.
func (b *Bot) shippingPrice(lang string, m core.Money) string {
	if m.IsZero() {
		return b.t(lang, "adm_free")
	}
	return formatMoney(lang, m)
}

// onAdminRemoveShipping stops offering a shipping option: ashr:<shop>:<option>.
func (b *Bot) onAdminRemoveShipping(ctx context.Context, r *request, d callbackData) error {
	return b.removeFromList(ctx, r, d, func(actor core.UserID, id int64) error {
		return b.catalog.RemoveShippingOption(ctx, actor, core.ShippingOptionID(id))
	}, b.showShipping)
}

// Steps of the shipping option conversation.
const (
	stepShippingName  = "so.name"
	stepShippingPrice = "so.price"
)

// shippingDialog is a shipping option being added.
type shippingDialog struct {
	ShopID   core.ShopID   `json:"shop_id"`
	Currency core.Currency `json:"currency"`
	Name     string        `json:"name,omitempty"`
}

func (b *Bot) onAdminAddShipping(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	if shop.PaymentMethod == catalog.PayStars {
		// Refused before the conversation asks anything; the catalog refuses it too.
		return catalog.ErrStarsShipping
	}
	data := shippingDialog{ShopID: shop.ID, Currency: shop.Currency}
	if err := b.startDialog(ctx, r, dialogShipping, stepShippingName, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.shippingPrompt(r.lang, stepShippingName, data))
}

func (b *Bot) shippingPrompt(lang, step string, data shippingDialog) view {
	if step == stepShippingPrice {
		return b.askView(lang, "adm_ask_shipping_price", data.Name, string(data.Currency))
	}
	return b.askView(lang, "adm_ask_shipping_name")
}

// freeWords are what people type for free shipping.
var freeWords = map[string]bool{"free": true, "бесплатно": true, "бесплатная": true}

// shippingStep collects a shipping option's name and price, then adds it.
func (b *Bot) shippingStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data shippingDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.stepMoves(ctx, r, st, &data, func(step string) (view, error) {
		return b.shippingPrompt(r.lang, step, data), nil
	})
	switch st.Step {
	case stepShippingName:
		name, why := b.readText(r.lang, in, optionNameField)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepShippingPrice)
	case stepShippingPrice:
		if in.text == "" {
			return again(b.wrongInput(r.lang, in, "adm_want_price"))
		}
		price := core.Money{Currency: data.Currency}
		if !freeWords[strings.ToLower(in.text)] {
			var err error
			if price, err = core.ParseMoney(in.text, data.Currency); err != nil {
				return again(b.priceProblem(r.lang, err, data.Currency))
			}
		}
		o, err := b.catalog.AddShippingOption(ctx, r.userID(), catalog.ShippingOption{ShopID: data.ShopID, Name: data.Name, Price: price})
		if errors.Is(err, catalog.ErrStarsShipping) {
			// The shop switched to Stars meanwhile: asking again cannot help.
			if err := b.endDialog(ctx, r); err != nil {
				return err
			}
			return catalog.ErrStarsShipping
		}
		if err != nil {
			return err
		}
		return b.finishDialog(ctx, r, dialogShipping, b.t(r.lang, "adm_shipping_added", o.Name), screen(verbAdminShipping, data.ShopID))
	}
	return b.endDialog(ctx, r)
}

// --- reminders ---

// The choices of the reminder settings: abandoned carts recalled after so many hours,
// reviews asked for so many days after completion; 0 is off.
var (
	cartReminderHours = []int{0, 1, 3, 24}
	reviewRequestDays = []int{0, 1, 3, 7}
)

// onAdminReminders shows the shop's reminder settings with their choices: ns:<shop>.
func (b *Bot) onAdminReminders(ctx context.Context, r *request, shop catalog.Shop) error {
	lang := r.lang
	cart := b.t(lang, "rem_adm_off")
	if shop.CartReminder > 0 {
		cart = b.count(lang, "rem_adm_hours", int((shop.CartReminder+time.Hour-1)/time.Hour))
	}
	review := b.t(lang, "rem_adm_off")
	if shop.ReviewRequestDays > 0 {
		review = b.count(lang, "rem_adm_days", shop.ReviewRequestDays)
	}
	text := b.t(lang, "rem_adm_settings", shop.Name, cart, review)
	k := &keyboard{}
	var row []telegoButton
	for _, h := range cartReminderHours {
		label := b.label(lang, "rem_adm_btn_off")
		if h > 0 {
			label = b.label(lang, "rem_adm_btn_hours", h)
		}
		if shop.CartReminder == time.Duration(h)*time.Hour {
			label = "✅ " + label
		}
		row = append(row, button(label, verbAdminCartReminder, shop.ID, h))
	}
	k.row(button(b.label(lang, "rem_adm_btn_cart"), verbNoop))
	k.row(row...)
	row = nil
	for _, days := range reviewRequestDays {
		label := b.label(lang, "rem_adm_btn_off")
		if days > 0 {
			label = b.label(lang, "rem_adm_btn_days", days)
		}
		if shop.ReviewRequestDays == days {
			label = "✅ " + label
		}
		row = append(row, button(label, verbAdminReviewRequest, shop.ID, days))
	}
	k.row(button(b.label(lang, "rem_adm_btn_review"), verbNoop))
	k.row(row...)
	k.row(button(b.label(lang, "btn_back"), verbAdminSettings, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onAdminCartReminder sets after how many hours an abandoned cart is recalled (0:
// never): nc:<shop>:<hours>. The owner's alone.
func (b *Bot) onAdminCartReminder(ctx context.Context, r *request, d callbackData) error {
	return b.setReminder(ctx, r, d, func(n int64) catalog.ShopSettings {
		delay := time.Duration(n) * time.Hour
		return catalog.ShopSettings{CartReminder: &delay}
	})
}

// onAdminReviewRequest sets how many days after completion a review is asked for (0:
// never): nv:<shop>:<days>. The owner's alone.
func (b *Bot) onAdminReviewRequest(ctx context.Context, r *request, d callbackData) error {
	return b.setReminder(ctx, r, d, func(n int64) catalog.ShopSettings {
		days := int(n)
		return catalog.ShopSettings{ReviewRequestDays: &days}
	})
}

// setReminder saves the reminder setting of "<verb>:<shop>:<n>" and shows the
// settings again. Setting a value is idempotent: a double tap saves it twice.
func (b *Bot) setReminder(ctx context.Context, r *request, d callbackData, set func(n int64) catalog.ShopSettings) error {
	a, err := intArgs(d, 2)
	if err != nil || a[1] < 0 || a[1] > 10_000 {
		return errStaleButton
	}
	shop, err := b.ownerShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	shop, err = b.catalog.UpdateSettings(ctx, r.userID(), shop.ID, set(a[1]))
	if err != nil {
		return err
	}
	r.answer(b.label(r.lang, "rem_adm_saved"))
	return b.onAdminReminders(ctx, r, shop)
}
