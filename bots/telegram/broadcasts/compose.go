package broadcasts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// The seller's side of broadcasts: the list in the admin menu, the
// conversation that writes one (message -> product buttons -> audience -> the
// summary with the count, preview, send), and the progress message with its
// Cancel button. The recipients' side (composing, unsubscribing) is messages.go.

// Callback verbs of broadcasts.
const (
	verbAdminNewBroadcast   = "abn" // abn:<shop>: the new-broadcast conversation
	verbAdminBroadcast      = "abv" // abv:<broadcast>: one broadcast and its progress
	verbAdminBroadcastStop  = "abx" // abx:<broadcast>: cancel a running broadcast
	verbAdminBroadcastStep  = "abk" // abk:<step>:<value>:<conversation>: a button of the conversation's prompt
	verbSubscribe           = "bs"  // bs:<shop>:<1 subscribe | 0 unsubscribe>: the toggle on the shop's card
	verbBroadcastSubscribed = "bu"  // bu:<shop>:<0 unsubscribe | 1 subscribe again>: the button under a broadcast
)

// broadcastRoutes registers the commands, verbs and conversations of broadcasts.
func (b *Feature) broadcastRoutes(r *telegram.Router) {
	r.Callback(telegram.VerbAdminBroadcasts, b.k.ForStaff(b.onAdminBroadcasts))
	r.Callback(verbAdminNewBroadcast, b.k.ForStaff(b.onAdminNewBroadcast))
	r.Callback(verbAdminBroadcast, telegram.WithID(b.showAdminBroadcast))
	r.Callback(verbAdminBroadcastStop, telegram.WithID(b.onAdminBroadcastStop))
	r.Callback(verbAdminBroadcastStep, b.onBroadcastButton)
	r.Callback(verbSubscribe, b.onSubscribe)
	r.Callback(verbBroadcastSubscribed, b.onBroadcastSubscribed)
	r.Dialog(dialogBroadcast, b.k.DialogStep(b.broadcastStep))
	r.ShopRow(b.subscribeRow)
	r.AddTexts(broadcastTexts())
}

// adminBroadcastsShown is how many past broadcasts the list shows.
const adminBroadcastsShown = 10

