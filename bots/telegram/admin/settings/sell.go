package settings

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"

	admin "github.com/vitrina-shop/vitrina/bots/telegram/admin"
)

// /sell: a conversation that opens a shop. name -> payment method -> (card:
// currency -> provider token) -> the shop, then its menu. The same conversation,
// from the method step, changes an existing shop's payment (Settings -> Payment).

// Steps of the sell conversation.
const (
	stepSellName     = "s.name"
	stepSellMethod   = "s.method"
	stepSellCurrency = "s.cur"
	stepSellToken    = "s.token"
)

// sellDialog is what the sell conversation collected.
type sellDialog struct {
	// ShopID is the shop whose payment changes; 0 opens a new shop.
	ShopID   core.ShopID           `json:"shop_id,omitempty"`
	Name     string                `json:"name,omitempty"`
	Method   catalog.PaymentMethod `json:"method,omitempty"`
	Currency core.Currency         `json:"currency,omitempty"`
}

// cardCurrencies are offered as buttons; any other currency Vitrina knows can be
// typed.
var cardCurrencies = []core.Currency{"RUB", "USD", "EUR", "KZT", "UZS", "BYN", "GEL", "AMD", "TRY"}

// cmdSell starts opening a shop. "/sell Name" gives the name at once.
func (b *Feature) cmdSell(ctx context.Context, r *telegram.Request, arg string) error {
	if err := b.k.StartDialog(ctx, r, telegram.DialogSell, stepSellName, sellDialog{}); err != nil {
		return err
	}
	if arg != "" {
		return b.sellStep(ctx, r, dialog.State{Kind: telegram.DialogSell, Step: stepSellName}, telegram.Input{Text: arg})
	}
	return b.k.Show(ctx, r, b.sellPrompt(r.Lang, stepSellName, sellDialog{}))
}

// onAdminPayment starts changing a shop's payment method (owner only).
func (b *Feature) onAdminPayment(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	data := sellDialog{ShopID: shop.ID, Name: shop.Name}
	if err := b.k.StartDialog(ctx, r, telegram.DialogSell, stepSellMethod, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.sellPrompt(r.Lang, stepSellMethod, data))
}

// sellPrompt asks a step's question.
func (b *Feature) sellPrompt(lang, step string, data sellDialog) telegram.View {
	k := &telegram.Keyboard{}
	var text string
	switch step {
	case stepSellName:
		text = b.k.T(lang, "sell_ask_name")
	case stepSellMethod:
		text = b.k.T(lang, "sell_ask_method", data.Name)
		k.Row(telegram.StepButton(b.k.Label(lang, "sell_btn_stars"), step, string(catalog.PayStars)))
		k.Row(telegram.StepButton(b.k.Label(lang, "sell_btn_card"), step, string(catalog.PayCard)))
	case stepSellCurrency:
		text = b.k.T(lang, "sell_ask_currency")
		var row []telegram.TelegoButton
		for _, c := range cardCurrencies {
			row = append(row, telegram.StepButton(string(c), step, string(c)))
			if len(row) == 3 {
				k.Row(row...)
				row = nil
			}
		}
		k.Row(row...)
	case stepSellToken:
		text = b.k.T(lang, "sell_ask_token", string(data.Currency))
		if b.providerToken != "" {
			text += "\n\n" + b.k.T(lang, "sell_token_default")
			k.Row(telegram.StepButton(b.k.Label(lang, "sell_btn_platform_token"), step, telegram.ButtonSkip))
		}
	}
	return telegram.View{Text: text + "\n\n" + b.k.T(lang, "adm_cancel_hint"), Keyboard: k.Markup()}
}

