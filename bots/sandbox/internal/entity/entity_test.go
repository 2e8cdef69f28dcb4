package entity_test

import (
	"testing"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/entity"
)

func FuzzParseHTML(f *testing.F) {
	for _, seed := range []string{"<b>x</b>", "&lt;", "<a href='u'>l</a>", "🛒<i>я</i>", "<pre><code class=\"language-x\">c</code></pre>"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		text, ents, err := entity.ParseHTML(in)
		if err != nil {
			return
		}
		n := entity.UTF16Len(text)
		for _, e := range ents {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
				t.Fatalf("entity %+v outside text of %d units (%q)", e, n, in)
			}
		}
	})
}
