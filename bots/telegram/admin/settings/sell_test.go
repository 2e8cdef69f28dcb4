package settings

import (
	"strings"
	"testing"
)

func TestValidProviderToken(t *testing.T) {
	for _, s := range []string{"284685063:TEST:NjM1ZTk", "381764678:LIVE:abc-def_1", "1:x"} {
		if !validProviderToken(s) {
			t.Errorf("validProviderToken(%q) = false", s)
		}
	}
	for _, s := range []string{"", "hello", "my token", ":TEST:x", "abc:TEST:x", "123:", "123:TEST: x", strings.Repeat("1", 257) + ":x"} {
		if validProviderToken(s) {
			t.Errorf("validProviderToken(%q) = true", s)
		}
	}
}
