package telegram

import (
	"strconv"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// FormatMoney writes an amount the way people of lang read it:
// ru "1 250,50 ₽", en "₽1,250.50" or "1,250.50 KZT"; Stars "150 ⭐" in both.
func FormatMoney(lang string, m core.Money) string {
	dec := m.Decimal() // "1250.50", "-3.00", "150"
	neg := strings.HasPrefix(dec, "-")
	dec = strings.TrimPrefix(dec, "-")
	intPart, frac, _ := strings.Cut(dec, ".")
	if strings.Trim(frac, "0") == "" {
		frac = "" // whole: "4 990 ₽", as people write prices, not "4 990,00 ₽"
	}
	groupSep, decSep := ",", "."
	if lang == "ru" || lang == "kk" {
		groupSep, decSep = "\u00a0", ","
	}
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	symbol, prefix := currencySign(lang, m.Currency)
	if prefix {
		b.WriteString(symbol)
	}
	b.WriteString(groupThousands(intPart, groupSep))
	if frac != "" {
		b.WriteString(decSep)
		b.WriteString(frac)
	}
	if !prefix {
		b.WriteString("\u00a0")
		b.WriteString(symbol)
	}
	return b.String()
}

// currencySign returns the sign or code written with an amount of c, and whether
// it goes before the number.
func currencySign(lang string, c core.Currency) (string, bool) {
	if c == core.Stars {
		return "⭐", false
	}
	signs := map[core.Currency]string{"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "KZT": "₸", "UAH": "₴"}
	s, ok := signs[c]
	if !ok {
		return string(c), false
	}
	if lang == "ru" || lang == "kk" || c == "KZT" {
		return s, false // "12 500 ₸", in any language
	}
	switch c {
	case "RUB", "USD", "EUR", "GBP":
		return s, true
	}
	return string(c), false
}

// groupThousands inserts sep between groups of three digits.
func groupThousands(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// formatPriceRange writes the price of a product: one price, or "from–to" when its
// variants differ.
func formatPriceRange(lang string, lo, hi core.Money) string {
	if lo.Amount == hi.Amount {
		return FormatMoney(lang, lo)
	}
	return FormatMoney(lang, lo) + " – " + FormatMoney(lang, hi)
}

// Itoa is strconv.Itoa, short for texts.
func Itoa(n int) string { return strconv.Itoa(n) }

// Escape makes user or seller text safe inside an HTML message.
func Escape(s string) string { return htmlEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// Plain strips the HTML of a catalog text for places that show plain text
// (invoices): the catalog's own tags, and escaped characters back.
func Plain(s string) string {
	var out strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			out.WriteRune(r)
		}
	}
	return htmlUnescaper.Replace(out.String())
}

var htmlUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&amp;", "&")

// Moscow is the time zone of the times the bot shows and reads, labelled
// "МСК" wherever shown: most sellers and shoppers Vitrina serves live in it. A
// shop's own zone (Kazakhstan is UTC+5) is a setting to come.
var Moscow = time.FixedZone("MSK", 3*60*60)

// ParseMoscowTime reads a time a person typed in Moscow time: "19:30" (today, or
// tomorrow once it has passed), "08.12 19:30", "08.12.2026 19:30".
func ParseMoscowTime(s string, now time.Time) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	local := now.In(Moscow)
	if t, err := time.ParseInLocation("15:04", s, Moscow); err == nil {
		at := time.Date(local.Year(), local.Month(), local.Day(), t.Hour(), t.Minute(), 0, 0, Moscow)
		if !at.After(now) {
			at = at.AddDate(0, 0, 1)
		}
		return at, true
	}
	for _, layout := range []string{"02.01.2006 15:04", "02.01 15:04"} {
		t, err := time.ParseInLocation(layout, s, Moscow)
		if err != nil {
			continue
		}
		if layout == "02.01 15:04" {
			t = time.Date(local.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, Moscow)
			if t.Before(now.Add(-24 * time.Hour)) {
				t = t.AddDate(1, 0, 0) // a date of early next year typed in December
			}
		}
		return t, true
	}
	return time.Time{}, false
}
