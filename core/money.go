package core

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Currency is an ISO 4217 code, or XTR for Telegram Stars.
type Currency string

// Stars is Telegram's own currency: whole stars, no provider.
const Stars Currency = "XTR"

// exponents lists the currencies Vitrina accepts with the number of digits after the
// decimal point of their minor unit (Telegram's currencies.json agrees).
var exponents = map[Currency]int{
	"XTR": 0,
	"RUB": 2, "KZT": 2, "UZS": 2, "BYN": 2, "UAH": 2, "KGS": 2, "AMD": 2, "AZN": 2, "GEL": 2, "MDL": 2, "TJS": 2,
	"USD": 2, "EUR": 2, "GBP": 2, "TRY": 2, "CNY": 2, "INR": 2, "AED": 2, "PLN": 2, "CZK": 2, "ILS": 2, "THB": 2,
	"IDR": 2, "MYR": 2, "PHP": 2, "SGD": 2, "HKD": 2, "BRL": 2, "MXN": 2, "CAD": 2, "AUD": 2, "CHF": 2, "SEK": 2,
	"NOK": 2, "DKK": 2, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "PYG": 0,
}

// symbols are the signs and words a seller may type after or before a price; each
// names one currency.
var symbols = map[string]Currency{
	"₽": "RUB", "р": "RUB", "р.": "RUB", "руб": "RUB", "руб.": "RUB", "rub": "RUB",
	"$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
	"₸": "KZT", "тг": "KZT", "kzt": "KZT", "₴": "UAH", "грн": "UAH", "uah": "UAH",
	"⭐": "XTR", "⭐️": "XTR", "xtr": "XTR", "stars": "XTR", "звёзд": "XTR", "звезд": "XTR",
}

// Exponent returns the number of decimal digits of c's minor unit, and whether
// Vitrina knows c.
func (c Currency) Exponent() (int, bool) {
	e, ok := exponents[c]
	return e, ok
}

// Valid reports whether Vitrina accepts c.
func (c Currency) Valid() bool {
	_, ok := exponents[c]
	return ok
}

// ParseCurrency reads a currency code or sign ("rub", "₽", "XTR", "stars").
func ParseCurrency(s string) (Currency, error) {
	s = strings.TrimSpace(s)
	if c := Currency(strings.ToUpper(s)); c.Valid() {
		return c, nil
	}
	if c, ok := symbols[strings.ToLower(s)]; ok {
		return c, nil
	}
	return "", ErrCurrencyUnknown
}

// Money is an amount in minor units (kopecks, cents, whole stars) of one currency.
// It is never a float.
type Money struct {
	Amount   int64
	Currency Currency
}

// MaxAmount bounds every amount Vitrina accepts, so sums and products of prices and
// quantities cannot overflow int64.
const MaxAmount = 1_000_000_000_000

// Errors of money input. Their messages are English; the bot shows its own texts.
var (
	ErrCurrencyUnknown  = &Error{Code: EINVALID, Message: "unknown currency"}
	ErrCurrencyMismatch = &Error{Code: EINVALID, Message: "currencies differ"}
	ErrPriceFormat      = &Error{Code: EINVALID, Message: "not a price: use digits, like 1250 or 12.50"}
	ErrPriceNegative    = &Error{Code: EINVALID, Message: "a price cannot be negative"}
	ErrPriceZero        = &Error{Code: EINVALID, Message: "a price must be more than zero"}
	ErrPriceTooPrecise  = &Error{Code: EINVALID, Message: "too many digits after the decimal point"}
	ErrPriceTooLarge    = &Error{Code: EINVALID, Message: "the amount is too large"}
	ErrAmountOverflow   = &Error{Code: EINVALID, Message: "the amount is too large"}
)

