package telegram

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
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

// maxShopName is the catalog's limit on a shop's name, checked here too so the
// conversation can ask again at once.
const maxShopName = 64

// cmdSell starts opening a shop. "/sell Name" gives the name at once.
func (b *Bot) cmdSell(ctx context.Context, r *request, arg string) error {
	if err := b.startDialog(ctx, r, dialogSell, stepSellName, sellDialog{}); err != nil {
		return err
	}
	if arg != "" {
		return b.sellStep(ctx, r, dialog.State{Kind: dialogSell, Step: stepSellName}, adminInput{text: arg})
	}
	return b.show(ctx, r, b.sellPrompt(r.lang, stepSellName, sellDialog{}))
}

// onAdminPayment starts changing a shop's payment method (owner only).
func (b *Bot) onAdminPayment(ctx context.Context, r *request, shop catalog.Shop) error {
	data := sellDialog{ShopID: shop.ID, Name: shop.Name}
	if err := b.startDialog(ctx, r, dialogSell, stepSellMethod, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.sellPrompt(r.lang, stepSellMethod, data))
}

// sellPrompt asks a step's question.
func (b *Bot) sellPrompt(lang, step string, data sellDialog) view {
	k := &keyboard{}
	var text string
	switch step {
	case stepSellName:
		text = b.t(lang, "sell_ask_name")
	case stepSellMethod:
		text = b.t(lang, "sell_ask_method", data.Name)
		k.row(stepButton(b.label(lang, "sell_btn_stars"), step, string(catalog.PayStars)))
		k.row(stepButton(b.label(lang, "sell_btn_card"), step, string(catalog.PayCard)))
	case stepSellCurrency:
		text = b.t(lang, "sell_ask_currency")
		var row []telegoButton
		for _, c := range cardCurrencies {
			row = append(row, stepButton(string(c), step, string(c)))
			if len(row) == 3 {
				k.row(row...)
				row = nil
			}
		}
		k.row(row...)
	case stepSellToken:
		text = b.t(lang, "sell_ask_token", string(data.Currency))
		if b.providerToken != "" {
			text += "\n\n" + b.t(lang, "sell_token_default")
			k.row(stepButton(b.label(lang, "sell_btn_platform_token"), step, buttonSkip))
		}
	}
	return view{text: text + "\n\n" + b.t(lang, "adm_cancel_hint"), kb: k.markup()}
}

// sellStep handles one input of the sell conversation.
func (b *Bot) sellStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data sellDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.stepMoves(ctx, r, st, &data, func(step string) (view, error) {
		return b.sellPrompt(r.lang, step, data), nil
	})

	switch st.Step {
	case stepSellName:
		name, why := b.readText(r.lang, in, shopNameField)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepSellMethod)

	case stepSellMethod:
		method, ok := parsePaymentMethod(in)
		if !ok {
			return again(b.wrongInput(r.lang, in, "sell_want_method"))
		}
		data.Method = method
		if method == catalog.PayStars {
			data.Currency = core.Stars
			return b.saveShop(ctx, r, st, data, "", false)
		}
		return next(stepSellCurrency)

	case stepSellCurrency:
		raw := in.text
		if in.button != "" && in.command == "" {
			raw = in.button
		}
		if raw == "" {
			return again(b.wrongInput(r.lang, in, "sell_want_currency"))
		}
		cur, err := core.ParseCurrency(raw)
		if err != nil {
			return again(b.t(r.lang, "err_currency_unknown"))
		}
		if cur == core.Stars {
			return again(b.t(r.lang, "err_card_currency"))
		}
		data.Currency = cur
		return next(stepSellToken)

	case stepSellToken:
		switch {
		case in.button == buttonSkip && b.providerToken != "":
			// The shop keeps no token: its invoices take the platform's token of the
			// day (sendInvoice), so a rotated platform token reaches every shop on it.
			return b.saveShop(ctx, r, st, data, "", true)
		case in.button == buttonSkip:
			return again(b.t(r.lang, "sell_token_required"))
		case in.text == "":
			return again(b.wrongInput(r.lang, in, "sell_want_token"))
		}
		// The token is a secret sitting in the chat: delete the message, whatever
		// becomes of it.
		b.deleteMessage(ctx, r.chatID, r.msg.MessageID)
		if !validProviderToken(in.text) {
			return again(b.t(r.lang, "sell_token_invalid"))
		}
		return b.saveShop(ctx, r, st, data, in.text, false)
	}
	return b.endDialog(ctx, r)
}

// saveShop opens the shop the conversation describes, or changes the payment of
// the shop it is about, and shows the shop's menu or settings. A card shop takes
// payments with its own token, or through the platform's provider when platform
// is set (token is then "").
func (b *Bot) saveShop(ctx context.Context, r *request, st dialog.State, data sellDialog, token string, platform bool) error {
	if data.ShopID == 0 {
		shop, err := b.catalog.CreateShop(ctx, r.userID(), catalog.NewShop{
			Name: data.Name, Currency: data.Currency, PaymentMethod: data.Method, ProviderToken: token,
			PlatformProvider: platform,
		})
		if err != nil {
			return err
		}
		return b.finishDialog(ctx, r, dialogSell, b.t(r.lang, "sell_done", shop.Name), screen(verbAdminMenu, shop.ID))
	}
	set := catalog.ShopSettings{PaymentMethod: &data.Method, Currency: &data.Currency, PlatformProvider: platform}
	if !platform {
		set.ProviderToken = &token // "" for Stars: the shop keeps no card token
	}
	_, err := b.catalog.UpdateSettings(ctx, r.userID(), data.ShopID, set)
	if errors.Is(err, catalog.ErrCurrencyLocked) {
		// Prices are in the shop's currency: only the method or the token may change.
		data.Currency = ""
		if err := b.putStep(ctx, r, st, stepSellMethod, data); err != nil {
			return err
		}
		return b.reprompt(ctx, r, b.t(r.lang, "err_currency_locked"), b.sellPrompt(r.lang, stepSellMethod, data))
	}
	if err != nil {
		return err
	}
	return b.finishDialog(ctx, r, dialogSell, b.t(r.lang, "adm_payment_saved"), screen(verbAdminSettings, data.ShopID))
}

// parsePaymentMethod reads the method step: its buttons, or the words people type.
func parsePaymentMethod(in adminInput) (catalog.PaymentMethod, bool) {
	v := strings.ToLower(in.button + in.text)
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

// validLine reports whether s, trimmed, is one line of 1 to most characters
// without control characters, something visible among them: the catalog's rule
// for names, checked early so a conversation can ask again, and a name nobody can
// see refused.
func validLine(s string, most int) bool {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= most && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) && core.Visible(s)
}

// validText reports whether s, trimmed, is at most most characters without control
// characters other than line breaks and tabs: the catalog's rule for descriptions
// and addresses.
func validText(s string, most int) bool {
	s = strings.TrimSpace(s)
	return utf8.RuneCountInString(s) <= most && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' })
}

// deleteMessage deletes a message, best effort: a message too old or already gone
// stays or is gone, and neither is worth failing the update for.
func (b *Bot) deleteMessage(ctx context.Context, chatID int64, messageID int) {
	err := b.api.DeleteMessage(ctx, &telego.DeleteMessageParams{ChatID: tu.ID(chatID), MessageID: messageID})
	if err != nil {
		b.log.DebugContext(ctx, "delete message", "err", err)
	}
}
