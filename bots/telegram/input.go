package telegram

import (
	"errors"
	"strconv"
	"strings"
)

// Parsers of what people type. They accept the ways people write a number in a
// chat and refuse everything else with an error the caller explains.

var errQuantity = errors.New("not a whole number in range")

// quantityUnits are words people put after a count; they are ignored.
var quantityUnits = []string{"шт.", "шт", "pcs.", "pcs", "pc", "x", "х", "×"}

// ParseQuantity reads a whole number from min to max: "3", " 3 ", "3 шт", "x3",
// "1 000". Signs, fractions and anything else are errQuantity.
func ParseQuantity(s string, min, max int) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, u := range quantityUnits {
		if strings.HasSuffix(s, u) {
			s = strings.TrimSpace(strings.TrimSuffix(s, u))
			break
		}
		if strings.HasPrefix(s, u) {
			s = strings.TrimSpace(strings.TrimPrefix(s, u))
			break
		}
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\'':
			// Thousands separators, but never at the start (the string is trimmed).
		default:
			// Including digits of other scripts: strconv would not read them.
			return 0, errQuantity
		}
	}
	d := digits.String()
	if d == "" || len(d) > 9 {
		return 0, errQuantity
	}
	n, err := strconv.Atoi(d)
	if err != nil || n < min || n > max {
		return 0, errQuantity
	}
	return n, nil
}
