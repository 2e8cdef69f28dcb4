package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"

	admin "github.com/vitrina-shop/vitrina/bots/telegram/admin"
)

// Settings in the admin menu (the owner's): name, payment, reservation time,
// pickup points and shipping options. The name and the reservation time are
// changed by the edit conversation (admin, products.go), the payment by the sell
// conversation (sell.go).

func (b *Feature) onAdminSettings(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	points, err := b.catalog.PickupPoints(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list pickup points: %w", err)
	}
	options, err := b.catalog.ShippingOptions(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list shipping options: %w", err)
	}
	lang := r.Lang
	payment := b.a.PaymentLabel(lang, shop)
	if shop.PaymentMethod == catalog.PayCard {
		switch {
		case shop.ProviderToken != "":
			payment += b.k.T(lang, "adm_provider_own")
		case b.providerToken != "":
			payment += b.k.T(lang, "adm_provider_platform")
		default:
			// The shop is on the platform's provider and the platform has none now:
			// buyers are refused at checkout until either has a token.
			payment += b.k.T(lang, "adm_provider_platform_missing")
		}
	}
	text := b.k.T(lang, "adm_settings", shop.Name, telegram.HTML(payment),
		b.k.Duration(lang, shop.ReservationTTL), len(points), len(options))
	k := &telegram.Keyboard{}
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_rename"), admin.VerbAdminRename, shop.ID),
		telegram.Button(b.k.Label(lang, "adm_btn_payment"), admin.VerbAdminPayment, shop.ID),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_reservation"), admin.VerbAdminReservation, shop.ID),
		telegram.Button(b.k.Label(lang, "rem_adm_btn_reminders"), admin.VerbAdminReminders, shop.ID),
	)
	row := []telegram.TelegoButton{telegram.Button(b.k.Label(lang, "adm_btn_pickups"), admin.VerbAdminPickups, shop.ID)}
	if shop.PaymentMethod == catalog.PayCard || len(options) > 0 {
		// Stars invoices carry no shipping (telegram-facts.md).
		row = append(row, telegram.Button(b.k.Label(lang, "adm_btn_shipping"), admin.VerbAdminShipping, shop.ID))
	}
	k.Row(row...)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// settingsBack is the Back button of a screen under Settings: the settings for
// the owner, the shop's menu for a manager.
func (b *Feature) settingsBack(lang string, shop core.ShopID, role catalog.Role) telegram.TelegoButton {
	if role == catalog.RoleOwner {
		return telegram.Button(b.k.Label(lang, "btn_back"), admin.VerbAdminSettings, shop)
	}
	return telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, shop)
}

func (b *Feature) showPickups(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	shop, role, err := b.k.StaffShop(ctx, r, id)
	if err != nil {
		return err
	}
	points, err := b.catalog.PickupPoints(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list pickup points: %w", err)
	}
	lang := r.Lang
	lines := []string{b.k.T(lang, "adm_pickups", shop.Name)}
	k := &telegram.Keyboard{}
	for _, p := range points {
		line := b.k.T(lang, "adm_pickup_line", p.Name, p.Address)
		if p.Hours != "" {
			line += b.k.T(lang, "delivery_hours", p.Hours)
		}
		lines = append(lines, line)
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_remove", p.Name), admin.VerbAdminRemovePickup, shop.ID, p.ID))
	}
	if len(points) == 0 {
		lines = append(lines, b.k.T(lang, "adm_pickups_empty"))
	}
	k.Row(telegram.Button(b.k.Label(lang, "adm_btn_add_pickup"), admin.VerbAdminAddPickup, shop.ID))
	k.Row(b.settingsBack(lang, shop.ID, role))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

// onAdminRemovePickup stops offering a pickup point: aptr:<shop>:<point>.
func (b *Feature) onAdminRemovePickup(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.removeFromList(ctx, r, d, func(actor core.UserID, id int64) error {
		return b.catalog.RemovePickupPoint(ctx, actor, core.PickupPointID(id))
	}, b.showPickups)
}

// removeFromList handles "<verb>:<shop>:<id>", a staff member removing a record of
// the shop's (remove): they are told, and see the list again (list).
func (b *Feature) removeFromList(ctx context.Context, r *telegram.Request, d telegram.CallbackData, remove func(actor core.UserID, id int64) error,
	list func(context.Context, *telegram.Request, core.ShopID) error) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	shop, _, err := b.k.StaffShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	if err := remove(r.UserID(), a[1]); err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "adm_removed"))
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

