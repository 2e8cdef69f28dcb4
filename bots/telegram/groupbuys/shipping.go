package groupbuys

import (
	"context"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
)

// The organizer splits the shipping of the goods to the pickup points among
// the paid participants collecting there (groupbuy.SplitShipping), from the
// purchase's screen, once; the shares' invoices go from the workers
// (SendShippingInvoice).

const (
	verbShipping   = "agz" // agz:<purchase>: split the shipping (conversation)
	dialogShipping = "groupbuy:shipping"
	stepShipping   = "gb_shipping"
)

// shippingDialog is what the conversation of the shipping keeps.
type shippingDialog struct {
	Purchase groupbuy.ID `json:"purchase"`
}

func (b *organizer) shippingRoutes(r *telegram.Router) {
	r.Callback(verbShipping, b.onShipping)
	r.Conversation(dialogShipping, b.shippingStep, b.k.DialogStep)
}

// onShipping asks the organizer what the shipping to the point cost.
func (b *organizer) onShipping(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if p.ShippingTotal.Amount > 0 {
		return groupbuy.ErrShippingSplit
	}
	if err := b.k.StartDialog(ctx, r, dialogShipping, stepShipping, shippingDialog{Purchase: p.ID}); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.shippingPrompt(r.Lang, p))
}

func (b *organizer) shippingPrompt(lang string, p groupbuy.Purchase) telegram.View {
	return telegram.View{Text: b.k.T(lang, "gb_ask_shipping", p.Title)}
}

func (b *organizer) shippingStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data shippingDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	p, err := b.groups.Purchase(ctx, data.Purchase)
	if err != nil {
		return err
	}
	again, _ := b.k.StepMoves(ctx, r, st, &data, func(string) (telegram.View, error) { return b.shippingPrompt(r.Lang, p), nil })
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "gb_want_shipping"))
	}
	total, err := core.ParsePrice(in.Text, p.Currency())
	if err != nil {
		return again(b.k.T(r.Lang, "gb_err_shipping"))
	}
	shares, err := b.groups.SplitShipping(ctx, r.UserID(), p.ID, total)
	if telegram.UserFacing(err) {
		return again(b.k.ErrorText(r.Lang, err))
	}
	if err != nil {
		return err
	}
	notice := b.k.T(r.Lang, "gb_shipping_split", telegram.FormatMoney(r.Lang, total), len(shares))
	return b.k.FinishDialog(ctx, r, dialogShipping, notice, telegram.Screen(verbOrganize, int64(p.ID)))
}
