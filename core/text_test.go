package core_test

import (
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

func TestVisible(t *testing.T) {
	for _, s := range []string{"a", " Платье ", "🙂", "\u200bx", "1", "—"} {
		if !core.Visible(s) {
			t.Errorf("core.Visible(%q) = false", s)
		}
	}
	for _, s := range []string{"", " ", "\u200b", "\u200b\u200d\u2060", "\u3164", "\u3164 \u115f", "\u2800", "\u00a0\t", "\ufeff"} {
		if core.Visible(s) {
			t.Errorf("core.Visible(%q) = true", s)
		}
	}
}