// sellStep handles one input of the sell conversation.
func (b *Feature) sellStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data sellDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.sellPrompt(r.Lang, step, data), nil
	})

	switch st.Step {
	case stepSellName:
		name, why := b.k.ReadText(r.Lang, in, telegram.ShopNameField)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepSellMethod)

	case stepSellMethod:
		method, ok := parsePaymentMethod(in)
		if !ok {
			return again(b.k.WrongInput(r.Lang, in, "sell_want_method"))
		}
		data.Method = method
		if method == catalog.PayStars {
			data.Currency = core.Stars
			return b.saveShop(ctx, r, st, data, "", false)
		}
		return next(stepSellCurrency)

	case stepSellCurrency:
		raw := in.Text
		if in.Button != "" && in.Command == "" {
			raw = in.Button
		}
		if raw == "" {
			return again(b.k.WrongInput(r.Lang, in, "sell_want_currency"))
		}
		cur, err := core.ParseCurrency(raw)
		if err != nil {
			return again(b.k.T(r.Lang, "err_currency_unknown"))
		}
		if cur == core.Stars {
			return again(b.k.T(r.Lang, "err_card_currency"))
		}
		data.Currency = cur
		return next(stepSellToken)

	case stepSellToken:
		switch {
		case in.Button == telegram.ButtonSkip && b.providerToken != "":
			// The shop keeps no token: its invoices take the platform's token of the
			// day (sendInvoice), so a rotated platform token reaches every shop on it.
			return b.saveShop(ctx, r, st, data, "", true)
		case in.Button == telegram.ButtonSkip:
			return again(b.k.T(r.Lang, "sell_token_required"))
		case in.Text == "":
			return again(b.k.WrongInput(r.Lang, in, "sell_want_token"))
		}
		// The token is a secret sitting in the chat: delete the message, whatever
		// becomes of it.
		b.deleteMessage(ctx, r.ChatID, r.Msg.MessageID)
		if !validProviderToken(in.Text) {
			return again(b.k.T(r.Lang, "sell_token_invalid"))
		}
		return b.saveShop(ctx, r, st, data, in.Text, false)
	}
	return b.k.EndDialog(ctx, r)
}

// saveShop opens the shop the conversation describes, or changes the payment of
// the shop it is about, and shows the shop's menu or settings. A card shop takes
// payments with its own token, or through the platform's provider when platform
// is set (token is then "").
func (b *Feature) saveShop(ctx context.Context, r *telegram.Request, st dialog.State, data sellDialog, token string, platform bool) error {
	if data.ShopID == 0 {
		shop, err := b.catalog.CreateShop(ctx, r.UserID(), catalog.NewShop{
			Name: data.Name, Currency: data.Currency, PaymentMethod: data.Method, ProviderToken: token,
			PlatformProvider: platform,
		})
		if err != nil {
			return err
		}
		return b.k.FinishDialog(ctx, r, telegram.DialogSell, b.k.T(r.Lang, "sell_done", shop.Name), telegram.Screen(telegram.VerbAdminMenu, shop.ID))
	}
	set := catalog.ShopSettings{PaymentMethod: &data.Method, Currency: &data.Currency, PlatformProvider: platform}
	if !platform {
		set.ProviderToken = &token // "" for Stars: the shop keeps no card token
	}
	_, err := b.catalog.UpdateSettings(ctx, r.UserID(), data.ShopID, set)
	if errors.Is(err, catalog.ErrCurrencyLocked) {
		// Prices are in the shop's currency: only the method or the token may change.
		data.Currency = ""
		if err := b.k.PutStep(ctx, r, st, stepSellMethod, data); err != nil {
			return err
		}
		return b.k.Reprompt(ctx, r, b.k.T(r.Lang, "err_currency_locked"), b.sellPrompt(r.Lang, stepSellMethod, data))
	}
	if err != nil {
		return err
	}
	return b.k.FinishDialog(ctx, r, telegram.DialogSell, b.k.T(r.Lang, "adm_payment_saved"), telegram.Screen(admin.VerbAdminSettings, data.ShopID))
}

// parsePaymentMethod reads the method step: its buttons, or the words people type.
func parsePaymentMethod(in telegram.Input) (catalog.PaymentMethod, bool) {
	v := strings.ToLower(in.Button + in.Text)
	switch {
	case v == string(catalog.PayStars), strings.Contains(v, "звёзд"), strings.Contains(v, "звезд"), strings.Contains(v, "star"), v == "⭐":
		return catalog.PayStars, true
	case v == string(catalog.PayCard), strings.Contains(v, "карт"), strings.Contains(v, "card"), v == "💳":
		return catalog.PayCard, true
	}
	return "", false
}

// validProviderToken reports whether s looks like a payment provider token from
// BotFather, "<provider id>:<TEST|LIVE>:<secret>": it catches a pasted wrong line,
// not every wrong token (Telegram refuses those at the first invoice).
func validProviderToken(s string) bool {
	if len(s) > 256 || strings.ContainsFunc(s, unicode.IsSpace) {
		return false
	}
	id, rest, ok := strings.Cut(s, ":")
	if !ok || id == "" || rest == "" {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// deleteMessage deletes a message, best effort: a message too old or already gone
// stays or is gone, and neither is worth failing the update for.
func (b *Feature) deleteMessage(ctx context.Context, chatID int64, messageID int) {
	err := b.api.DeleteMessage(ctx, &telego.DeleteMessageParams{ChatID: tu.ID(chatID), MessageID: messageID})
	if err != nil {
		b.log.DebugContext(ctx, "delete message", "err", err)
	}
}
