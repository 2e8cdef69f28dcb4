package groupbuy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// A purchase's public cards: posted by the bot in a channel or a group, or
// shared by anyone into any chat through inline mode. Each shows the
// purchase as it stands (the price now, the way to the next tier, the
// deadline) with a Join button into the bot, and is kept up to date as
// people join: every change of a purchase writes JobCards, whose key is
// reused on purpose (one pending at a time), and the task edits every card,
// its edits coalesced within Telegram's limits. A join finding the job waiting
// leaves it (core.Job.Pending): a burst of 2,000 joins writes its row once.

// CardID identifies a card.
type CardID int64

// Card is a message that shows a purchase: a post (Chat and Message) or a
// message sent through inline mode (Inline, its inline_message_id).
type Card struct {
	ID       CardID
	Purchase ID
	Chat     int64
	Message  int64
	Inline   string
	// Lang is the language it was written in; Photo says it is a photo with
	// a caption (edited as such).
	Lang      string
	Photo     bool
	CreatedAt time.Time
}

// JobCards brings every card of a purchase up to date; key
// "groupbuy:cards:<purchase>", reused on purpose (no retention).
const JobCards = "groupbuy:cards"

// cardsJob is the job that brings a purchase's cards up to date.
func cardsJob(id ID) core.Job {
	payload, _ := json.Marshal(CloseJob{Purchase: id})
	return core.Job{Kind: JobCards, Key: fmt.Sprintf("%s:%d", JobCards, id), Payload: payload, Pending: true}
}

// cardJobs are the jobs a join or a leave writes: a purchase without cards
// has nothing to bring up to date, and writes none (a join of one with cards
// costs its outbox check: about a fifth of the joins a second).
func cardJobs(p Purchase) []core.Job {
	if !p.Cards {
		return nil
	}
	return []core.Job{cardsJob(p.ID)}
}

// MaxCards bounds the cards of a purchase kept up to date: the latest ones.
const MaxCards = 200

// AddCard records a card of a purchase; recording one again is no error.
func (s *Service) AddCard(ctx context.Context, c Card) (Card, error) {
	if (c.Inline == "") == (c.Chat == 0 || c.Message == 0) || c.Purchase == 0 {
		return Card{}, core.Errorf(core.EINVALID, "a card is a post or an inline message of a purchase")
	}
	c.CreatedAt = s.clock.Now()
	// A card is written as the purchase stood a moment ago: a join in between
	// is shown by the job that brings every card up to date.
	return s.store.AddCard(ctx, c, []core.Job{cardsJob(c.Purchase)})
}

// Cards returns a purchase's latest cards, at most MaxCards.
func (s *Service) Cards(ctx context.Context, id ID) ([]Card, error) {
	return s.store.Cards(ctx, id, MaxCards)
}
