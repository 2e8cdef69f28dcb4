package shopper

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/orphan"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// recordOrphan records a successful payment that names no order, and tells the
// buyer it is being checked. A failure to record is returned, so the update comes
// back: the money must not go unrecorded. A charge recorded before (a redelivery)
// is told again, since the first answer may not have reached the buyer.
func (b *Feature) recordOrphan(ctx context.Context, r *telegram.Request, reason orphan.Reason) error {
	sp := r.Msg.SuccessfulPayment
	from := r.Msg.From
	name := strings.TrimSpace(from.FirstName + " " + from.LastName)
	p, created, err := b.orphans.Record(ctx, orphan.Received{
		TelegramChargeID: sp.TelegramPaymentChargeID,
		ProviderChargeID: sp.ProviderPaymentChargeID,
		Amount:           core.Money{Amount: int64(sp.TotalAmount), Currency: core.Currency(sp.Currency)},
		PayerID:          r.UserID(),
		PayerName:        name,
		PayerUsername:    from.Username,
		Payload:          []byte(sp.InvoicePayload),
		Reason:           reason,
	})
	if err != nil {
		// Nothing is recorded and the update must come back, not be explained to
		// the buyer as their mistake: an application error is hidden (%v). Any
		// other (the database away) stays visible (%w), so the inbox retries it
		// for the whole outage window.
		if _, app := errors.AsType[*core.Error](err); app {
			return fmt.Errorf("record orphan payment: %v", err)
		}
		return fmt.Errorf("record orphan payment: %w", err)
	}
	if created {
		// Not an error: recorded, and the operators are told. Logged for the record.
		b.log.WarnContext(ctx, "payment names no order; recorded as an orphan",
			"orphan_id", p.ID, "reason", p.Reason, "buyer", r.UserID(), "update_id", r.Update.UpdateID)
	}
	return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "orphan_received", telegram.FormatMoney(r.Lang, p.Amount)), nil)
}