func (b *Feature) onAdminAddPickup(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	data := pickupDialog{ShopID: shop.ID}
	if err := b.k.StartDialog(ctx, r, telegram.DialogPickup, stepPickupName, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.pickupPrompt(r.Lang, stepPickupName))
}

func (b *Feature) pickupPrompt(lang, step string) telegram.View {
	switch step {
	case stepPickupAddress:
		return b.a.AskView(lang, "adm_ask_pickup_address")
	case stepPickupHours:
		v := b.a.AskView(lang, "adm_ask_pickup_hours")
		v.Keyboard = (&telegram.Keyboard{}).Row(telegram.StepButton(b.k.Label(lang, "adm_btn_skip"), step, telegram.ButtonSkip)).Markup()
		return v
	}
	return b.a.AskView(lang, "adm_ask_pickup_name")
}

// pickupStep collects a pickup point's name, address and hours, then adds it.
func (b *Feature) pickupStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data pickupDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.pickupPrompt(r.Lang, step), nil
	})
	switch st.Step {
	case stepPickupName:
		name, why := b.k.ReadText(r.Lang, in, telegram.PlaceNameField)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepPickupAddress)
	case stepPickupAddress:
		address, why := b.k.ReadText(r.Lang, in, telegram.AddressField)
		if why != "" {
			return again(why)
		}
		data.Address = address
		return next(stepPickupHours)
	case stepPickupHours:
		hours := ""
		if in.Button != telegram.ButtonSkip {
			var why string
			if hours, why = b.k.ReadText(r.Lang, in, telegram.HoursField); why != "" {
				return again(why)
			}
		}
		p, err := b.catalog.AddPickupPoint(ctx, r.UserID(), catalog.PickupPoint{
			ShopID: data.ShopID, Name: data.Name, Address: data.Address, Hours: hours,
		})
		if err != nil {
			return err
		}
		return b.k.FinishDialog(ctx, r, telegram.DialogPickup, b.k.T(r.Lang, "adm_pickup_added", p.Name), telegram.Screen(admin.VerbAdminPickups, data.ShopID))
	}
	return b.k.EndDialog(ctx, r)
}

