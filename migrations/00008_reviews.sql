-- +goose Up

-- Reviews: one per line of a completed order, written by the order's buyer (a
-- verified purchase). Ratings are aggregated when read, over the visible reviews
-- only (hidden_at IS NULL), through the partial indexes below.
CREATE TABLE reviews (
    id           bigserial PRIMARY KEY,
    shop_id      bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    product_id   bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    order_id     bigint NOT NULL,
    line_no      integer NOT NULL,
    author_id    bigint NOT NULL REFERENCES users (id),
    rating       smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body         text NOT NULL DEFAULT '' CHECK (char_length(body) <= 1000),
    photos       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(photos) <= 3),
    reply        text NOT NULL DEFAULT '' CHECK (char_length(reply) <= 1000),
    replied_at   timestamptz,
    reported_at  timestamptz,                      -- staff asked the operators to check it
    moderated_at timestamptz,                      -- an operator checked it and kept it
    hidden_at    timestamptz,                      -- an operator hid it: shown nowhere, counted nowhere
    created_at   timestamptz NOT NULL,             -- the app's clock: the edit window runs from it
    updated_at   timestamptz NOT NULL,
    UNIQUE (order_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no) ON DELETE CASCADE
);
CREATE INDEX reviews_product ON reviews (product_id, id DESC) WHERE hidden_at IS NULL;
CREATE INDEX reviews_shop ON reviews (shop_id, id DESC) WHERE hidden_at IS NULL;
CREATE INDEX reviews_reported ON reviews (id DESC)
    WHERE reported_at IS NOT NULL AND moderated_at IS NULL AND hidden_at IS NULL;

-- +goose Down
DROP TABLE reviews;
