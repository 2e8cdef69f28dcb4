package telegram

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
)

// The seller's side of broadcasts: the list in the admin menu, the
// conversation that writes one (message -> product buttons -> audience -> the
// summary with the count, preview, send), and the progress message with its
// Cancel button. The recipients' side (composing, unsubscribing) is broadcast.go.

// Callback verbs of broadcasts.
const (
	verbAdminBroadcasts     = "abr" // abr:<shop>: the shop's broadcasts in the admin menu
	verbAdminNewBroadcast   = "abn" // abn:<shop>: the new-broadcast conversation
	verbAdminBroadcast      = "abv" // abv:<broadcast>: one broadcast and its progress
	verbAdminBroadcastStop  = "abx" // abx:<broadcast>: cancel a running broadcast
	verbAdminBroadcastStep  = "abk" // abk:<step>:<value>:<conversation>: a button of the conversation's prompt
	verbSubscribe           = "bs"  // bs:<shop>:<1 subscribe | 0 unsubscribe>: the toggle on the shop's card
	verbBroadcastSubscribed = "bu"  // bu:<shop>:<0 unsubscribe | 1 subscribe again>: the button under a broadcast
)

// broadcastRoutes registers the commands, verbs and conversations of broadcasts.
func (b *Bot) broadcastRoutes(r *router) {
	r.callback(verbAdminBroadcasts, b.forStaff(b.onAdminBroadcasts))
	r.callback(verbAdminNewBroadcast, b.forStaff(b.onAdminNewBroadcast))
	r.callback(verbAdminBroadcast, withID(b.showAdminBroadcast))
	r.callback(verbAdminBroadcastStop, withID(b.onAdminBroadcastStop))
	r.callback(verbAdminBroadcastStep, b.onBroadcastButton)
	r.callback(verbSubscribe, b.onSubscribe)
	r.callback(verbBroadcastSubscribed, b.onBroadcastSubscribed)
	r.dialog(dialogBroadcast, b.dialogStep(b.broadcastStep))
	r.shopRow(b.subscribeRow)
	r.addTexts(broadcastTexts())
}

// adminBroadcastsShown is how many past broadcasts the list shows.
const adminBroadcastsShown = 10