func (b *Feature) showShipping(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	shop, role, err := b.k.StaffShop(ctx, r, id)
	if err != nil {
		return err
	}
	options, err := b.catalog.ShippingOptions(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list shipping options: %w", err)
	}
	lang := r.Lang
	lines := []string{b.k.T(lang, "adm_shipping", shop.Name)}
	k := &telegram.Keyboard{}
	for _, o := range options {
		lines = append(lines, b.k.T(lang, "adm_shipping_line", o.Name, b.shippingPrice(lang, o.Price)))
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_remove", o.Name), admin.VerbAdminRemoveShipping, shop.ID, o.ID))
	}
	if len(options) == 0 {
		lines = append(lines, b.k.T(lang, "adm_shipping_empty"))
	}
	if shop.PaymentMethod == catalog.PayStars {
		// Options left from when the shop took cards can only be removed.
		lines = append(lines, "", b.k.T(lang, "err_stars_shipping"))
	} else {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_add_shipping"), admin.VerbAdminAddShipping, shop.ID))
	}
	k.Row(b.settingsBack(lang, shop.ID, role))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

// shippingPrice writes a shipping price, "free" for zero.
func (b *Feature) shippingPrice(lang string, m core.Money) string {
	if m.IsZero() {
		return b.k.T(lang, "adm_free")
	}
	return telegram.FormatMoney(lang, m)
}

// onAdminRemoveShipping stops offering a shipping option: ashr:<shop>:<option>.
func (b *Feature) onAdminRemoveShipping(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
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

func (b *Feature) onAdminAddShipping(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	if shop.PaymentMethod == catalog.PayStars {
		// Refused before the conversation asks anything; the catalog refuses it too.
		return catalog.ErrStarsShipping
	}
	data := shippingDialog{ShopID: shop.ID, Currency: shop.Currency}
	if err := b.k.StartDialog(ctx, r, telegram.DialogShipping, stepShippingName, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.shippingPrompt(r.Lang, stepShippingName, data))
}

func (b *Feature) shippingPrompt(lang, step string, data shippingDialog) telegram.View {
	if step == stepShippingPrice {
		return b.a.AskView(lang, "adm_ask_shipping_price", data.Name, string(data.Currency))
	}
	return b.a.AskView(lang, "adm_ask_shipping_name")
}

// freeWords are what people type for free shipping.
var freeWords = map[string]bool{"free": true, "бесплатно": true, "бесплатная": true}

// shippingStep collects a shipping option's name and price, then adds it.
func (b *Feature) shippingStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data shippingDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.shippingPrompt(r.Lang, step, data), nil
	})
	switch st.Step {
	case stepShippingName:
		name, why := b.k.ReadText(r.Lang, in, telegram.OptionNameField)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepShippingPrice)
	case stepShippingPrice:
		if in.Text == "" {
			return again(b.k.WrongInput(r.Lang, in, "adm_want_price"))
		}
		price := core.Money{Currency: data.Currency}
		if !freeWords[strings.ToLower(in.Text)] {
			var err error
			if price, err = core.ParseMoney(in.Text, data.Currency); err != nil {
				return again(b.k.PriceProblem(r.Lang, err, data.Currency))
			}
		}
		o, err := b.catalog.AddShippingOption(ctx, r.UserID(), catalog.ShippingOption{ShopID: data.ShopID, Name: data.Name, Price: price})
		if errors.Is(err, catalog.ErrStarsShipping) {
			// The shop switched to Stars meanwhile: asking again cannot help.
			if err := b.k.EndDialog(ctx, r); err != nil {
				return err
			}
			return catalog.ErrStarsShipping
		}
		if err != nil {
			return err
		}
		return b.k.FinishDialog(ctx, r, telegram.DialogShipping, b.k.T(r.Lang, "adm_shipping_added", o.Name), telegram.Screen(admin.VerbAdminShipping, data.ShopID))
	}
	return b.k.EndDialog(ctx, r)
}

// The choices of the reminder settings: abandoned carts recalled after so many hours,
// reviews asked for so many days after completion; 0 is off.
var (
	cartReminderHours = []int{0, 1, 3, 24}
	reviewRequestDays = []int{0, 1, 3, 7}
)

