package inbox

import (
	"math"

	"github.com/mymmrac/telego"
)

// route returns the kind of an update (the name of its field in the Bot API: "message",
// "callback_query", ...) and its chat key: the key of the updates that are handled in
// order with it.
//
// The chat key is the chat's id when the update belongs to a chat, and otherwise the id
// of the user who caused it. A private chat's id is its user's id, so a user's inline
// buttons are ordered with the messages of their chat with the bot. Shipping and
// pre-checkout queries are the exception (queryKey): Telegram waits for their answer
// (10 seconds for a pre-checkout, then the payment fails), so they must not queue
// behind a slow or failing update of the chat; and nothing in the chat needs to come
// before them, while the successful_payment message comes after its pre-checkout by
// itself (Telegram sends it only once the answer said yes). Updates with neither (a
// poll's new state) share the key 0.
func route(u telego.Update) (kind string, chatKey int64) {
	switch {
	case u.Message != nil:
		return "message", u.Message.Chat.ID
	case u.EditedMessage != nil:
		return "edited_message", u.EditedMessage.Chat.ID
	case u.ChannelPost != nil:
		return "channel_post", u.ChannelPost.Chat.ID
	case u.EditedChannelPost != nil:
		return "edited_channel_post", u.EditedChannelPost.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message; m != nil {
			return "callback_query", m.GetChat().ID
		}
		return "callback_query", u.CallbackQuery.From.ID // a button of an inline-mode message
	case u.InlineQuery != nil:
		return "inline_query", u.InlineQuery.From.ID
	case u.ChosenInlineResult != nil:
		return "chosen_inline_result", u.ChosenInlineResult.From.ID
	case u.ShippingQuery != nil:
		return "shipping_query", queryKey(u.ShippingQuery.From.ID)
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query", queryKey(u.PreCheckoutQuery.From.ID)
	case u.PurchasedPaidMedia != nil:
		return "purchased_paid_media", u.PurchasedPaidMedia.From.ID
	case u.MyChatMember != nil:
		return "my_chat_member", u.MyChatMember.Chat.ID
	case u.ChatMember != nil:
		return "chat_member", u.ChatMember.Chat.ID
	case u.ChatJoinRequest != nil:
		return "chat_join_request", u.ChatJoinRequest.Chat.ID
	case u.MessageReaction != nil:
		return "message_reaction", u.MessageReaction.Chat.ID
	case u.MessageReactionCount != nil:
		return "message_reaction_count", u.MessageReactionCount.Chat.ID
	case u.ChatBoost != nil:
		return "chat_boost", u.ChatBoost.Chat.ID
	case u.RemovedChatBoost != nil:
		return "removed_chat_boost", u.RemovedChatBoost.Chat.ID
	case u.BusinessConnection != nil:
		return "business_connection", u.BusinessConnection.User.ID
	case u.BusinessMessage != nil:
		return "business_message", u.BusinessMessage.Chat.ID
	case u.EditedBusinessMessage != nil:
		return "edited_business_message", u.EditedBusinessMessage.Chat.ID
	case u.DeletedBusinessMessages != nil:
		return "deleted_business_messages", u.DeletedBusinessMessages.Chat.ID
	case u.GuestMessage != nil:
		return "guest_message", u.GuestMessage.Chat.ID
	case u.PollAnswer != nil:
		if u.PollAnswer.User != nil {
			return "poll_answer", u.PollAnswer.User.ID
		}
		if u.PollAnswer.VoterChat != nil {
			return "poll_answer", u.PollAnswer.VoterChat.ID
		}
		return "poll_answer", 0
	case u.Poll != nil:
		return "poll", 0
	case u.ManagedBot != nil:
		return "managed_bot", u.ManagedBot.User.ID
	case u.Subscription != nil:
		return "subscription", u.Subscription.User.ID
	}
	return "unknown", 0
}

// queryKey is the chat key of a user's shipping and pre-checkout queries: one of
// their own, apart from the user's chat with the bot. Chat ids are above -10^13
// (supergroups and channels) and user ids below 2^52, so keys counted up from
// math.MinInt64 never meet a chat's.
func queryKey(user int64) int64 { return math.MinInt64 + user }
