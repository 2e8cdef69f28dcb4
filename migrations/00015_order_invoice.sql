-- +goose Up

-- The chat message of the invoice last sent for an order (0: none yet), recorded once
-- Telegram accepted it. A second tap on the checkout button that made the order is
-- answered with a pointer to that invoice; an order without one (the tap that made it
-- failed before its invoice) gets its invoice then. Orders made before this migration
-- read 0: a repeated tap on their old button sends the invoice again, as it did.
ALTER TABLE orders ADD COLUMN invoice_message_id bigint NOT NULL DEFAULT 0 CHECK (invoice_message_id >= 0);

-- +goose Down
ALTER TABLE orders DROP COLUMN invoice_message_id;
