package sandbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// SendInlineResult sends the message of an inline result the user chose into a chat, as a Telegram
// client does: from the user, marked via the bot, with the result's text (or photo and caption) and
// keyboard. The bot receives it in its private chat and in the groups it is in, since privacy mode
// lets messages sent via the bot through. Telegram's chosen_inline_result update is sent only to bots
// with inline feedback turned on in BotFather (Config.InlineFeedback); a message with an inline
// keyboard gets an inline_message_id, which the update carries and the bot's edits may name.
// Errors: a chat the user may not write in, a result with nothing the sandbox can send (a photo whose
// URL cannot be fetched, a result type other than a text or a photo), a webhook failure.
func (u *User) SendInlineResult(ctx context.Context, chatID int64, res InlineResult) error {
	m := &Message{ViaBot: true}
	if res.InlineKeyboard != nil {
		m.InlineKeyboard = make([][]telego.InlineKeyboardButton, len(res.InlineKeyboard))
		for i, row := range res.InlineKeyboard {
			m.InlineKeyboard[i] = slices.Clone(row)
		}
	}
	switch {
	case res.MessageText != "":
		m.Text, m.Entities = res.MessageText, slices.Clone(res.Entities)
	case res.Type == world.KindPhoto:
		photo, err := u.s.api.Photo(ctx, res.PhotoFileID, res.PhotoURL)
		if err != nil {
			return fmt.Errorf("sandbox: inline result %q: %w", res.ID, err)
		}
		m.Photo = &photo
		m.Caption, m.CaptionEntities = res.Caption, slices.Clone(res.CaptionEntities)
	default:
		return fmt.Errorf("sandbox: inline result %q of type %q has no message the sandbox can send", res.ID, res.Type)
	}
	inlineID := ""
	if m.InlineKeyboard != nil {
		// Random, as Telegram's are opaque: a demo restarted over its database
		// meets no id of the run before.
		inlineID = "AgAAA" + rand.Text()
	}
	err := u.post(ctx, chatID, m, func() {
		if inlineID != "" {
			u.s.w.InlineMessages[inlineID] = world.InlineRef{ChatID: chatID, MessageID: m.ID}
		}
	})
	if err != nil || !u.s.cfg.InlineFeedback {
		return err
	}
	u.s.w.Lock()
	from := u.s.w.TgUserLocked(u.id)
	u.s.w.Unlock()
	return u.s.deliver(ctx, u.id, telego.Update{ChosenInlineResult: &telego.ChosenInlineResult{
		ResultID: res.ID, From: from, InlineMessageID: inlineID,
	}})
}
