package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/reconcile"
)

// TypeStarsReconcile is the daily task that compares the Stars payments Telegram
// lists with Vitrina's and reports differences to the operators. No payload.
const TypeStarsReconcile = "stars:reconcile"

// reconcileEvery is the period of the Stars reconciliation.
const reconcileEvery = 24 * time.Hour

// Reconciler is the reconciliation service (reconcile.Service).
type Reconciler interface {
	Window() (from, to time.Time)
	Reconcile(ctx context.Context, from, to time.Time, telegram []reconcile.StarPayment) (reconcile.Report, error)
}

// StarsTelegram is Telegram's side of the reconciliation. Implemented by the bot.
type StarsTelegram interface {
	// StarPayments lists the Stars payments Telegram knows (getStarTransactions).
	StarPayments(ctx context.Context) ([]reconcile.StarPayment, error)
	// ReconcileMessages composes the report of differences to the operators; none
	// for a clean report.
	ReconcileMessages(ctx context.Context, r reconcile.Report) ([]core.Message, error)
}

// HandleStarsReconcile runs the Stars reconciliation (TypeStarsReconcile). The
// report's messages are keyed by the window, so a retry sends them once.
func (w *Workers) HandleStarsReconcile(ctx context.Context, t *asynq.Task) error {
	if w.reconciler == nil || w.stars == nil {
		return nil // not wired: nothing to reconcile
	}
	from, to := w.reconciler.Window()
	tg, err := w.stars.StarPayments(ctx)
	if err != nil {
		return fmt.Errorf("reconcile stars: %w", err)
	}
	r, err := w.reconciler.Reconcile(ctx, from, to, tg)
	if err != nil {
		return classify(err)
	}
	if r.Clean() {
		w.log.Info("stars reconciled", "payments", r.Checked, "from", from, "to", to)
		return nil
	}
	w.log.Warn("stars payments differ between Telegram and Vitrina; operators told",
		"unknown_to_vitrina", len(r.UnknownToVitrina), "unknown_to_telegram", len(r.UnknownToTelegram),
		"refund_mismatch", len(r.RefundMismatch))
	msgs, err := w.stars.ReconcileMessages(ctx, r)
	if err != nil {
		return classify(fmt.Errorf("reconcile stars: %w", err))
	}
	return w.Send(ctx, msgs...)
}
