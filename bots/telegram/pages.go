package telegram

import "github.com/mymmrac/telego"

// InviteCommand is the hidden command the seller side registers to accept a staff
// invitation; /start inv_<token> calls it with the token.
const InviteCommand = "invite"

// Pager adds a "◀️ n/m ▶️" row for page (0-based) of pages, whose buttons call
// verb with args followed by the page number.
func (b *Texts) Pager(k *Keyboard, lang string, page, pages int, verb string, args ...any) {
	if pages <= 1 {
		return
	}
	var row []telego.InlineKeyboardButton
	if page > 0 {
		row = append(row, Button(b.Label(lang, "btn_prev"), verb, append(args, page-1)...))
	}
	row = append(row, Button(b.Label(lang, "btn_page", page+1, pages), VerbNoop))
	if page+1 < pages {
		row = append(row, Button(b.Label(lang, "btn_next"), verb, append(args, page+1)...))
	}
	k.Row(row...)
}

// PrevNext adds a "◀️ ▶️" row for a list paged without a total: page (0-based)
// and whether there is a next one; the buttons call verb with the page number.
func (b *Texts) PrevNext(k *Keyboard, lang string, page int, hasNext bool, verb string) {
	var row []telego.InlineKeyboardButton
	if page > 0 {
		row = append(row, Button(b.Label(lang, "btn_prev"), verb, page-1))
	}
	if hasNext {
		row = append(row, Button(b.Label(lang, "btn_next"), verb, page+1))
	}
	k.Row(row...)
}

// PageCount returns how many pages of size hold total items (at least 1).
func PageCount(total, size int) int {
	if total <= 0 {
		return 1
	}
	return (total + size - 1) / size
}
