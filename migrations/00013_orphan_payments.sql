-- +goose Up

-- Orphan payments: Telegram took the money (a successful_payment arrived) but the
-- invoice payload names no order of ours: it is not one of our payloads, or the order
-- does not exist. They are kept here, once per charge, for the platform operators to
-- refund (Stars) or settle at the provider (cards). See core/orphan.
CREATE TABLE orphan_payments (
    id                          bigserial PRIMARY KEY,
    telegram_payment_charge_id  text NOT NULL UNIQUE,
    provider_payment_charge_id  text NOT NULL DEFAULT '',
    amount                      bigint NOT NULL,
    currency                    text NOT NULL,
    -- No foreign key to users: recording the money must never fail.
    payer_id                    bigint NOT NULL,
    payer_name                  text NOT NULL DEFAULT '',
    payer_username              text NOT NULL DEFAULT '',
    -- The payload byte for byte: it may hold what text cannot (a NUL).
    invoice_payload             bytea NOT NULL,
    reason                      text NOT NULL,
    status                      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'refunded', 'resolved')),
    received_at                 timestamptz NOT NULL,
    -- A Stars refund asked for by an operator, under way until status is refunded.
    refund_requested_at         timestamptz,
    refund_requested_by         bigint,
    -- When and by whom it was refunded or resolved (0: the refund worker).
    settled_at                  timestamptz,
    settled_by                  bigint,
    CHECK ((status = 'new') = (settled_at IS NULL))
);
CREATE INDEX orphan_payments_open ON orphan_payments (id) WHERE status = 'new';
CREATE INDEX orphan_payments_refunding ON orphan_payments (refund_requested_at)
    WHERE status = 'new' AND refund_requested_at IS NOT NULL;

-- +goose Down
DROP TABLE orphan_payments;
