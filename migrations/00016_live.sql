-- +goose Up

-- Live drops (core/live): a seller works with KOLs (influencers) who sell the
-- shop's products in their own Telegram channels, for a commission.

-- A KOL working with a shop, at a commission in basis points (1/100 of a percent)
-- of the paid amount of the orders attributed to them. A session keeps the rate it
-- was scheduled with: a lower rate applies to later sessions only.
CREATE TABLE kol_links (
    shop_id        bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    kol_id         bigint NOT NULL REFERENCES users (id),
    commission_bp  integer NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    PRIMARY KEY (shop_id, kol_id)
);
CREATE INDEX kol_links_kol ON kol_links (kol_id);

-- One-time invitations of a KOL, opened by t.me/<bot>?start=kol_<token>.
CREATE TABLE kol_invites (
    token          text PRIMARY KEY,
    shop_id        bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    commission_bp  integer NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    created_by     bigint NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_by        bigint REFERENCES users (id),
    used_at        timestamptz
);

-- A channel a KOL connected by making the bot an administrator that may post and
-- edit. can_post is what Telegram last said (my_chat_member): false pauses its lots.
CREATE TABLE live_channels (
    chat_id        bigint PRIMARY KEY,
    kol_id         bigint NOT NULL REFERENCES users (id),
    title          text NOT NULL DEFAULT '',
    username       text NOT NULL DEFAULT '',
    can_post       boolean NOT NULL,
    connected_at   timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX live_channels_kol ON live_channels (kol_id);

-- A live session: a drop scheduled in a KOL's channel for one shop.
CREATE TABLE live_sessions (
    id             bigserial PRIMARY KEY,
    shop_id        bigint NOT NULL REFERENCES shops (id),
    kol_id         bigint NOT NULL REFERENCES users (id),
    channel_id     bigint NOT NULL REFERENCES live_channels (chat_id),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 128),
    stream_url     text NOT NULL DEFAULT '',
    starts_at      timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('scheduled', 'live', 'ended', 'cancelled')),
    currency       text NOT NULL,
    commission_bp  integer NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    opened_at      timestamptz,
    ended_at       timestamptz,
    -- When followers who asked are reminded: seconds before the start.
    reminders      integer[] NOT NULL DEFAULT '{86400,900,0}',
    -- The session's announcement in the channel, once posted.
    announce_message_id bigint NOT NULL DEFAULT 0,
    -- When the session's report went to its KOL and the shop (live:report).
    reported_at    timestamptz,
    created_at     timestamptz NOT NULL
);
CREATE INDEX live_sessions_kol ON live_sessions (kol_id, starts_at DESC);
CREATE INDEX live_sessions_shop ON live_sessions (shop_id, starts_at DESC);

-- Followers who asked to be reminded of a session (t.me/<bot>?start=rsvp_<session>).
CREATE TABLE live_rsvps (
    session_id    bigint NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    cancelled_at  timestamptz,
    PRIMARY KEY (session_id, user_id)
);

-- What the seller allocated to a session: per variant a drop price, a quantity
-- held out of the shop's stock for the session (a reservation movement in the
-- ledger; what is not sold goes back when it ends) and a per-buyer limit.
-- dropped is how much of it lots have taken so far.
CREATE TABLE live_allocations (
    session_id       bigint NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    variant_id       bigint NOT NULL REFERENCES variants (id),
    price            bigint NOT NULL CHECK (price > 0),
    quantity         integer NOT NULL CHECK (quantity > 0),
    per_buyer_limit  integer NOT NULL CHECK (per_buyer_limit > 0),
    dropped          integer NOT NULL DEFAULT 0 CHECK (dropped BETWEEN 0 AND quantity),
    returned_at      timestamptz,
    PRIMARY KEY (session_id, variant_id)
);

