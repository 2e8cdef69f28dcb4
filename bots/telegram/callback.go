package telegram

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core/orphan"
)

// Callback data is "<verb>:<arg>:<arg>...": a short verb naming the action and its
// arguments, mostly record ids. Telegram allows 1-64 bytes, so it carries ids, never
// titles or prices: a handler re-reads what it needs, which also makes a stale
// button fail cleanly when the record changed.

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// Callback verbs. Each is registered once with router.callback; the seller side
// registers its own verbs in its package. Shared verbs that several features emit are
// declared here so neither side spells them twice.
const (
	VerbNoop = "x" // a label button (page number, quantity): answered, nothing else

	// Shopper side.
	VerbShops        = "sh" // sh:<page>: the list of shops
	VerbShop         = "s"  // s:<shop>: a shop's front (categories)
	VerbProducts     = "pl" // pl:<shop>:<category>:<page>: a page of products
	VerbProduct      = "p"  // p:<product>:<variant>:<qty>[:<photo>]: a product card (at its photo number photo)
	VerbProductNew   = "pn" // pn:<product>:<variant>:<qty>: the same in a new message (search results stay)
	VerbAddToCart    = "ac" // ac:<variant>:<qty>
	VerbBuyNow       = "bn" // bn:<variant>:<qty>: checkout of one variant without the cart
	VerbCart         = "c"  // c:<shop>
	VerbCartQuantity = "cq" // cq:<variant>:<qty>: set a cart line (0 removes it)
	VerbCartTypeQty  = "ct" // ct:<variant>: ask the shopper to type a quantity
	VerbCartClear    = "cx" // cx:<shop>
	VerbCheckout     = "co" // co:<shop>: checkout of the cart
	VerbConfirmCart  = "kc" // kc:<shop>:<delivery>:<pickup>:<nonce>: reserve and invoice the cart
	VerbConfirmBuy   = "kb" // kb:<variant>:<qty>:<delivery>:<pickup>:<nonce>: reserve and invoice one variant
	VerbOrders       = "ol" // ol:<page>: the shopper's orders
	VerbOrder        = "od" // od:<order>: one of the shopper's orders
	VerbOrderNew     = "on" // on:<order>: the same in a new message (notifications, receipts: they stay)
	VerbOrderPay     = "op" // op:<order>: send the invoice of an order awaiting payment again
	VerbOrderCancel  = "oc" // oc:<order>: the buyer cancels an order awaiting payment
	VerbOrderDone    = "of" // of:<order>: the buyer confirms receipt
	VerbLanguage     = "l"  // l:<ru|en>

	// VerbAdminOrder opens an order in the seller's admin menu: ao:<order>; and
	// verbAdminOrderNew the same in a new message, leaving the pressed one as it is:
	// the button of staff notifications (outbound), which stay in the chat. Both
	// are handled by admin/orders.
	VerbAdminOrder    = "ao"
	VerbAdminOrderNew = "aon"
)

// CallbackData is parsed callback data.
type CallbackData struct {
	Verb string
	Args []string
}

// Errors of the callback codec. A button the bot did not make (an old client, a
// forged query) is answered with a generic text, never trusted.
var (
	errCallbackTooLong = errors.New("callback data longer than 64 bytes")
	errCallbackVerb    = errors.New("callback verb is not 1-4 lowercase letters")
	errCallbackArg     = errors.New("callback argument contains ':' or is not UTF-8")
	errCallbackArity   = errors.New("callback has a wrong number of arguments")
	errCallbackInt     = errors.New("callback argument is not a number")
)

