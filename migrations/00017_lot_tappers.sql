-- +goose Up
-- Who tapped a lot's Buy button, once each, whatever the tap's outcome (sold
-- out, over the limit, ended): the session's report counts unique tappers.
-- Written by the batch of taps under the lot's lock.
CREATE TABLE lot_tappers (
    lot_id  bigint NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    user_id bigint NOT NULL,
    PRIMARY KEY (lot_id, user_id)
);

-- +goose Down
DROP TABLE lot_tappers;
