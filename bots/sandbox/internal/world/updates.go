package world

import (
	"slices"
	"time"

	"github.com/mymmrac/telego"
)

// Webhook is where updates go: URL, or getUpdates when URL is "".
type Webhook struct {
	URL            string
	Secret         string
	MaxConnections int
	AllowedUpdates []string
	Sem            chan struct{} // bounds concurrent POSTs to MaxConnections
	LastErrorDate  time.Time
	LastErrorMsg   string
}

// QueuedUpdate is an update waiting for getUpdates.
type QueuedUpdate struct {
	ID   int
	Body []byte
}

// SentUpdate is an update as it was sent, kept for redelivery.
type SentUpdate struct {
	ID     int
	UserID int64 // the persona who caused it; 0 for none
	Body   []byte
}

// RecentLimit is how many sent updates the world keeps for redelivery.
const RecentLimit = 1000

// SetWebhookLocked points update delivery at url ("" for getUpdates).
func (w *World) SetWebhookLocked(url, secret string, maxConnections int, allowed []string) {
	wh := &w.Webhook
	wh.URL, wh.Secret = url, secret
	if url == "" {
		wh.Secret = ""
	}
	wh.MaxConnections = maxConnections
	wh.Sem = make(chan struct{}, maxConnections)
	if allowed != nil {
		wh.AllowedUpdates = allowed
	}
	// A poller waiting in getUpdates must learn that a webhook took over.
	w.WakePollersLocked()
}

// UpdateKind names the update's type as allowed_updates does.
func UpdateKind(u *telego.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.EditedChannelPost != nil:
		return "edited_channel_post"
	case u.InlineQuery != nil:
		return "inline_query"
	case u.ChosenInlineResult != nil:
		return "chosen_inline_result"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.ShippingQuery != nil:
		return "shipping_query"
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query"
	case u.MyChatMember != nil:
		return "my_chat_member"
	case u.ChatMember != nil:
		return "chat_member"
	case u.MessageReaction != nil:
		return "message_reaction"
	case u.MessageReactionCount != nil:
		return "message_reaction_count"
	}
	return "unknown"
}

// AllowedLocked applies allowed_updates; by default Telegram leaves out chat_member and reactions.
func (w *World) AllowedLocked(kind string) bool {
	if len(w.Webhook.AllowedUpdates) == 0 {
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(w.Webhook.AllowedUpdates, kind)
}

// RememberLocked keeps a sent update for redelivery, the last RecentLimit of them.
func (w *World) RememberLocked(su SentUpdate) {
	w.Recent = append(w.Recent, su)
	if len(w.Recent) > RecentLimit {
		w.Recent = slices.Delete(w.Recent, 0, len(w.Recent)-RecentLimit)
	}
}

// PendingLocked returns how many updates wait: refused by the webhook, or queued for getUpdates.
func (w *World) PendingLocked() int {
	return len(w.Failed) + len(w.Queue)
}
