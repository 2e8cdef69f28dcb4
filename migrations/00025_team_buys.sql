-- +goose Up
-- Team buys (core/teambuy): a product's team offer (2-5 people at a discount);
-- a shopper starts a team and pays at the team price, friends join by link and
-- pay; filled in time, the orders go ahead; otherwise every payment is refunded.
CREATE TABLE team_offers (
    product_id  bigint PRIMARY KEY REFERENCES products (id),
    shop_id     bigint NOT NULL REFERENCES shops (id),
    size        integer NOT NULL CHECK (size BETWEEN 2 AND 5),
    discount_bp integer NOT NULL CHECK (discount_bp BETWEEN 100 AND 9000),
    hours       integer NOT NULL CHECK (hours BETWEEN 1 AND 168),
    updated_at  timestamptz NOT NULL
);

CREATE TABLE teams (
    id         bigserial PRIMARY KEY,
    shop_id    bigint NOT NULL REFERENCES shops (id),
    product_id bigint NOT NULL REFERENCES products (id),
    variant_id bigint NOT NULL REFERENCES variants (id),
    leader_id  bigint NOT NULL REFERENCES users (id),
    size       integer NOT NULL CHECK (size BETWEEN 2 AND 5),
    currency   text NOT NULL,
    price      bigint NOT NULL CHECK (price > 0),
    expires_at timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'forming' CHECK (status IN ('forming', 'filled', 'failed')),
    created_at timestamptz NOT NULL
);
CREATE INDEX teams_forming ON teams (expires_at) WHERE status = 'forming';

-- A member's place in a team, with the order they pay; one a person.
CREATE TABLE team_members (
    team_id   bigint NOT NULL REFERENCES teams (id),
    buyer_id  bigint NOT NULL REFERENCES users (id),
    order_id  bigint REFERENCES orders (id),
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, buyer_id)
);

ALTER TABLE orders ADD COLUMN team_id bigint REFERENCES teams (id);
CREATE INDEX orders_team ON orders (team_id) WHERE team_id IS NOT NULL;

-- +goose Down
DROP INDEX orders_team;
ALTER TABLE orders DROP COLUMN team_id;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE team_offers;
