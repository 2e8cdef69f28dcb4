package drops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
)

// A session is announced in its channel when it is scheduled, with a "Remind
// me" button: a link into the bot (rsvp_<session>), so that the follower
// starts the bot and can be written to (a button on a channel post cannot tell
// the bot who pressed it otherwise, and reactions are anonymous). Followers who
// asked are reminded a day before, a quarter of an hour before and at the
// start, and can stop the reminders with a button.

const (
	linkRSVP        = "rsvp" // rsvp_<session>: remind me of the session
	verbRSVPCancel  = "rc"   // rc:<session>: stop reminding me
	verbRSVPAgain   = "rr"   // rr:<session>: remind me again
	announceProduct = 5      // products named in an announcement
)

func (b *Feature) rsvpRoutes(r *telegram.Router) {
	r.DeepLink(linkRSVP, b.openRSVP)
	r.Callback(verbRSVPCancel, b.onRSVPCancel)
	r.Callback(verbRSVPAgain, b.onRSVPAgain)
}

// rsvpLink is the deep link payload that asks to be reminded of a session.
func rsvpLink(id live.SessionID) string { return linkRSVP + "_" + strconv.FormatInt(int64(id), 10) }

// reminderTimes says when a session's followers are reminded: "за день, за 15
// минут и в начале".
func (b *Feature) reminderTimes(lang string, s live.Session) string {
	var parts []string
	for _, r := range s.Reminders {
		if r == 0 {
			parts = append(parts, b.k.T(lang, "drop_remind_at_start"))
			continue
		}
		parts = append(parts, b.k.T(lang, "drop_remind_before", telegram.HTML(b.ahead(lang, r))))
	}
	return strings.Join(parts, ", ")
}

// ahead writes how long before the start a reminder goes, as people say it: "1
// день", "2 ч", "15 мин".
func (b *Feature) ahead(lang string, d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return b.k.Count(lang, "drop_days", int(d/(24*time.Hour)))
	case d%time.Hour == 0:
		return b.k.T(lang, "drop_hours", int(d/time.Hour))
	}
	return b.k.T(lang, "drop_minutes", int(d.Round(time.Minute)/time.Minute))
}

// openRSVP records that whoever opened the link asks to be reminded.
func (b *Feature) openRSVP(ctx context.Context, r *telegram.Request, arg string) error {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n <= 0 {
		return telegram.ErrDeepLink
	}
	s, err := b.live.RSVP(ctx, r.UserID(), live.SessionID(n))
	if err != nil {
		return b.tell(ctx, r, err)
	}
	return b.showRSVP(ctx, r, s, true)
}

// showRSVP shows a follower what they will be reminded of, or that they will not.
func (b *Feature) showRSVP(ctx context.Context, r *telegram.Request, s live.Session, on bool) error {
	lang := r.Lang
	start := s.StartsAt.In(moscow).Format("02.01 15:04")
	var v telegram.View
	if on {
		v.Text = b.k.T(lang, "drop_rsvp_on", s.Title, start, telegram.HTML(b.reminderTimes(lang, s)))
		v.Keyboard = (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "drop_btn_rsvp_cancel"), verbRSVPCancel, int64(s.ID))).Markup()
	} else {
		v.Text = b.k.T(lang, "drop_rsvp_off", s.Title, start)
		v.Keyboard = (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "drop_btn_rsvp_again"), verbRSVPAgain, int64(s.ID))).Markup()
	}
	return b.k.Show(ctx, r, v)
}

func (b *Feature) onRSVPCancel(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	s, err := b.live.CancelRSVP(ctx, r.UserID(), live.SessionID(id))
	if err != nil {
		return err
	}
	return b.showRSVP(ctx, r, s, false)
}

func (b *Feature) onRSVPAgain(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	s, err := b.live.RSVP(ctx, r.UserID(), live.SessionID(id))
	if err != nil {
		return err
	}
	return b.showRSVP(ctx, r, s, true)
}