// EncodeCallback builds callback data from a verb and its arguments. Integer
// arguments (including the typed ids of core) are written in decimal; strings must
// not contain ':'. It fails if the result would not fit Telegram's 64 bytes.
func EncodeCallback(verb string, args ...any) (string, error) {
	if !validVerb(verb) {
		return "", errCallbackVerb
	}
	var b strings.Builder
	b.WriteString(verb)
	for _, a := range args {
		b.WriteByte(':')
		s, err := callbackArg(a)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if b.Len() > maxCallbackData {
		return "", errCallbackTooLong
	}
	return b.String(), nil
}

// callbackArg renders one argument of callback data.
func callbackArg(a any) (string, error) {
	var s string
	switch v := a.(type) {
	case string:
		s = v
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	default:
		// Typed ids (core.ProductID, ...) are int64 underneath.
		n, ok := asInt64(a)
		if !ok {
			return "", errCallbackArg
		}
		s = strconv.FormatInt(n, 10)
	}
	if strings.ContainsRune(s, ':') || !utf8.ValidString(s) {
		return "", errCallbackArg
	}
	return s, nil
}

// parseCallback reads callback data made by EncodeCallback.
func parseCallback(data string) (CallbackData, error) {
	if len(data) == 0 || len(data) > maxCallbackData {
		return CallbackData{}, errCallbackTooLong
	}
	if !utf8.ValidString(data) {
		return CallbackData{}, errCallbackArg
	}
	parts := strings.Split(data, ":")
	if !validVerb(parts[0]) {
		return CallbackData{}, errCallbackVerb
	}
	return CallbackData{Verb: parts[0], Args: parts[1:]}, nil
}

// String encodes d back; parseCallback(d.String()) == d for any parsed d.
func (d CallbackData) String() string {
	if len(d.Args) == 0 {
		return d.Verb
	}
	return d.Verb + ":" + strings.Join(d.Args, ":")
}

// Want checks that d has exactly n arguments.
func (d CallbackData) Want(n int) error {
	if len(d.Args) != n {
		return errCallbackArity
	}
	return nil
}

// Int returns argument i as an integer; errCallbackInt if it is not one.
func (d CallbackData) Int(i int) (int64, error) {
	if i >= len(d.Args) {
		return 0, errCallbackArity
	}
	n, err := strconv.ParseInt(d.Args[i], 10, 64)
	if err != nil {
		return 0, errCallbackInt
	}
	return n, nil
}

// Str returns argument i.
func (d CallbackData) Str(i int) string {
	if i >= len(d.Args) {
		return ""
	}
	return d.Args[i]
}

func validVerb(v string) bool {
	if len(v) == 0 || len(v) > 4 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 'a' || v[i] > 'z' {
			return false
		}
	}
	return true
}

// asInt64 returns the value of any signed integer type, such as core.ProductID.
func asInt64(a any) (int64, bool) {
	v := reflect.ValueOf(a)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	}
	return 0, false
}

// Callback verbs of broadcasts.
const (
	VerbAdminBroadcasts = "abr" // abr:<shop>: the shop's broadcasts in the admin menu
	VerbAdminKOLs       = "akl" // akl:<shop>: the shop's KOLs and live drops in the admin menu
	VerbAdminGroupBuys  = "agl" // agl:<shop>: the shop's group buys in the admin menu (a KOL's too)
	VerbKOLMenu         = "km"  // km: a KOL's menu
	VerbAdminTeams      = "atl" // atl:<shop>: the shop's team prices in the admin menu
)

// Shared callback verbs of the seller side. Arguments
// are record ids unless said otherwise.
const (
	VerbAdminMenu      = "am"   // am:<shop>: a shop's menu
	VerbAdminButton    = "ad"   // ad:<step>:<value>: a button of a conversation step (dialog.go)
	VerbAdminRefundAsk = "arfa" // arfa:<order>:<payment>: confirm a card refund at the provider?
	VerbOperatorShops  = "aop"  // aop:<page>: every shop, for operators
)

// Callback verbs of reviews.
const (
	VerbAdminReviews = "arv" // arv:<shop>[:<page>]: the shop's reviews in the admin menu
	VerbReviewWrite  = "rw"  // rw:<order>: write a review of an order's products (the review request's button)
)

// Callback verbs of orphan payments, for platform operators.
const (
	VerbOrphanNew = "aogn" // aogn:<orphan>: the same in a new message (the notification's button)
)

// OrphanPayer names the payer: their name and @username as Telegram gave them.
func OrphanPayer(p orphan.Payment) string {
	s := p.PayerName
	if s == "" {
		s = "#" + FormatID(p.PayerID)
	}
	if p.PayerUsername != "" {
		s += " (@" + p.PayerUsername + ")"
	}
	return s
}