// onAdminBroadcasts lists the shop's latest broadcasts with their status: abr:<shop>.
func (b *Feature) onAdminBroadcasts(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	list, err := b.broadcasts.Broadcasts(ctx, r.UserID(), shop.ID, adminBroadcastsShown)
	if err != nil {
		return err
	}
	lang := r.Lang
	text := b.k.T(lang, "bc_list", shop.Name)
	if len(list) == 0 {
		text += "\n\n" + b.k.T(lang, "bc_list_empty")
	}
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(lang, "bc_btn_new"), verbAdminNewBroadcast, shop.ID))
	for _, bc := range list {
		k.Row(telegram.Button(b.k.Label(lang, "bc_btn_item", broadcastMark(bc.Status), int64(bc.ID),
			bc.CreatedAt.UTC().Format("02.01"), bc.Sent, max(bc.Total, bc.Sent)), verbAdminBroadcast, bc.ID))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// broadcastMark is the sign of a broadcast's status in lists.
func broadcastMark(s broadcast.Status) string {
	switch s {
	case broadcast.StatusRunning:
		return "⏳"
	case broadcast.StatusCancelled:
		return "✖️"
	}
	return "✅"
}

// showAdminBroadcast shows a broadcast's progress or report to its shop's staff:
// abv:<broadcast>.
func (b *Feature) showAdminBroadcast(ctx context.Context, r *telegram.Request, id broadcast.ID) error {
	bc, err := b.broadcasts.Broadcast(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	v, err := b.broadcastProgressView(ctx, r.Lang, bc)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// onAdminBroadcastStop cancels a running broadcast: abx:<broadcast>. The pressed
// message (the progress message) shows the report at once; a broadcast over
// already is said so, with its report.
func (b *Feature) onAdminBroadcastStop(ctx context.Context, r *telegram.Request, id broadcast.ID) error {
	bc, err := b.broadcasts.Cancel(ctx, r.UserID(), id)
	switch {
	case errors.Is(err, broadcast.ErrOver):
		r.Alert(b.k.T(r.Lang, "bc_over_already"))
	case err != nil:
		return err
	default:
		r.Answer(b.k.T(r.Lang, "bc_cancelled"))
	}
	v, err := b.broadcastProgressView(ctx, r.Lang, bc)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// dialogBroadcast is the kind of the new-broadcast conversation.
const dialogBroadcast = "admin:broadcast"

// Steps of the new-broadcast conversation.
const (
	stepBcMessage  = "bc.msg"  // the text, or a photo with a caption
	stepBcButtons  = "bc.btn"  // up to broadcast.MaxButtons products to link
	stepBcAudience = "bc.aud"  // who gets it
	stepBcProduct  = "bc.prod" // the product whose buyers get it
	stepBcConfirm  = "bc.ok"   // the count, preview, send
)

// Values of the conversation's buttons besides product ids, audience kinds,
// buttonDone, buttonSkip and buttonCancel.
const (
	buttonPreview     = "preview"
	buttonSend        = "send"
	buttonAudience    = "aud" // back to the choice of audience
	buttonPagePrefix  = "pg"  // "pg<n>": a page of the product list
	bcProductsPerPage = 8
)

// broadcastDraft is what the new-broadcast conversation collected.
type broadcastDraft struct {
	ShopID    core.ShopID            `json:"shop_id"`
	ShopName  string                 `json:"shop_name"`
	Text      string                 `json:"text,omitempty"`
	Photo     string                 `json:"photo,omitempty"`
	Products  []core.ProductID       `json:"products,omitempty"`
	Audience  broadcast.AudienceKind `json:"audience,omitempty"`
	ProductID core.ProductID         `json:"product_id,omitempty"`
	Page      int                    `json:"page,omitempty"`
}

func (d broadcastDraft) content() broadcast.Content {
	return broadcast.Content{Text: d.Text, Photo: d.Photo, Products: d.Products}
}

func (d broadcastDraft) audience() broadcast.Audience {
	return broadcast.Audience{Kind: d.Audience, ProductID: d.ProductID}
}

// onAdminNewBroadcast starts the new-broadcast conversation: abn:<shop>.
func (b *Feature) onAdminNewBroadcast(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	d := broadcastDraft{ShopID: shop.ID, ShopName: shop.Name}
	if err := b.k.StartDialog(ctx, r, dialogBroadcast, stepBcMessage, d); err != nil {
		return err
	}
	v, err := b.broadcastPrompt(ctx, r, stepBcMessage, d)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// bcStep is a button of the conversation's prompt, carrying the conversation:
// "abk:<step>:<value>:<conversation>".
func bcStep(r *telegram.Request, text, step, value string) telegram.TelegoButton {
	return telegram.Button(text, verbAdminBroadcastStep, step, value, r.Conv)
}

// onBroadcastButton handles "abk:<step>:<value>:<conversation>". A button of a
// step that is over, or of another conversation, is answered so and changes
// nothing: a second tap on "Send" finds the conversation ended.
func (b *Feature) onBroadcastButton(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(3); err != nil {
		return telegram.ErrStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.UserID(), r.ChatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	if !ok || st.Kind != dialogBroadcast || st.Step != d.Str(0) || telegram.ConversationOf(st) != d.Str(2) {
		r.Alert(b.k.T(r.Lang, "adm_step_over"))
		return nil
	}
	r.Conv = d.Str(2)
	return b.broadcastStep(ctx, r, st, telegram.Input{Button: d.Str(1)})
}

// broadcastPrompt asks a step's question.
func (b *Feature) broadcastPrompt(ctx context.Context, r *telegram.Request, step string, d broadcastDraft) (telegram.View, error) {
	lang := r.Lang
	k := &telegram.Keyboard{}
	var text string
	switch step {
	case stepBcMessage:
		text = b.k.T(lang, "bc_ask_message", d.ShopName, broadcast.MaxText, broadcast.MaxCaption)
	case stepBcButtons:
		text = b.k.T(lang, "bc_ask_buttons", broadcast.MaxButtons)
		if len(d.Products) > 0 {
			titles, err := b.productTitles(ctx, d.Products)
			if err != nil {
				return telegram.View{}, err
			}
			text += "\n\n" + b.k.T(lang, "bc_buttons_chosen", telegram.HTML(telegram.Escape(strings.Join(titles, ", "))))
		}
		if err := b.bcProductButtons(ctx, r, k, step, d, d.Products); err != nil {
			return telegram.View{}, err
		}
		if len(d.Products) > 0 {
			k.Row(bcStep(r, b.k.Label(lang, "adm_btn_done"), step, telegram.ButtonDone))
		} else {
			k.Row(bcStep(r, b.k.Label(lang, "bc_btn_no_buttons"), step, telegram.ButtonSkip))
		}
	case stepBcAudience:
		customers, err := b.broadcasts.Count(ctx, r.UserID(), d.ShopID, broadcast.Audience{Kind: broadcast.AudienceCustomers})
		if err != nil {
			return telegram.View{}, err
		}
		subscribers, err := b.broadcasts.Count(ctx, r.UserID(), d.ShopID, broadcast.Audience{Kind: broadcast.AudienceSubscribers})
		if err != nil {
			return telegram.View{}, err
		}
		text = b.k.T(lang, "bc_ask_audience")
		k.Row(bcStep(r, b.k.Label(lang, "bc_btn_customers", customers), step, string(broadcast.AudienceCustomers)))
		k.Row(bcStep(r, b.k.Label(lang, "bc_btn_buyers"), step, string(broadcast.AudienceBuyers)))
		k.Row(bcStep(r, b.k.Label(lang, "bc_btn_subscribers", subscribers), step, string(broadcast.AudienceSubscribers)))
	case stepBcProduct:
		text = b.k.T(lang, "bc_ask_product")
		if err := b.bcProductButtons(ctx, r, k, step, d, nil); err != nil {
			return telegram.View{}, err
		}
		k.Row(bcStep(r, b.k.Label(lang, "btn_back"), step, buttonAudience))
	case stepBcConfirm:
		return b.broadcastSummary(ctx, r, d)
	}
	k.Row(bcStep(r, b.k.Label(lang, "adm_btn_discard"), step, telegram.ButtonCancel))
	return telegram.View{Text: text + "\n\n" + b.k.T(lang, "adm_cancel_hint"), Keyboard: k.Markup()}, nil
}

// bcProductButtons adds a page of the shop's products to k as step buttons, the
// chosen ones marked, with a pager.
func (b *Feature) bcProductButtons(ctx context.Context, r *telegram.Request, k *telegram.Keyboard, step string, d broadcastDraft, chosen []core.ProductID) error {
	products, total, err := b.catalog.Products(ctx, catalog.ProductFilter{
		ShopID: d.ShopID, Limit: bcProductsPerPage, Offset: d.Page * bcProductsPerPage,
	})
	if err != nil {
		return fmt.Errorf("list products: %w", err)
	}
	for _, p := range products {
		label := p.Title
		if slices.Contains(chosen, p.ID) {
			label = "✅ " + label
		}
		k.Row(bcStep(r, label, step, strconv.FormatInt(int64(p.ID), 10)))
	}
	pages := telegram.PageCount(total, bcProductsPerPage)
	if pages > 1 {
		var row []telegram.TelegoButton
		if d.Page > 0 {
			row = append(row, bcStep(r, b.k.Label(r.Lang, "btn_prev"), step, buttonPagePrefix+strconv.Itoa(d.Page-1)))
		}
		row = append(row, telegram.Button(fmt.Sprintf("%d/%d", d.Page+1, pages), telegram.VerbNoop))
		if d.Page+1 < pages {
			row = append(row, bcStep(r, b.k.Label(r.Lang, "btn_next"), step, buttonPagePrefix+strconv.Itoa(d.Page+1)))
		}
		k.Row(row...)
	}
	return nil
}

// productTitles returns the titles of products, leaving out those gone.
func (b *Feature) productTitles(ctx context.Context, ids []core.ProductID) ([]string, error) {
	var titles []string
	for _, id := range ids {
		p, err := b.catalog.Product(ctx, id)
		if errors.Is(err, catalog.ErrProductNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("product %d: %w", id, err)
		}
		titles = append(titles, p.Title)
	}
	return titles, nil
}

// broadcastSummary is the last step's screen: what goes to whom, how many it
// reaches, and the buttons to preview, send or change the audience.
func (b *Feature) broadcastSummary(ctx context.Context, r *telegram.Request, d broadcastDraft) (telegram.View, error) {
	lang := r.Lang
	n, err := b.broadcasts.Count(ctx, r.UserID(), d.ShopID, d.audience())
	if err != nil {
		return telegram.View{}, err
	}
	who, err := b.audienceLabel(ctx, lang, d.audience())
	if err != nil {
		return telegram.View{}, err
	}
	kind := b.k.T(lang, "bc_kind_text")
	if d.Photo != "" {
		kind = b.k.T(lang, "bc_kind_photo")
	}
	lines := []string{b.k.T(lang, "bc_summary", d.ShopName), "", b.k.T(lang, "bc_summary_audience", telegram.HTML(who)),
		b.k.T(lang, "bc_summary_kind", telegram.HTML(kind))}
	if len(d.Products) > 0 {
		titles, err := b.productTitles(ctx, d.Products)
		if err != nil {
			return telegram.View{}, err
		}
		lines = append(lines, b.k.T(lang, "bc_summary_buttons", strings.Join(titles, ", ")))
	}
	lines = append(lines, "")
	k := &telegram.Keyboard{}
	step := stepBcConfirm
	if n == 0 {
		lines = append(lines, b.k.T(lang, "bc_reaches_nobody"))
	} else {
		lines = append(lines, b.k.T(lang, "bc_reaches", b.k.Count(lang, "bc_n_people", n)), "", b.k.T(lang, "bc_preview_hint"))
		k.Row(bcStep(r, b.k.Label(lang, "bc_btn_preview"), step, buttonPreview))
		k.Row(bcStep(r, b.k.Label(lang, "bc_btn_send", b.k.Count(lang, "bc_n_people", n)), step, buttonSend))
	}
	k.Row(bcStep(r, b.k.Label(lang, "bc_btn_change_audience"), step, buttonAudience))
	k.Row(bcStep(r, b.k.Label(lang, "adm_btn_discard"), step, telegram.ButtonCancel))
	return telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()}, nil
}

// audienceLabel names an audience, as HTML.
func (b *Feature) audienceLabel(ctx context.Context, lang string, a broadcast.Audience) (string, error) {
	switch a.Kind {
	case broadcast.AudienceCustomers:
		return b.k.T(lang, "bc_aud_customers"), nil
	case broadcast.AudienceSubscribers:
		return b.k.T(lang, "bc_aud_subscribers"), nil
	}
	p, err := b.catalog.Product(ctx, a.ProductID)
	if errors.Is(err, catalog.ErrProductNotFound) {
		return b.k.T(lang, "bc_aud_buyers_gone"), nil
	}
	if err != nil {
		return "", fmt.Errorf("product %d: %w", a.ProductID, err)
	}
	return b.k.T(lang, "bc_aud_buyers", p.Title), nil
}

// broadcastStep handles one input of the new-broadcast conversation.
func (b *Feature) broadcastStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var d broadcastDraft
	if ok, err := b.k.Decode(ctx, r, st, &d); !ok {
		return err
	}
	lang := r.Lang
	again, next := b.k.StepMoves(ctx, r, st, &d, func(step string) (telegram.View, error) {
		return b.broadcastPrompt(ctx, r, step, d)
	})
	if in.Button == telegram.ButtonCancel {
		if err := b.k.EndDialog(ctx, r); err != nil {
			return err
		}
		k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "bc_btn_list"), telegram.VerbAdminBroadcasts, d.ShopID))
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "bc_discarded"), Keyboard: k.Markup()})
	}

	switch st.Step {
	case stepBcMessage:
		switch {
		case in.Photo != "":
			caption := ""
			if r.Msg != nil {
				caption = strings.TrimSpace(r.Msg.Caption)
			}
			if utf8.RuneCountInString(caption) > broadcast.MaxCaption {
				return again(b.k.T(lang, "bc_err_caption_long", broadcast.MaxCaption, utf8.RuneCountInString(caption)))
			}
			d.Photo, d.Text = in.Photo, caption
		case in.Text != "":
			if utf8.RuneCountInString(in.Text) > broadcast.MaxText {
				return again(b.k.T(lang, "bc_err_text_long", broadcast.MaxText, utf8.RuneCountInString(in.Text)))
			}
			d.Photo, d.Text = "", in.Text
		default:
			return again(b.k.WrongInput(lang, in, "bc_want_message"))
		}
		_, total, err := b.catalog.Products(ctx, catalog.ProductFilter{ShopID: d.ShopID, Limit: 1})
		if err != nil {
			return fmt.Errorf("list products: %w", err)
		}
		d.Page = 0
		if total == 0 {
			return next(stepBcAudience)
		}
		return next(stepBcButtons)

	case stepBcButtons:
		if page, ok := pageButton(in.Button); ok {
			d.Page = page
			return next(stepBcButtons)
		}
		switch in.Button {
		case telegram.ButtonDone, telegram.ButtonSkip:
			if in.Button == telegram.ButtonSkip {
				d.Products = nil
			}
			d.Page = 0
			return next(stepBcAudience)
		}
		id, ok := productButton(in.Button)
		if !ok {
			return again(b.k.WrongInput(lang, in, "bc_want_products"))
		}
		if i := slices.Index(d.Products, id); i >= 0 {
			d.Products = slices.Delete(d.Products, i, i+1)
			return next(stepBcButtons)
		}
		if len(d.Products) >= broadcast.MaxButtons {
			return again(b.k.T(lang, "bc_err_max_buttons", broadcast.MaxButtons))
		}
		if !b.shopProduct(ctx, d.ShopID, id) {
			return again(b.k.T(lang, "err_product_gone"))
		}
		d.Products = append(d.Products, id)
		return next(stepBcButtons)

	case stepBcAudience:
		switch kind := broadcast.AudienceKind(in.Button); kind {
		case broadcast.AudienceCustomers, broadcast.AudienceSubscribers:
			d.Audience, d.ProductID = kind, 0
			return next(stepBcConfirm)
		case broadcast.AudienceBuyers:
			d.Page = 0
			return next(stepBcProduct)
		}
		return again(b.k.WrongInput(lang, in, "adm_want_choice"))

	case stepBcProduct:
		if page, ok := pageButton(in.Button); ok {
			d.Page = page
			return next(stepBcProduct)
		}
		if in.Button == buttonAudience {
			return next(stepBcAudience)
		}
		id, ok := productButton(in.Button)
		if !ok {
			return again(b.k.WrongInput(lang, in, "adm_want_choice"))
		}
		if !b.shopProduct(ctx, d.ShopID, id) {
			return again(b.k.T(lang, "err_product_gone"))
		}
		d.Audience, d.ProductID = broadcast.AudienceBuyers, id
		return next(stepBcConfirm)

	case stepBcConfirm:
		switch in.Button {
		case buttonAudience:
			d.Page = 0
			return next(stepBcAudience)
		case buttonPreview:
			return b.previewBroadcast(ctx, r, d)
		case buttonSend:
			return b.sendBroadcast(ctx, r, d, again)
		}
		return again(b.k.WrongInput(lang, in, "adm_want_choice"))
	}
	return b.k.EndDialog(ctx, r)
}

