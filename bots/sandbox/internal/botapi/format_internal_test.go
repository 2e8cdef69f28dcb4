package botapi

import (
	"reflect"
	"testing"

	"github.com/mymmrac/telego"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		text     string
		entities []telego.MessageEntity
	}{
		{"Plain", "hello", "hello", nil},
		{"Escapes", "1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;q&quot; &#1071; &#x44F; &nbsp;", `1 < 2 && 3 > 2 "q" Я я &nbsp;`, nil},
		{"Nested", "<b>bold <i>both</i></b>", "bold both", []telego.MessageEntity{
			{Type: "bold", Offset: 0, Length: 9}, {Type: "italic", Offset: 5, Length: 4}}},
		{"UTF16Offsets", "🛒 <b>Корзина</b>", "🛒 Корзина", []telego.MessageEntity{{Type: "bold", Offset: 3, Length: 7}}},
		{"Link", `<a href="https://t.me/vitrina_bot?start=p_1&amp;x=1">open</a>`, "open", []telego.MessageEntity{
			{Type: "text_link", Offset: 0, Length: 4, URL: "https://t.me/vitrina_bot?start=p_1&x=1"}}},
		{"Mention", `<a href="tg://user?id=42">Anna</a>`, "Anna", []telego.MessageEntity{
			{Type: "text_mention", Offset: 0, Length: 4, User: &telego.User{ID: 42}}}},
		{"PreWithLanguage", `<pre><code class="language-go">x := 1</code></pre>`, "x := 1", []telego.MessageEntity{
			{Type: "pre", Offset: 0, Length: 6, Language: "go"}}},
		{"Spoiler", `<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>`, "st", []telego.MessageEntity{
			{Type: "spoiler", Offset: 0, Length: 1}, {Type: "spoiler", Offset: 1, Length: 1}}},
		{"ExpandableQuote", `<blockquote expandable>q</blockquote>`, "q", []telego.MessageEntity{
			{Type: "expandable_blockquote", Offset: 0, Length: 1}}},
		{"Trimmed", "  \n<b> hi </b>\n", "hi", []telego.MessageEntity{{Type: "bold", Offset: 0, Length: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseFormatted(tt.in, "HTML", nil)
			if err != nil {
				t.Fatal(err)
			}
			if f.text != tt.text || !reflect.DeepEqual(f.entities, tt.entities) {
				t.Fatalf("got %q %+v, want %q %+v", f.text, f.entities, tt.text, tt.entities)
			}
		})
	}
}

func TestParseHTML_Errors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<b>open", `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"<b>x</i>", `Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{"x</b>", `Bad Request: can't parse entities: Unexpected end tag at byte offset 1`},
		{"<p>x</p>", `Bad Request: can't parse entities: Unsupported start tag "p" at byte offset 0`},
		{`<span class="x">y</span>`, `Bad Request: can't parse entities: Tag "span" must have class "tg-spoiler" at byte offset 0`},
	}
	for _, tt := range tests {
		_, err := parseFormatted(tt.in, "HTML", nil)
		if err == nil || err.Error() != "telegram 400: "+tt.want {
			t.Errorf("%q: got %v, want %s", tt.in, err, tt.want)
		}
	}
}