// onAdminBroadcasts lists the shop's latest broadcasts with their status: abr:<shop>.
func (b *Bot) onAdminBroadcasts(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	list, err := b.broadcasts.Broadcasts(ctx, r.userID(), shop.ID, adminBroadcastsShown)
	if err != nil {
		return err
	}
	lang := r.lang
	text := b.t(lang, "bc_list", shop.Name)
	if len(list) == 0 {
		text += "\n\n" + b.t(lang, "bc_list_empty")
	}
	k := &keyboard{}
	k.row(button(b.label(lang, "bc_btn_new"), verbAdminNewBroadcast, shop.ID))
	for _, bc := range list {
		k.row(button(b.label(lang, "bc_btn_item", broadcastMark(bc.Status), int64(bc.ID),
			bc.CreatedAt.UTC().Format("02.01"), bc.Sent, max(bc.Total, bc.Sent)), verbAdminBroadcast, bc.ID))
	}
	k.row(button(b.label(lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
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
func (b *Bot) showAdminBroadcast(ctx context.Context, r *request, id broadcast.ID) error {
	bc, err := b.broadcasts.Broadcast(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	v, err := b.broadcastProgressView(ctx, r.lang, bc)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// onAdminBroadcastStop cancels a running broadcast: abx:<broadcast>. The pressed
// message (the progress message) shows the report at once; a broadcast over
// already is said so, with its report.
func (b *Bot) onAdminBroadcastStop(ctx context.Context, r *request, id broadcast.ID) error {
	bc, err := b.broadcasts.Cancel(ctx, r.userID(), id)
	switch {
	case errors.Is(err, broadcast.ErrOver):
		r.alert(b.t(r.lang, "bc_over_already"))
	case err != nil:
		return err
	default:
		r.answer(b.t(r.lang, "bc_cancelled"))
	}
	v, err := b.broadcastProgressView(ctx, r.lang, bc)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// --- the new-broadcast conversation ---

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
func (b *Bot) onAdminNewBroadcast(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	d := broadcastDraft{ShopID: shop.ID, ShopName: shop.Name}
	if err := b.startDialog(ctx, r, dialogBroadcast, stepBcMessage, d); err != nil {
		return err
	}
	v, err := b.broadcastPrompt(ctx, r, stepBcMessage, d)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// bcStep is a button of the conversation's prompt, carrying the conversation:
// "abk:<step>:<value>:<conversation>".
func bcStep(r *request, text, step, value string) telegoButton {
	return button(text, verbAdminBroadcastStep, step, value, r.conv)
}

// onBroadcastButton handles "abk:<step>:<value>:<conversation>". A button of a
// step that is over, or of another conversation, is answered so and changes
// nothing: a second tap on "Send" finds the conversation ended.
func (b *Bot) onBroadcastButton(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(3); err != nil {
		return errStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	if !ok || st.Kind != dialogBroadcast || st.Step != d.Str(0) || conversationOf(st) != d.Str(2) {
		r.alert(b.t(r.lang, "adm_step_over"))
		return nil
	}
	r.conv = d.Str(2)
	return b.broadcastStep(ctx, r, st, adminInput{button: d.Str(1)})
}

// broadcastPrompt asks a step's question.
func (b *Bot) broadcastPrompt(ctx context.Context, r *request, step string, d broadcastDraft) (view, error) {
	lang := r.lang
	k := &keyboard{}
	var text string
	switch step {
	case stepBcMessage:
		text = b.t(lang, "bc_ask_message", d.ShopName, broadcast.MaxText, broadcast.MaxCaption)
	case stepBcButtons:
		text = b.t(lang, "bc_ask_buttons", broadcast.MaxButtons)
		if len(d.Products) > 0 {
			titles, err := b.productTitles(ctx, d.Products)
			if err != nil {
				return view{}, err
			}
			text += "\n\n" + b.t(lang, "bc_buttons_chosen", htmlText(escape(strings.Join(titles, ", "))))
		}
		if err := b.bcProductButtons(ctx, r, k, step, d, d.Products); err != nil {
			return view{}, err
		}
		if len(d.Products) > 0 {
			k.row(bcStep(r, b.label(lang, "adm_btn_done"), step, buttonDone))
		} else {
			k.row(bcStep(r, b.label(lang, "bc_btn_no_buttons"), step, buttonSkip))
		}
	case stepBcAudience:
		customers, err := b.broadcasts.Count(ctx, r.userID(), d.ShopID, broadcast.Audience{Kind: broadcast.AudienceCustomers})
		if err != nil {
			return view{}, err
		}
		subscribers, err := b.broadcasts.Count(ctx, r.userID(), d.ShopID, broadcast.Audience{Kind: broadcast.AudienceSubscribers})
		if err != nil {
			return view{}, err
		}
		text = b.t(lang, "bc_ask_audience")
		k.row(bcStep(r, b.label(lang, "bc_btn_customers", customers), step, string(broadcast.AudienceCustomers)))
		k.row(bcStep(r, b.label(lang, "bc_btn_buyers"), step, string(broadcast.AudienceBuyers)))
		k.row(bcStep(r, b.label(lang, "bc_btn_subscribers", subscribers), step, string(broadcast.AudienceSubscribers)))
	case stepBcProduct:
		text = b.t(lang, "bc_ask_product")
		if err := b.bcProductButtons(ctx, r, k, step, d, nil); err != nil {
			return view{}, err
		}
		k.row(bcStep(r, b.label(lang, "btn_back"), step, buttonAudience))
	case stepBcConfirm:
		return b.broadcastSummary(ctx, r, d)
	}
	k.row(bcStep(r, b.label(lang, "adm_btn_discard"), step, buttonCancel))
	return view{text: text + "\n\n" + b.t(lang, "adm_cancel_hint"), kb: k.markup()}, nil
}

// bcProductButtons adds a page of the shop's products to k as step buttons, the
// chosen ones marked, with a pager.
func (b *Bot) bcProductButtons(ctx context.Context, r *request, k *keyboard, step string, d broadcastDraft, chosen []core.ProductID) error {
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
		k.row(bcStep(r, label, step, strconv.FormatInt(int64(p.ID), 10)))
	}
	pages := pageCount(total, bcProductsPerPage)
	if pages > 1 {
		var row []telegoButton
		if d.Page > 0 {
			row = append(row, bcStep(r, b.label(r.lang, "btn_prev"), step, buttonPagePrefix+strconv.Itoa(d.Page-1)))
		}
		row = append(row, button(fmt.Sprintf("%d/%d", d.Page+1, pages), verbNoop))
		if d.Page+1 < pages {
			row = append(row, bcStep(r, b.label(r.lang, "btn_next"), step, buttonPagePrefix+strconv.Itoa(d.Page+1)))
		}
		k.row(row...)
	}
	return nil
}

// productTitles returns the titles of products, leaving out those gone.
func (b *Bot) productTitles(ctx context.Context, ids []core.ProductID) ([]string, error) {
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
func (b *Bot) broadcastSummary(ctx context.Context, r *request, d broadcastDraft) (view, error) {
	lang := r.lang
	n, err := b.broadcasts.Count(ctx, r.userID(), d.ShopID, d.audience())
	if err != nil {
		return view{}, err
	}
	who, err := b.audienceLabel(ctx, lang, d.audience())
	if err != nil {
		return view{}, err
	}
	kind := b.t(lang, "bc_kind_text")
	if d.Photo != "" {
		kind = b.t(lang, "bc_kind_photo")
	}
	lines := []string{b.t(lang, "bc_summary", d.ShopName), "", b.t(lang, "bc_summary_audience", htmlText(who)),
		b.t(lang, "bc_summary_kind", htmlText(kind))}
	if len(d.Products) > 0 {
		titles, err := b.productTitles(ctx, d.Products)
		if err != nil {
			return view{}, err
		}
		lines = append(lines, b.t(lang, "bc_summary_buttons", strings.Join(titles, ", ")))
	}
	lines = append(lines, "")
	k := &keyboard{}
	step := stepBcConfirm
	if n == 0 {
		lines = append(lines, b.t(lang, "bc_reaches_nobody"))
	} else {
		lines = append(lines, b.t(lang, "bc_reaches", b.count(lang, "bc_n_people", n)), "", b.t(lang, "bc_preview_hint"))
		k.row(bcStep(r, b.label(lang, "bc_btn_preview"), step, buttonPreview))
		k.row(bcStep(r, b.label(lang, "bc_btn_send", b.count(lang, "bc_n_people", n)), step, buttonSend))
	}
	k.row(bcStep(r, b.label(lang, "bc_btn_change_audience"), step, buttonAudience))
	k.row(bcStep(r, b.label(lang, "adm_btn_discard"), step, buttonCancel))
	return view{text: strings.Join(lines, "\n"), kb: k.markup()}, nil
}

// audienceLabel names an audience, as HTML.
func (b *Bot) audienceLabel(ctx context.Context, lang string, a broadcast.Audience) (string, error) {
	switch a.Kind {
	case broadcast.AudienceCustomers:
		return b.t(lang, "bc_aud_customers"), nil
	case broadcast.AudienceSubscribers:
		return b.t(lang, "bc_aud_subscribers"), nil
	}
	p, err := b.catalog.Product(ctx, a.ProductID)
	if errors.Is(err, catalog.ErrProductNotFound) {
		return b.t(lang, "bc_aud_buyers_gone"), nil
	}
	if err != nil {
		return "", fmt.Errorf("product %d: %w", a.ProductID, err)
	}
	return b.t(lang, "bc_aud_buyers", p.Title), nil
}

// broadcastStep handles one input of the new-broadcast conversation.
func (b *Bot) broadcastStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var d broadcastDraft
	if ok, err := b.decode(ctx, r, st, &d); !ok {
		return err
	}
	lang := r.lang
	again, next := b.stepMoves(ctx, r, st, &d, func(step string) (view, error) {
		return b.broadcastPrompt(ctx, r, step, d)
	})
	if in.button == buttonCancel {
		if err := b.endDialog(ctx, r); err != nil {
			return err
		}
		k := (&keyboard{}).row(button(b.label(lang, "bc_btn_list"), verbAdminBroadcasts, d.ShopID))
		return b.show(ctx, r, view{text: b.t(lang, "bc_discarded"), kb: k.markup()})
	}

	switch st.Step {
	case stepBcMessage:
		switch {
		case in.photo != "":
			caption := ""
			if r.msg != nil {
				caption = strings.TrimSpace(r.msg.Caption)
			}
			if utf8.RuneCountInString(caption) > broadcast.MaxCaption {
				return again(b.t(lang, "bc_err_caption_long", broadcast.MaxCaption, utf8.RuneCountInString(caption)))
			}
			d.Photo, d.Text = in.photo, caption
		case in.text != "":
			if utf8.RuneCountInString(in.text) > broadcast.MaxText {
				return again(b.t(lang, "bc_err_text_long", broadcast.MaxText, utf8.RuneCountInString(in.text)))
			}
			d.Photo, d.Text = "", in.text
		default:
			return again(b.wrongInput(lang, in, "bc_want_message"))
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
		if page, ok := pageButton(in.button); ok {
			d.Page = page
			return next(stepBcButtons)
		}
		switch in.button {
		case buttonDone, buttonSkip:
			if in.button == buttonSkip {
				d.Products = nil
			}
			d.Page = 0
			return next(stepBcAudience)
		}
		id, ok := productButton(in.button)
		if !ok {
			return again(b.wrongInput(lang, in, "bc_want_products"))
		}
		if i := slices.Index(d.Products, id); i >= 0 {
			d.Products = slices.Delete(d.Products, i, i+1)
			return next(stepBcButtons)
		}
		if len(d.Products) >= broadcast.MaxButtons {
			return again(b.t(lang, "bc_err_max_buttons", broadcast.MaxButtons))
		}
		if !b.shopProduct(ctx, d.ShopID, id) {
			return again(b.t(lang, "err_product_gone"))
		}
		d.Products = append(d.Products, id)
		return next(stepBcButtons)

	case stepBcAudience:
		switch kind := broadcast.AudienceKind(in.button); kind {
		case broadcast.AudienceCustomers, broadcast.AudienceSubscribers:
			d.Audience, d.ProductID = kind, 0
			return next(stepBcConfirm)
		case broadcast.AudienceBuyers:
			d.Page = 0
			return next(stepBcProduct)
		}
		return again(b.wrongInput(lang, in, "adm_want_choice"))

	case stepBcProduct:
		if page, ok := pageButton(in.button); ok {
			d.Page = page
			return next(stepBcProduct)
		}
		if in.button == buttonAudience {
			return next(stepBcAudience)
		}
		id, ok := productButton(in.button)
		if !ok {
			return again(b.wrongInput(lang, in, "adm_want_choice"))
		}
		if !b.shopProduct(ctx, d.ShopID, id) {
			return again(b.t(lang, "err_product_gone"))
		}
		d.Audience, d.ProductID = broadcast.AudienceBuyers, id
		return next(stepBcConfirm)

	case stepBcConfirm:
		switch in.button {
		case buttonAudience:
			d.Page = 0
			return next(stepBcAudience)
		case buttonPreview:
			return b.previewBroadcast(ctx, r, d)
		case buttonSend:
			return b.sendBroadcast(ctx, r, d, again)
		}
		return again(b.wrongInput(lang, in, "adm_want_choice"))
	}
	return b.endDialog(ctx, r)
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
func (b *Bot) shopProduct(ctx context.Context, shop core.ShopID, id core.ProductID) bool {
	p, err := b.catalog.Product(ctx, id)
	return err == nil && p.ShopID == shop && !p.Archived
}

// previewBroadcast sends the broadcast to the seller, exactly as its recipients
// will see it, and then the summary again below it, so Send is at hand.
func (b *Bot) previewBroadcast(ctx context.Context, r *request, d broadcastDraft) error {
	shop, err := b.catalog.Shop(ctx, d.ShopID)
	if err != nil {
		return err
	}
	products, err := b.broadcastProducts(ctx, d.Products)
	if err != nil {
		return err
	}
	if _, err := b.sendView(ctx, r.chatID, b.broadcastView(r.lang, shop, d.content(), products)); err != nil {
		return err
	}
	v, err := b.broadcastSummary(ctx, r, d)
	if err != nil {
		return err
	}
	r.answer(b.t(r.lang, "bc_preview_sent"))
	_, err = b.sendView(ctx, r.chatID, v)
	return err
}

// sendBroadcast starts the broadcast, keyed on the conversation so that a
// retried update starts it once, and turns the pressed summary into its
// progress message.
func (b *Bot) sendBroadcast(ctx context.Context, r *request, d broadcastDraft, again func(string) error) error {
	lang := r.lang
	messageID := 0
	if r.msg != nil && len(r.msg.Photo) == 0 {
		messageID = r.msg.MessageID
	} else {
		m, err := b.sendView(ctx, r.chatID, view{text: b.t(lang, "bc_starting")})
		if err != nil {
			return err
		}
		messageID = m.MessageID
		r.fresh = false
		r.msg = m
	}
	bc, err := b.broadcasts.Start(ctx, r.userID(), broadcast.Draft{
		Key: "conv:" + r.conv, ShopID: d.ShopID, Content: d.content(), Audience: d.audience(),
		ProgressChat: r.chatID, ProgressMessageID: messageID,
	})
	switch {
	case errors.Is(err, broadcast.ErrNobody):
		return again(b.t(lang, "bc_reaches_nobody"))
	case errors.Is(err, catalog.ErrProductNotFound):
		return again(b.t(lang, "err_product_gone"))
	case err != nil:
		return err
	}
	v, err := b.broadcastProgressView(ctx, lang, bc)
	if err != nil {
		return err
	}
	if r.callback != nil {
		r.answer(b.t(lang, "bc_started"))
	}
	if err := b.show(ctx, r, v); err != nil {
		return err
	}
	return b.endDialog(ctx, r)
}
