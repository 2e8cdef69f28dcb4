-- +goose Up

-- Shops and their staff. A person is a Telegram user id; Vitrina keeps what it needs
-- to talk to them (language, reachability) in users.
CREATE TABLE users (
    id              bigint PRIMARY KEY,               -- Telegram user id
    first_name      text NOT NULL DEFAULT '',
    username        text NOT NULL DEFAULT '',
    language        text NOT NULL DEFAULT '',          -- chosen with /language; '' = from Telegram's language_code
    telegram_lang   text NOT NULL DEFAULT '',          -- last language_code Telegram sent
    unreachable_at  timestamptz,                       -- set on 403 (blocked the bot); cleared when they write again
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shops (
    id                      bigserial PRIMARY KEY,
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    currency                text NOT NULL,
    payment_method          text NOT NULL CHECK (payment_method IN ('stars', 'card')),
    provider_token          text NOT NULL DEFAULT '',  -- the shop's own card provider; '' = platform default
    reservation_ttl_seconds integer NOT NULL DEFAULT 900 CHECK (reservation_ttl_seconds BETWEEN 60 AND 86400),
    blocked_at              timestamptz,
    created_by              bigint NOT NULL REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (payment_method <> 'stars' OR currency = 'XTR')
);

CREATE TABLE shop_staff (
    shop_id    bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('owner', 'manager')),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, user_id)
);
CREATE INDEX shop_staff_user ON shop_staff (user_id);

-- One-time invitations of managers, opened by a deep link t.me/<bot>?start=inv_<token>.
CREATE TABLE staff_invites (
    token       text PRIMARY KEY,
    shop_id     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('manager')),
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_by     bigint REFERENCES users (id),
    used_at     timestamptz
);

CREATE TABLE pickup_points (
    id          bigserial PRIMARY KEY,
    shop_id     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    name        text NOT NULL,
    address     text NOT NULL,
    hours       text NOT NULL DEFAULT '',
    archived_at timestamptz
);

CREATE TABLE shipping_options (
    id          bigserial PRIMARY KEY,
    shop_id     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    name        text NOT NULL,
    price       bigint NOT NULL CHECK (price >= 0),   -- minor units of the shop's currency
    archived_at timestamptz
);

-- Catalog.
CREATE TABLE categories (
    id       bigserial PRIMARY KEY,
    shop_id  bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    name     text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    position integer NOT NULL DEFAULT 0,
    UNIQUE (shop_id, name)
);

CREATE TABLE products (
    id          bigserial PRIMARY KEY,
    shop_id     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    category_id bigint REFERENCES categories (id) ON DELETE SET NULL,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 128),
    description text NOT NULL DEFAULT '',
    photos      text[] NOT NULL DEFAULT '{}',         -- Telegram file_ids, first is the cover
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    search      tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED
);
CREATE INDEX products_shop ON products (shop_id, id) WHERE archived_at IS NULL;
CREATE INDEX products_search ON products USING gin (search);

-- A variant is what is sold and stocked: size, colour. Every product has at least one.
-- Available stock is on_hand - reserved; the CHECKs make overselling impossible
-- whatever the code does.
CREATE TABLE variants (
    id          bigserial PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    shop_id     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    sku         text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    name        text NOT NULL DEFAULT '',              -- '' for a product's only variant
    price       bigint NOT NULL CHECK (price > 0),    -- minor units of the shop's currency
    on_hand     integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    position    integer NOT NULL DEFAULT 0,
    archived_at timestamptz,
    UNIQUE (shop_id, sku)
);
CREATE INDEX variants_product ON variants (product_id);

-- The stock ledger: every change of on_hand or reserved, with who, why, before and after.
CREATE TABLE stock_movements (
    id                bigserial PRIMARY KEY,
    variant_id        bigint NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('receipt', 'correction', 'writeoff', 'reservation', 'release', 'sale', 'return', 'import')),
    on_hand_before    integer NOT NULL,
    on_hand_after     integer NOT NULL,
    reserved_before   integer NOT NULL,
    reserved_after    integer NOT NULL,
    actor_id          bigint,                           -- null: the system (expiry, payment)
    order_id          bigint,
    note              text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_variant ON stock_movements (variant_id, id);

-- Carts: one per shopper and shop.
CREATE TABLE cart_items (
    buyer_id   bigint NOT NULL REFERENCES users (id),
    shop_id    bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    variant_id bigint NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (buyer_id, variant_id)
);
CREATE INDEX cart_items_buyer_shop ON cart_items (buyer_id, shop_id);