// onAdminReminders shows the shop's reminder settings with their choices: ns:<shop>.
func (b *Feature) onAdminReminders(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	lang := r.Lang
	cart := b.k.T(lang, "rem_adm_off")
	if shop.CartReminder > 0 {
		cart = b.k.Count(lang, "rem_adm_hours", int((shop.CartReminder+time.Hour-1)/time.Hour))
	}
	review := b.k.T(lang, "rem_adm_off")
	if shop.ReviewRequestDays > 0 {
		review = b.k.Count(lang, "rem_adm_days", shop.ReviewRequestDays)
	}
	text := b.k.T(lang, "rem_adm_settings", shop.Name, cart, review)
	k := &telegram.Keyboard{}
	var row []telegram.TelegoButton
	for _, h := range cartReminderHours {
		label := b.k.Label(lang, "rem_adm_btn_off")
		if h > 0 {
			label = b.k.Label(lang, "rem_adm_btn_hours", h)
		}
		if shop.CartReminder == time.Duration(h)*time.Hour {
			label = "✅ " + label
		}
		row = append(row, telegram.Button(label, admin.VerbAdminCartReminder, shop.ID, h))
	}
	k.Row(telegram.Button(b.k.Label(lang, "rem_adm_btn_cart"), telegram.VerbNoop))
	k.Row(row...)
	row = nil
	for _, days := range reviewRequestDays {
		label := b.k.Label(lang, "rem_adm_btn_off")
		if days > 0 {
			label = b.k.Label(lang, "rem_adm_btn_days", days)
		}
		if shop.ReviewRequestDays == days {
			label = "✅ " + label
		}
		row = append(row, telegram.Button(label, admin.VerbAdminReviewRequest, shop.ID, days))
	}
	k.Row(telegram.Button(b.k.Label(lang, "rem_adm_btn_review"), telegram.VerbNoop))
	k.Row(row...)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), admin.VerbAdminSettings, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onAdminCartReminder sets after how many hours an abandoned cart is recalled (0:
// never): nc:<shop>:<hours>. The owner's alone.
func (b *Feature) onAdminCartReminder(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.setReminder(ctx, r, d, func(n int64) catalog.ShopSettings {
		delay := time.Duration(n) * time.Hour
		return catalog.ShopSettings{CartReminder: &delay}
	})
}

// onAdminReviewRequest sets how many days after completion a review is asked for (0:
// never): nv:<shop>:<days>. The owner's alone.
func (b *Feature) onAdminReviewRequest(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.setReminder(ctx, r, d, func(n int64) catalog.ShopSettings {
		days := int(n)
		return catalog.ShopSettings{ReviewRequestDays: &days}
	})
}

// setReminder saves the reminder setting of "<verb>:<shop>:<n>" and shows the
// settings again. Setting a value is idempotent: a double tap saves it twice.
func (b *Feature) setReminder(ctx context.Context, r *telegram.Request, d telegram.CallbackData, set func(n int64) catalog.ShopSettings) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil || a[1] < 0 || a[1] > 10_000 {
		return telegram.ErrStaleButton
	}
	shop, err := b.k.OwnerShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	shop, err = b.catalog.UpdateSettings(ctx, r.UserID(), shop.ID, set(a[1]))
	if err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "rem_adm_saved"))
	return b.onAdminReminders(ctx, r, shop)
}

// settingsRoutes registers /sell, the shop's settings, reminders and staff, and their conversations.
func (b *Feature) settingsRoutes(r *telegram.Router) {
	r.Command("sell", b.cmdSell, "cmd_sell")
	r.Command(telegram.InviteCommand, b.acceptInvite, "")
	for verb, fn := range map[string]telegram.CallbackFunc{
		admin.VerbAdminSettings:       b.k.ForOwner(b.onAdminSettings),
		admin.VerbAdminRename:         b.k.ForOwner(b.a.OnAdminRename),
		admin.VerbAdminPayment:        b.k.ForOwner(b.onAdminPayment),
		admin.VerbAdminReservation:    b.k.ForOwner(b.a.OnAdminReservation),
		admin.VerbAdminPickups:        telegram.WithID(b.showPickups),
		admin.VerbAdminAddPickup:      b.k.ForStaff(b.onAdminAddPickup),
		admin.VerbAdminRemovePickup:   b.onAdminRemovePickup,
		admin.VerbAdminShipping:       telegram.WithID(b.showShipping),
		admin.VerbAdminAddShipping:    b.k.ForStaff(b.onAdminAddShipping),
		admin.VerbAdminRemoveShipping: b.onAdminRemoveShipping,
		admin.VerbAdminStaff:          b.onAdminStaff,
		admin.VerbAdminInvite:         b.k.ForOwner(b.onAdminInvite),
		admin.VerbAdminRemoveAsk:      b.onAdminRemoveAsk,
		admin.VerbAdminRemoveStaff:    b.onAdminRemoveStaff,
	} {
		r.Callback(verb, fn)
	}
	r.Callback(admin.VerbAdminReminders, b.k.ForOwner(b.onAdminReminders))
	r.Callback(admin.VerbAdminCartReminder, b.onAdminCartReminder)
	r.Callback(admin.VerbAdminReviewRequest, b.onAdminReviewRequest)
	r.Conversation(telegram.DialogSell, b.sellStep, b.k.DialogStep)
	r.Conversation(telegram.DialogPickup, b.pickupStep, b.k.DialogStep)
	r.Conversation(telegram.DialogShipping, b.shippingStep, b.k.DialogStep)
}
