package sandbox

import (
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/botapi"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// The sandbox's data types are declared where the code that fills them lives, the model (world)
// and the Bot API (botapi), and re-exported here under their names: sandbox.Message is
// world.Message. Their documentation is with their declarations.

// Chats, users and messages.
type (
	ChatType     = world.ChatType
	MemberStatus = world.MemberStatus
	UserSpec     = world.UserSpec
	ChatInfo     = world.ChatInfo
	Attachment   = world.Attachment
	Invoice      = world.Invoice
	Message      = world.Message
)

// Chat kinds.
const (
	ChatPrivate    = world.ChatPrivate
	ChatGroup      = world.ChatGroup
	ChatSupergroup = world.ChatSupergroup
	ChatChannel    = world.ChatChannel
)

// Member statuses.
const (
	StatusCreator       = world.StatusCreator
	StatusAdministrator = world.StatusAdministrator
	StatusMember        = world.StatusMember
	StatusLeft          = world.StatusLeft
	StatusKicked        = world.StatusKicked
)

// Payments.
type (
	Payment   = world.Payment
	PayStatus = world.PayStatus
)

// Payment outcomes.
const (
	PayPaid             = world.PayPaid
	PayDeclined         = world.PayDeclined
	PayShippingRejected = world.PayShippingRejected
	PayTimedOut         = world.PayTimedOut
	PayProviderFailed   = world.PayProviderFailed
	PayRefunded         = world.PayRefunded
)

// The bot's answers to queries.
type (
	CallbackAnswer = world.CallbackAnswer
	InlineResult   = botapi.InlineResult
	InlineAnswer   = botapi.InlineAnswer
)

// Events.
type (
	Event     = world.Event
	EventKind = world.EventKind
)

// Event kinds.
const (
	EventMessageNew       = world.EventMessageNew
	EventMessageEdited    = world.EventMessageEdited
	EventMessageDeleted   = world.EventMessageDeleted
	EventCallbackAnswered = world.EventCallbackAnswered
	EventChatAction       = world.EventChatAction
	EventPayment          = world.EventPayment
	EventWebhookFailed    = world.EventWebhookFailed
)

// APIError is a Bot API error answer: {"ok":false,"error_code":Code,"description":Description,...}.
type APIError = botapi.APIError

// ErrNotAnswered is returned when the bot did not answer a query (callback, inline, shipping,
// pre-checkout) before its deadline. A later answer gets "query is too old", as on Telegram.
var ErrNotAnswered = world.ErrNotAnswered
