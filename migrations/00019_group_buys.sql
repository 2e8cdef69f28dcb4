-- +goose Up

-- Group buys (core/groupbuy): an organizer gathers participants for a product
-- until a minimum is met by a deadline; the price falls in tiers as the group
-- grows, and is fixed for everyone at STOP.
CREATE TABLE group_buys (
    id                 bigserial PRIMARY KEY,
    shop_id            bigint NOT NULL REFERENCES shops (id),
    organizer_id       bigint NOT NULL REFERENCES users (id),
    product_id         bigint NOT NULL REFERENCES products (id),
    -- The variants offered, in the order a size row lists them.
    variant_ids        bigint[] NOT NULL CHECK (cardinality(variant_ids) > 0),
    title              text NOT NULL,
    currency           text NOT NULL,
    -- The tiers: [{"from": units, "price": minor units}], from 1, prices falling.
    tiers              jsonb NOT NULL,
    min_kind           text NOT NULL CHECK (min_kind IN ('units', 'sum', 'rows')),
    min_value          bigint NOT NULL CHECK (min_value > 0),
    fee_bp             integer NOT NULL CHECK (fee_bp BETWEEN 0 AND 5000),
    pickup_point_ids   bigint[] NOT NULL DEFAULT '{}',
    shipping           boolean NOT NULL DEFAULT false,
    deadline           timestamptz NOT NULL,
    -- The organizer may move the deadline later once.
    extended           boolean NOT NULL DEFAULT false,
    pay_mode           text NOT NULL CHECK (pay_mode IN ('after_stop', 'to_join')),
    pay_window_seconds integer NOT NULL CHECK (pay_window_seconds > 0),
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'stopped', 'failed', 'cancelled', 'arrived', 'closed')),
    -- Units joined, all variants together; kept with every join under the row's lock.
    units              integer NOT NULL DEFAULT 0 CHECK (units >= 0),
    -- The final unit price, fixed at STOP.
    price              bigint CHECK (price > 0),
    stopped_at         timestamptz,
    created_at         timestamptz NOT NULL
);
CREATE INDEX group_buys_shop ON group_buys (shop_id, id DESC);
CREATE INDEX group_buys_open ON group_buys (deadline) WHERE status = 'open';

-- A participant's place: one per buyer and variant.
CREATE TABLE group_buy_places (
    id              bigserial PRIMARY KEY,
    purchase_id     bigint NOT NULL REFERENCES group_buys (id),
    buyer_id        bigint NOT NULL REFERENCES users (id),
    variant_id      bigint NOT NULL REFERENCES variants (id),
    quantity        integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    pickup_point_id bigint REFERENCES pickup_points (id),
    status          text NOT NULL DEFAULT 'joined' CHECK (status IN ('joined', 'left')),
    joined_at       timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (purchase_id, buyer_id, variant_id)
);
CREATE INDEX group_buy_places_joined ON group_buy_places (purchase_id, variant_id) WHERE status = 'joined';
CREATE INDEX group_buy_places_buyer ON group_buy_places (buyer_id, purchase_id);

-- +goose Down
DROP TABLE group_buy_places;
DROP TABLE group_buys;