-- Orders. An order awaiting payment holds its lines' stock as reserved until
-- reserved_until; then it expires and the stock returns.
CREATE TABLE orders (
    id                 bigserial PRIMARY KEY,
    shop_id            bigint NOT NULL REFERENCES shops (id),
    buyer_id           bigint NOT NULL REFERENCES users (id),
    status             text NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'shipped', 'ready_for_pickup', 'completed', 'expired', 'cancelled', 'refund_pending', 'refunded')),
    currency           text NOT NULL,
    items_total        bigint NOT NULL CHECK (items_total >= 0),
    shipping_total     bigint NOT NULL DEFAULT 0 CHECK (shipping_total >= 0),
    total              bigint NOT NULL CHECK (total >= 0),
    delivery           text NOT NULL CHECK (delivery IN ('pickup', 'shipping', 'none')),
    pickup_point_id    bigint REFERENCES pickup_points (id),
    shipping_option_id bigint REFERENCES shipping_options (id),
    shipping_address   jsonb,
    contact            jsonb,
    checkout_key       text NOT NULL,                    -- idempotency key of the checkout request
    reserved_until     timestamptz,
    tracking_note      text NOT NULL DEFAULT '',
    cancel_reason      text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    paid_at            timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (buyer_id, checkout_key)
);
CREATE INDEX orders_shop_status ON orders (shop_id, status, id DESC);
CREATE INDEX orders_buyer ON orders (buyer_id, id DESC);
CREATE INDEX orders_awaiting ON orders (reserved_until) WHERE status = 'awaiting_payment';

CREATE TABLE order_lines (
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no     integer NOT NULL,
    variant_id  bigint NOT NULL REFERENCES variants (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    title       text NOT NULL,                          -- product title and variant name at the time of the order
    sku         text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  bigint NOT NULL CHECK (unit_price > 0),
    PRIMARY KEY (order_id, line_no)
);

-- Order history: every state change, for the seller and for support.
CREATE TABLE order_events (
    id         bigserial PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status     text NOT NULL,
    actor_id   bigint,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Payments, keyed on Telegram's charge id: a successful_payment delivered twice is one
-- payment (bots keyed on the invoice payload have credited payments twice).
CREATE TABLE payments (
    id                          bigserial PRIMARY KEY,
    order_id                    bigint NOT NULL REFERENCES orders (id),
    buyer_id                    bigint NOT NULL REFERENCES users (id),
    telegram_payment_charge_id  text NOT NULL UNIQUE,
    provider_payment_charge_id  text NOT NULL DEFAULT '',
    amount                      bigint NOT NULL,
    currency                    text NOT NULL,
    status                      text NOT NULL CHECK (status IN ('captured', 'refund_pending', 'refunded')),
    refund_reason               text NOT NULL DEFAULT '',
    created_at                  timestamptz NOT NULL DEFAULT now(),
    refunded_at                 timestamptz
);
CREATE INDEX payments_order ON payments (order_id);

-- The transactional outbox: jobs written in the same transaction as the change that
-- caused them, relayed to the job queue after commit.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    key         text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}',
    run_at      timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    relayed_at  timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (id) WHERE relayed_at IS NULL;
CREATE UNIQUE INDEX outbox_key_pending ON outbox (key) WHERE relayed_at IS NULL;

-- The update inbox: every Telegram update is stored (de-duplicated by update_id)
-- before it is acknowledged, then handled in order per chat.
CREATE TABLE telegram_updates (
    update_id    bigint PRIMARY KEY,
    chat_key     bigint NOT NULL,                      -- the chat (or user) whose updates are ordered together
    body         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    handled_at   timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    failed_at    timestamptz                            -- gave up after too many attempts
);
CREATE INDEX telegram_updates_pending ON telegram_updates (chat_key, update_id) WHERE handled_at IS NULL AND failed_at IS NULL;

-- Who is handling a chat's updates right now, so replicas take turns per chat.
CREATE TABLE chat_leases (
    chat_key    bigint PRIMARY KEY,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Conversations: the step a user is at in a guided dialog (adding a product, ...),
-- kept here so any replica can take the next message.
CREATE TABLE conversations (
    user_id     bigint NOT NULL,
    chat_id     bigint NOT NULL,
    kind        text NOT NULL,
    step        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    message_id  bigint NOT NULL DEFAULT 0,              -- the bot message edited in place, if any
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, chat_id)
);

-- +goose Down
DROP TABLE conversations, chat_leases, telegram_updates, outbox, payments, order_events, order_lines, orders,
    cart_items, stock_movements, variants, products, categories, shipping_options, pickup_points,
    staff_invites, shop_staff, shops, users;