// announcementView renders a session's announcement, in its KOL's language.
func (b *Feature) announcementView(ctx context.Context, s live.Session, allocs []live.Allocation) telegram.View {
	lang := b.userLang(ctx, s.KOL)
	var products []string
	for i, a := range allocs {
		if i == announceProduct {
			products = append(products, "…")
			break
		}
		products = append(products, "• "+telegram.Escape(b.variantTitle(ctx, a.Variant))+" — "+telegram.FormatMoney(lang, a.Price))
	}
	text := b.k.T(lang, "drop_announce", s.Title, s.StartsAt.In(moscow).Format("02.01"), s.StartsAt.In(moscow).Format("15:04"))
	if len(products) > 0 {
		text += "\n\n" + strings.Join(products, "\n")
	}
	text += "\n\n" + b.k.T(lang, "drop_announce_hint")
	kb := (&telegram.Keyboard{}).Row(telegram.URLButton(b.k.Label(lang, "drop_btn_remind"), b.k.StartURL(rsvpLink(s.ID)))).Markup()
	return telegram.View{Text: text, Keyboard: kb}
}

// Announce posts a session's announcement in its channel (workers/drops.Bot).
func (b *Feature) Announce(ctx context.Context, s live.Session) (int64, error) {
	_, allocs, err := b.live.Session(ctx, s.ID)
	if err != nil {
		return 0, err
	}
	v := b.announcementView(ctx, s, allocs)
	msg, err := b.api.SendMessage(ctx, &telego.SendMessageParams{
		ChatID: tu.ID(s.Channel), Text: v.Text, ParseMode: telego.ModeHTML, ReplyMarkup: v.Keyboard,
	})
	if err != nil {
		return 0, fmt.Errorf("announce session %d in channel %d: %w", s.ID, s.Channel, err)
	}
	return int64(msg.MessageID), nil
}

// ReminderMessage composes a session's reminder to a follower (workers/drops.Bot):
// before its start, or as it starts, with a link to the channel.
func (b *Feature) ReminderMessage(ctx context.Context, s live.Session, to core.UserID, before time.Duration) (core.Message, error) {
	lang := b.userLang(ctx, to)
	var text string
	if before == 0 {
		text = b.k.T(lang, "drop_remind_now", s.Title)
	} else {
		text = b.k.T(lang, "drop_remind_soon", telegram.HTML(b.ahead(lang, before)), s.Title,
			s.StartsAt.In(moscow).Format("15:04"))
	}
	k := &telegram.Keyboard{}
	if ch, err := b.live.Channel(ctx, s.Channel); err == nil && ch.Username != "" {
		k.Row(telegram.URLButton(b.k.Label(lang, "drop_btn_to_channel", ch.Title), "https://t.me/"+ch.Username))
	}
	if s.StreamURL != "" {
		k.Row(telegram.URLButton(b.k.Label(lang, "drop_btn_stream"), s.StreamURL))
	}
	k.Row(telegram.Button(b.k.Label(lang, "drop_btn_rsvp_cancel"), verbRSVPCancel, int64(s.ID)))
	key := fmt.Sprintf("live:%d:remind:%d:%d", s.ID, int64(before/time.Second), to)
	return b.k.MessageTo(key, core.PriorityReminder, to, telegram.View{Text: text, Keyboard: k.Markup()}), nil
}

// CancelledMessage tells a follower who asked to be reminded that a session was
// cancelled (workers/drops.Bot).
func (b *Feature) CancelledMessage(ctx context.Context, s live.Session, to core.UserID) (core.Message, error) {
	lang := b.userLang(ctx, to)
	text := b.k.T(lang, "drop_cancelled_notice", s.Title, s.StartsAt.In(moscow).Format("02.01 15:04"))
	return b.k.MessageTo(fmt.Sprintf("live:%d:cancelled:%d", s.ID, to), core.PriorityReminder, to, telegram.View{Text: text}), nil
}

// userLang is the language a user reads, Russian when unknown.
func (b *Feature) userLang(ctx context.Context, id core.UserID) string {
	if u, err := b.users.User(ctx, id); err == nil {
		return telegram.LangOf(u.Lang())
	}
	return "ru"
}
