package telegram

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Callback data is "<verb>:<arg>:<arg>...": a short verb naming the action and its
// arguments, mostly record ids. Telegram allows 1-64 bytes, so it carries ids, never
// titles or prices: a handler re-reads what it needs, which also makes a stale
// button fail cleanly when the record changed.

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// Callback verbs. Each is registered once with router.callback; the seller side
// registers its own verbs in admin*.go. Shared verbs that both sides emit are
// declared here so neither side spells them twice.
const (
	verbNoop = "x" // a label button (page number, quantity): answered, nothing else

	// Shopper side.
	verbShops        = "sh" // sh:<page>: the list of shops
	verbShop         = "s"  // s:<shop>: a shop's front (categories)
	verbProducts     = "pl" // pl:<shop>:<category>:<page>: a page of products
	verbProduct      = "p"  // p:<product>:<variant>:<qty>: a product card
	verbProductNew   = "pn" // pn:<product>:<variant>:<qty>: the same in a new message (search results stay)
	verbAddToCart    = "ac" // ac:<variant>:<qty>
	verbBuyNow       = "bn" // bn:<variant>:<qty>: checkout of one variant without the cart
	verbCart         = "c"  // c:<shop>
	verbCartQuantity = "cq" // cq:<variant>:<qty>: set a cart line (0 removes it)
	verbCartTypeQty  = "ct" // ct:<variant>: ask the shopper to type a quantity
	verbCartClear    = "cx" // cx:<shop>
	verbCheckout     = "co" // co:<shop>: checkout of the cart
	verbConfirmCart  = "kc" // kc:<shop>:<delivery>:<pickup>:<nonce>: reserve and invoice the cart
	verbConfirmBuy   = "kb" // kb:<variant>:<qty>:<delivery>:<pickup>:<nonce>: reserve and invoice one variant
	verbOrders       = "ol" // ol:<page>: the shopper's orders
	verbOrder        = "od" // od:<order>: one of the shopper's orders
	verbOrderNew     = "on" // on:<order>: the same in a new message (notifications, receipts: they stay)
	verbOrderPay     = "op" // op:<order>: send the invoice of an order awaiting payment again
	verbOrderCancel  = "oc" // oc:<order>: the buyer cancels an order awaiting payment
	verbOrderDone    = "of" // of:<order>: the buyer confirms receipt
	verbLanguage     = "l"  // l:<ru|en>

	// verbAdminOrder opens an order in the seller's admin menu: ao:<order>; and
	// verbAdminOrderNew the same in a new message, leaving the pressed one as it is:
	// the button of staff notifications (notify.go), which stay in the chat. Both
	// are handled by the seller side (admin*.go).
	verbAdminOrder    = "ao"
	verbAdminOrderNew = "aon"
)

// callbackData is parsed callback data.
type callbackData struct {
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

// encodeCallback builds callback data from a verb and its arguments. Integer
// arguments (including the typed ids of core) are written in decimal; strings must
// not contain ':'. It fails if the result would not fit Telegram's 64 bytes.
func encodeCallback(verb string, args ...any) (string, error) {
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

// parseCallback reads callback data made by encodeCallback.
func parseCallback(data string) (callbackData, error) {
	if len(data) == 0 || len(data) > maxCallbackData {
		return callbackData{}, errCallbackTooLong
	}
	if !utf8.ValidString(data) {
		return callbackData{}, errCallbackArg
	}
	parts := strings.Split(data, ":")
	if !validVerb(parts[0]) {
		return callbackData{}, errCallbackVerb
	}
	return callbackData{Verb: parts[0], Args: parts[1:]}, nil
}

// String encodes d back; parseCallback(d.String()) == d for any parsed d.
func (d callbackData) String() string {
	if len(d.Args) == 0 {
		return d.Verb
	}
	return d.Verb + ":" + strings.Join(d.Args, ":")
}

// want checks that d has exactly n arguments.
func (d callbackData) want(n int) error {
	if len(d.Args) != n {
		return errCallbackArity
	}
	return nil
}

// Int returns argument i as an integer; errCallbackInt if it is not one.
func (d callbackData) Int(i int) (int64, error) {
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
func (d callbackData) Str(i int) string {
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