-- A lot: units of one allocated variant dropped into the channel, at a price that
-- lives until ends_at. remaining falls with every unit claimed and rises again
-- when a claim is released; the CHECKs make overselling impossible whatever the
-- code does.
CREATE TABLE lots (
    id               bigserial PRIMARY KEY,
    session_id       bigint NOT NULL REFERENCES live_sessions (id),
    variant_id       bigint NOT NULL REFERENCES variants (id),
    price            bigint NOT NULL CHECK (price > 0),
    currency         text NOT NULL,
    quantity         integer NOT NULL CHECK (quantity > 0),
    remaining        integer NOT NULL CHECK (remaining BETWEEN 0 AND quantity),
    per_buyer_limit  integer NOT NULL CHECK (per_buyer_limit > 0),
    hold_seconds     integer NOT NULL CHECK (hold_seconds BETWEEN 60 AND 3600),
    status           text NOT NULL CHECK (status IN ('open', 'ended', 'cancelled')),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL CHECK (ends_at >= starts_at), -- equal: ended at once by its KOL
    extended         boolean NOT NULL DEFAULT false,
    post_message_id  bigint NOT NULL DEFAULT 0,      -- the lot's post in the channel, once posted
    taps             bigint NOT NULL DEFAULT 0,      -- every tap counted, for the report
    -- A draw: until draw_until taps enter it, then the units are drawn among the
    -- entrants (drawn_at set); first come otherwise.
    mode             text NOT NULL DEFAULT 'first_come' CHECK (mode IN ('first_come', 'draw')),
    draw_until       timestamptz,
    drawn_at         timestamptz,
    created_at       timestamptz NOT NULL
);
CREATE INDEX lots_session ON lots (session_id, id);
CREATE INDEX lots_open ON lots (ends_at) WHERE status = 'open';

-- A unit of a lot claimed by a tap, held for the buyer until held_until at the
-- lot's price. tap_id is Telegram's callback query id: a redelivered tap finds its
-- claim instead of claiming again.
CREATE TABLE lot_claims (
    id          bigserial PRIMARY KEY,
    lot_id      bigint NOT NULL REFERENCES lots (id),
    buyer_id    bigint NOT NULL,                    -- a Telegram user; may not have started the bot yet
    tap_id      text NOT NULL,
    status      text NOT NULL CHECK (status IN ('held', 'paid', 'released')),
    held_until  timestamptz NOT NULL,
    order_id    bigint REFERENCES orders (id),
    created_at  timestamptz NOT NULL,
    UNIQUE (lot_id, tap_id)
);
CREATE INDEX lot_claims_buyer ON lot_claims (lot_id, buyer_id) WHERE status <> 'released';
CREATE INDEX lot_claims_held ON lot_claims (held_until) WHERE status = 'held';
-- A buyer's reservations let run out unpaid: their strikes.
CREATE INDEX lot_claims_released ON lot_claims (buyer_id) WHERE status = 'released';

-- The entries of a lot's draw: one per buyer.
CREATE TABLE lot_entries (
    lot_id      bigint NOT NULL REFERENCES lots (id),
    buyer_id    bigint NOT NULL REFERENCES users (id),
    tap_id      text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (lot_id, buyer_id)
);

-- The waiting list of a sold-out lot: a unit that comes back (a reservation not
-- paid in time) becomes the next one's, with a reservation and an invoice of its own.
CREATE TABLE lot_waitlist (
    lot_id     bigint NOT NULL REFERENCES lots (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    joined_at  timestamptz NOT NULL,
    served_at  timestamptz,                          -- a unit became theirs
    left_at    timestamptz,
    PRIMARY KEY (lot_id, user_id)
);
CREATE INDEX lot_waitlist_next ON lot_waitlist (lot_id, joined_at) WHERE served_at IS NULL AND left_at IS NULL;

-- What a seller paid a KOL of the commission their sessions earned, by currency:
-- the commission itself is derived from the paid orders of their lots (see
-- livestore.Earnings), so a refund takes it back by itself.
CREATE TABLE kol_payouts (
    id          bigserial PRIMARY KEY,
    shop_id     bigint NOT NULL REFERENCES shops (id),
    kol_id      bigint NOT NULL REFERENCES users (id),
    currency    text NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0),
    paid_by     bigint NOT NULL REFERENCES users (id),
    paid_at     timestamptz NOT NULL
);
CREATE INDEX kol_payouts_link ON kol_payouts (shop_id, kol_id);

-- An order made of a claim names its lot: the drop it is attributed to.
ALTER TABLE orders ADD COLUMN lot_id bigint REFERENCES lots (id);
CREATE INDEX orders_lot ON orders (lot_id) WHERE lot_id IS NOT NULL;
-- Who may send an order's invoice now (order.Service.BeginInvoice): a claim's
-- invoice has two senders, the worker and the buyer opening the bot.
ALTER TABLE orders ADD COLUMN invoice_sending_until timestamptz;

-- +goose Down
ALTER TABLE orders DROP COLUMN invoice_sending_until;
ALTER TABLE orders DROP COLUMN lot_id;
DROP TABLE kol_payouts, lot_entries, lot_waitlist, lot_claims, lots, live_allocations, live_rsvps, live_sessions, live_channels, kol_invites, kol_links;