// pageButton reads a pager button's value "pg<n>".
func pageButton(v string) (int, bool) {
	s, ok := strings.CutPrefix(v, buttonPagePrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// productButton reads a product button's value.
func productButton(v string) (core.ProductID, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	return core.ProductID(n), err == nil && n > 0
}

// shopProduct reports whether id is an active product of shop.
func (b *Feature) shopProduct(ctx context.Context, shop core.ShopID, id core.ProductID) bool {
	p, err := b.catalog.Product(ctx, id)
	return err == nil && p.ShopID == shop && !p.Archived
}

// previewBroadcast sends the broadcast to the seller, exactly as its recipients
// will see it, and then the summary again below it, so Send is at hand.
func (b *Feature) previewBroadcast(ctx context.Context, r *telegram.Request, d broadcastDraft) error {
	shop, err := b.catalog.Shop(ctx, d.ShopID)
	if err != nil {
		return err
	}
	products, err := b.broadcastProducts(ctx, d.Products)
	if err != nil {
		return err
	}
	if _, err := b.k.SendView(ctx, r.ChatID, b.broadcastView(r.Lang, shop, d.content(), products)); err != nil {
		return err
	}
	v, err := b.broadcastSummary(ctx, r, d)
	if err != nil {
		return err
	}
	r.Answer(b.k.T(r.Lang, "bc_preview_sent"))
	_, err = b.k.SendView(ctx, r.ChatID, v)
	return err
}

// sendBroadcast starts the broadcast, keyed on the conversation so that a
// retried update starts it once, and turns the pressed summary into its
// progress message.
func (b *Feature) sendBroadcast(ctx context.Context, r *telegram.Request, d broadcastDraft, again func(string) error) error {
	lang := r.Lang
	messageID := 0
	if r.Msg != nil && len(r.Msg.Photo) == 0 {
		messageID = r.Msg.MessageID
	} else {
		m, err := b.k.SendView(ctx, r.ChatID, telegram.View{Text: b.k.T(lang, "bc_starting")})
		if err != nil {
			return err
		}
		messageID = m.MessageID
		r.Fresh = false
		r.Msg = m
	}
	bc, err := b.broadcasts.Start(ctx, r.UserID(), broadcast.Draft{
		Key: "conv:" + r.Conv, ShopID: d.ShopID, Content: d.content(), Audience: d.audience(),
		ProgressChat: r.ChatID, ProgressMessageID: messageID,
	})
	switch {
	case errors.Is(err, broadcast.ErrNobody):
		return again(b.k.T(lang, "bc_reaches_nobody"))
	case errors.Is(err, catalog.ErrProductNotFound):
		return again(b.k.T(lang, "err_product_gone"))
	case err != nil:
		return err
	}
	v, err := b.broadcastProgressView(ctx, lang, bc)
	if err != nil {
		return err
	}
	if r.Callback != nil {
		r.Answer(b.k.T(lang, "bc_started"))
	}
	if err := b.k.Show(ctx, r, v); err != nil {
		return err
	}
	return b.k.EndDialog(ctx, r)
}
