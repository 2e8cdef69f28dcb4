package telegram

import (
	"errors"
	"strconv"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
)

// A deep link t.me/<bot>?start=<payload> arrives as "/start <payload>". Telegram
// allows up to 64 characters of A-Z a-z 0-9 _ - in a payload.

const maxDeepLink = 64

// deepLinkKind says what a deep link opens.
type deepLinkKind int

const (
	LinkShop    deepLinkKind = iota + 1 // s_<shop id>
	LinkProduct                         // p_<product id>
	LinkInvite                          // inv_<token>: a staff invitation (handled by the seller side)
)

// deepLink is a parsed /start payload.
type deepLink struct {
	Kind    deepLinkKind
	ID      int64  // shop or product id
	Token   string // invitation token
	Payload string // the payload as received
}

var ErrDeepLink = errors.New("not a deep link payload of this bot")

// ParseDeepLink reads a /start payload. Ids are positive decimal numbers without
// leading zeros, so one id has one payload; tokens are 1-60 payload characters.
func ParseDeepLink(payload string) (deepLink, error) {
	if !validPayload(payload) {
		return deepLink{}, ErrDeepLink
	}
	prefix, rest, ok := strings.Cut(payload, "_")
	if !ok || rest == "" {
		return deepLink{}, ErrDeepLink
	}
	switch prefix {
	case "s", "p":
		if rest[0] == '0' || strings.ContainsAny(rest, "+-_") {
			return deepLink{}, ErrDeepLink
		}
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return deepLink{}, ErrDeepLink
		}
		kind := LinkShop
		if prefix == "p" {
			kind = LinkProduct
		}
		return deepLink{Kind: kind, ID: id, Payload: payload}, nil
	case "inv":
		return deepLink{Kind: LinkInvite, Token: rest, Payload: payload}, nil
	}
	return deepLink{}, ErrDeepLink
}

// ShopLink returns the payload that opens a shop.
func ShopLink(id core.ShopID) string { return "s_" + strconv.FormatInt(int64(id), 10) }

// ProductLink returns the payload that opens a product card.
func ProductLink(id core.ProductID) string { return "p_" + strconv.FormatInt(int64(id), 10) }

// InviteLink returns the payload of a staff invitation; errDeepLink if the token
// has characters a payload cannot carry or is too long.
func InviteLink(token string) (string, error) {
	p := "inv_" + token
	if token == "" || !validPayload(p) {
		return "", ErrDeepLink
	}
	return p, nil
}

// StartURL returns the t.me link that opens the bot with payload.
func (b *Bot) StartURL(payload string) string {
	return "https://t.me/" + b.username + "?start=" + payload
}

func validPayload(p string) bool {
	if len(p) == 0 || len(p) > maxDeepLink {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