// ParseMoney reads an amount a person typed in currency cur: "1250", "12,50",
// "12.5 ₽", "1 250,00 руб", "$12.50". The last '.' or ',' is the decimal point;
// spaces and apostrophes group thousands. A currency sign, if any, must name cur.
// Zero is accepted; negative amounts, letters and more decimals than cur has are not.
func ParseMoney(s string, cur Currency) (Money, error) {
	exp, ok := cur.Exponent()
	if !ok {
		return Money{}, ErrCurrencyUnknown
	}
	s = strings.TrimSpace(s)
	num, sign, err := splitSign(s)
	if err != nil {
		return Money{}, err
	}
	if sign != "" {
		c, err := ParseCurrency(sign)
		if err != nil {
			return Money{}, ErrPriceFormat
		}
		if c != cur {
			return Money{}, ErrCurrencyMismatch
		}
	}
	if strings.HasPrefix(num, "-") || strings.HasPrefix(num, "−") {
		return Money{}, ErrPriceNegative
	}
	num = strings.TrimPrefix(num, "+")
	var intPart, frac strings.Builder
	seenPoint := false
	for _, r := range num {
		switch {
		case r >= '0' && r <= '9':
			if seenPoint {
				frac.WriteRune(r)
			} else {
				intPart.WriteRune(r)
			}
		case r == '.' || r == ',':
			if seenPoint {
				return Money{}, ErrPriceFormat
			}
			seenPoint = true
		case r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '\'':
			if seenPoint {
				return Money{}, ErrPriceFormat
			}
		default:
			return Money{}, ErrPriceFormat
		}
	}
	if intPart.Len() == 0 && frac.Len() == 0 {
		return Money{}, ErrPriceFormat
	}
	if seenPoint && frac.Len() == 0 {
		return Money{}, ErrPriceFormat
	}
	f := strings.TrimRight(frac.String(), "0")
	if len(f) > exp {
		return Money{}, ErrPriceTooPrecise
	}
	f += strings.Repeat("0", exp-len(f))
	digits := strings.TrimLeft(intPart.String()+f, "0")
	if digits == "" {
		return Money{Currency: cur}, nil
	}
	if len(digits) > 18 {
		return Money{}, ErrPriceTooLarge
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > MaxAmount {
		return Money{}, ErrPriceTooLarge
	}
	return Money{Amount: n, Currency: cur}, nil
}

// ParsePrice is ParseMoney for a price, which must be more than zero.
func ParsePrice(s string, cur Currency) (Money, error) {
	m, err := ParseMoney(s, cur)
	if err != nil {
		return Money{}, err
	}
	if m.Amount == 0 {
		return Money{}, ErrPriceZero
	}
	return m, nil
}

// splitSign separates a currency sign or word, written before or after the number,
// from the number.
func splitSign(s string) (num, sign string, err error) {
	isNum := func(r rune) bool {
		return unicode.IsDigit(r) || strings.ContainsRune(".,+-−' \u00a0\u202f\u2009", r)
	}
	start := strings.IndexFunc(s, func(r rune) bool { return unicode.IsDigit(r) || strings.ContainsRune("+-−.,", r) })
	if start < 0 {
		return "", "", ErrPriceFormat
	}
	end := start
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !isNum(r) {
			break
		}
		end += size
	}
	before, after := strings.TrimSpace(s[:start]), strings.TrimSpace(s[end:])
	if before != "" && after != "" {
		return "", "", ErrPriceFormat
	}
	return strings.TrimSpace(s[start:end]), before + after, nil
}

// IsZero reports whether m is zero of any currency.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m + o; both must be of one currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, ErrCurrencyMismatch
	}
	if o.Amount > 0 && m.Amount > math.MaxInt64-o.Amount || o.Amount < 0 && m.Amount < math.MinInt64-o.Amount {
		return Money{}, ErrAmountOverflow
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Mul returns m * n.
func (m Money) Mul(n int64) (Money, error) {
	if n != 0 && m.Amount != 0 {
		p := m.Amount * n
		if p/n != m.Amount {
			return Money{}, ErrAmountOverflow
		}
		return Money{Amount: p, Currency: m.Currency}, nil
	}
	return Money{Currency: m.Currency}, nil
}

// Decimal returns the amount written with a decimal point and the currency's number
// of decimals: "12.50", "150".
func (m Money) Decimal() string {
	exp, _ := m.Currency.Exponent()
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	s := strconv.FormatInt(a, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// String returns "12.50 RUB"; the bot formats money for people itself.
func (m Money) String() string { return m.Decimal() + " " + string(m.Currency) }
