package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
)

// fakeBot is a small bot behind a webhook: it records every update (and the secret it came with)
// and answers through the sandbox's Bot API with a telego client, the way the real bot does. What it
// answers is chosen by the text it gets, so a test can make it send any kind of message.
type fakeBot struct {
	bot      *telego.Bot
	username string
	secret   string

	mu      sync.Mutex
	updates []telego.Update
	secrets []string
	decline string // pre-checkout error message; "" approves
}

func (fb *fakeBot) received() []telego.Update {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	return append([]telego.Update(nil), fb.updates...)
}

func (fb *fakeBot) receivedSecrets() []string {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	return append([]string(nil), fb.secrets...)
}

func (fb *fakeBot) setDecline(msg string) {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	fb.decline = msg
}

// ServeHTTP handles one update synchronously and answers 200, like the production webhook.
func (fb *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var u telego.Update
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fb.mu.Lock()
	fb.updates = append(fb.updates, u)
	fb.secrets = append(fb.secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	fb.mu.Unlock()
	if err := fb.handle(r.Context(), u); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (fb *fakeBot) handle(ctx context.Context, u telego.Update) error {
	api := fb.bot
	switch {
	case u.Message != nil && u.Message.SuccessfulPayment != nil:
		_, err := api.SendMessage(ctx, tu.Message(tu.ID(u.Message.Chat.ID), "Thank you! Order "+u.Message.SuccessfulPayment.InvoicePayload+" is paid."))
		return err
	case u.Message != nil && u.Message.Document != nil:
		d := u.Message.Document
		_, err := api.SendMessage(ctx, tu.Messagef(tu.ID(u.Message.Chat.ID), "Got %s (%d bytes, %s)", d.FileName, d.FileSize, d.MimeType))
		return err
	case u.Message != nil && len(u.Message.Photo) > 0:
		_, err := api.SendMessage(ctx, tu.Message(tu.ID(u.Message.Chat.ID), "Nice photo: "+u.Message.Caption))
		return err
	case u.Message != nil:
		return fb.onText(ctx, u.Message)
	case u.CallbackQuery != nil:
		return fb.onCallback(ctx, u.CallbackQuery)
	case u.InlineQuery != nil:
		q := u.InlineQuery
		link := fmt.Sprintf("https://t.me/%s?start=p_1", fb.username)
		kb := tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Open in the bot").WithURL(link)))
		results := []telego.InlineQueryResult{
			tu.ResultArticle("p1", "Red dress", &telego.InputTextMessageContent{
				MessageText: "<b>Red dress</b>\nPrice: 1,500.00 ₽ (query " + q.Query + ")", ParseMode: telego.ModeHTML,
			}).WithDescription("1,500.00 ₽").WithReplyMarkup(kb),
			tu.ResultArticle("p2", "Blue scarf", tu.TextMessage("Blue scarf")).WithDescription("700.00 ₽"),
		}
		return api.AnswerInlineQuery(ctx, tu.InlineQuery(q.ID, results...).WithCacheTime(0))
	case u.ShippingQuery != nil:
		return api.AnswerShippingQuery(ctx, tu.ShippingQuery(u.ShippingQuery.ID, true,
			tu.ShippingOption("courier", "Courier", tu.LabeledPrice("Courier", 30000)),
			tu.ShippingOption("post", "Russian Post", tu.LabeledPrice("Post", 15000))))
	case u.PreCheckoutQuery != nil:
		fb.mu.Lock()
		decline := fb.decline
		fb.mu.Unlock()
		if decline != "" {
			return api.AnswerPreCheckoutQuery(ctx, tu.PreCheckoutQuery(u.PreCheckoutQuery.ID, false).WithErrorMessage(decline))
		}
		return api.AnswerPreCheckoutQuery(ctx, tu.PreCheckoutQuery(u.PreCheckoutQuery.ID, true))
	}
	return nil
}

func (fb *fakeBot) onText(ctx context.Context, m *telego.Message) error {
	api := fb.bot
	chat := tu.ID(m.Chat.ID)
	text := m.Text
	switch {
	case strings.HasPrefix(text, "/start"):
		payload := strings.TrimSpace(strings.TrimPrefix(text, "/start"))
		kb := tu.InlineKeyboard(
			tu.InlineKeyboardRow(tu.InlineKeyboardButton("Catalog").WithCallbackData("cat:1")),
			tu.InlineKeyboardRow(tu.InlineKeyboardButton("Alert").WithCallbackData("alert"),
				tu.InlineKeyboardButton("Site").WithURL("https://example.com/")),
			tu.InlineKeyboardRow(tu.InlineKeyboardButton("Share").WithSwitchInlineQueryCurrentChat("dress")),
		)
		msg := "<b>Welcome</b> to the <i>demo shop</i>!"
		if payload != "" {
			msg += " You came for <code>" + payload + "</code>."
		}
		if _, err := api.SendMessage(ctx, tu.Message(chat, msg).WithParseMode(telego.ModeHTML).WithReplyMarkup(kb)); err != nil {
			return err
		}
		_, err := api.SendMessage(ctx, tu.Message(chat, "Or use the keyboard below.").WithReplyMarkup(
			tu.Keyboard(tu.KeyboardRow(tu.KeyboardButton("Help"), tu.KeyboardButton("Photo")),
				tu.KeyboardRow(tu.KeyboardButton("Invoice"), tu.KeyboardButton("Stars"), tu.KeyboardButton("CSV"))).
				WithResizeKeyboard().WithInputFieldPlaceholder("Ask the shop")))
		return err
	case text == "Help":
		_, err := api.SendMessage(ctx, tu.Message(chat,
			"<b>bold</b> <i>italic</i> <u>under</u> <s>struck</s> <tg-spoiler>secret</tg-spoiler> 💎 <code>code</code>\n"+
				"<pre><code class=\"language-go\">fmt.Println(\"hi\")</code></pre>"+
				"<a href=\"https://example.com/\">a link</a> <b>bold <i>and italic</i></b> &lt;script&gt;\n"+
				"<blockquote>A quote</blockquote>").WithParseMode(telego.ModeHTML))
		return err
	case text == "Photo":
		_, err := api.SendPhoto(ctx, tu.Photo(chat, tu.FileFromBytes(pngImage(), "dress.png")).
			WithCaption("<b>Red dress</b> — 1,500.00 ₽").WithParseMode(telego.ModeHTML).
			WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Buy now").WithCallbackData("buy:1")))))
		return err
	case text == "CSV":
		_, err := api.SendDocument(ctx, tu.Document(chat, tu.FileFromBytes([]byte("sku,price,stock\nDRESS-RED-S,1500.00,3\n"), "stock.csv")).
			WithCaption("Your stock"))
		return err
	case text == "Invoice":
		_, err := api.SendInvoice(ctx, tu.Invoice(chat, "Order #7", "Red dress, size S", "o:7", "provider-token", "RUB",
			tu.LabeledPrice("Red dress", 150000)).WithNeedName().WithNeedPhoneNumber().WithNeedShippingAddress().WithIsFlexible())
		return err
	case text == "Stars":
		_, err := api.SendInvoice(ctx, tu.Invoice(chat, "Order #8", "E-book", "o:8", "", "XTR", tu.LabeledPrice("E-book", 250)))
		return err
	case text == "Edit":
		sent, err := api.SendMessage(ctx, tu.Message(chat, "Before"))
		if err != nil {
			return err
		}
		_, err = api.EditMessageText(ctx, tu.EditMessageText(chat, sent.MessageID, "After"))
		return err
	case text == "Delete":
		sent, err := api.SendMessage(ctx, tu.Message(chat, "Soon gone"))
		if err != nil {
			return err
		}
		return api.DeleteMessage(ctx, tu.Delete(chat, sent.MessageID))
	case text == "Bye":
		_, err := api.SendMessage(ctx, tu.Message(chat, "Keyboard removed").WithReplyMarkup(tu.ReplyKeyboardRemove()))
		return err
	case m.Chat.Type == telego.ChatTypePrivate:
		_, err := api.SendMessage(ctx, tu.Message(chat, "You said: "+text))
		return err
	}
	return nil
}

func (fb *fakeBot) onCallback(ctx context.Context, q *telego.CallbackQuery) error {
	api := fb.bot
	switch {
	case q.Data == "alert":
		return api.AnswerCallbackQuery(ctx, tu.CallbackQuery(q.ID).WithText("Only 2 left!").WithShowAlert())
	case strings.HasPrefix(q.Data, "cat:"):
		if q.Message != nil {
			msg := q.Message.(*telego.Message)
			if _, err := api.EditMessageText(ctx, tu.EditMessageText(tu.ID(msg.Chat.ID), msg.MessageID, "Catalog: page 1").
				WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Next").WithCallbackData("cat:2"))))); err != nil {
				return err
			}
		}
		return api.AnswerCallbackQuery(ctx, tu.CallbackQuery(q.ID).WithText("Catalog"))
	case strings.HasPrefix(q.Data, "buy:"):
		return api.AnswerCallbackQuery(ctx, tu.CallbackQuery(q.ID).WithURL(fmt.Sprintf("https://t.me/%s?start=buy_1", fb.username)))
	}
	return api.AnswerCallbackQuery(ctx, tu.CallbackQuery(q.ID))
}

// pngImage returns a small picture.
func pngImage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 90))
	for y := range 90 {
		for x := range 120 {
			img.Set(x, y, color.RGBA{R: uint8(150 + x/2), G: uint8(40 + y), B: 70, A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
