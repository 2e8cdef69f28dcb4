-- +goose Up

-- On a large table: ALTER COLUMN ... TYPE rewrites the table and the new primary key is
-- built, both under an ACCESS EXCLUSIVE lock, so webhook requests wait (and Telegram
-- retries them) for as long as that takes. The table holds only what the inbox keeps
-- (handled updates, bodies emptied, for 7 days, and failed ones): seconds for a million
-- rows. Stop serve first on a larger one. Updates still pending here go to bot 0 and are
-- adopted by the first sweeper of the bot (postgres.Inbox.AdoptUpdates).

-- An update is kept byte for byte as Telegram sent it. In a jsonb column some could not
-- be stored at all (a text with \u0000, a lone surrogate such as \ud800, invalid UTF-8),
-- so the webhook answered 500 to them forever and long polling stopped on them. The
-- inbox cleans a copy before it decodes one (see package bots/telegram/inbox).
ALTER TABLE telegram_updates ALTER COLUMN body TYPE bytea USING convert_to(body::text, 'UTF8');

-- update_id is unique per bot, not forever: a new bot token (a shop moving to another
-- bot, the demo's sandbox starting again) numbers its updates from 1 again, and they
-- were dropped as already seen. Updates are now keyed by the bot's id (the number
-- before ':' in its token) too. Rows stored before this belong to bot 0: a
-- redelivery of a handled one is handled again, which handlers are ready for (delivery
-- is at least once); pending ones are adopted by the bot's sweeper.
ALTER TABLE telegram_updates ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE telegram_updates DROP CONSTRAINT telegram_updates_pkey;
ALTER TABLE telegram_updates ADD PRIMARY KEY (bot_id, update_id);

-- What the retry policy needs besides attempts (every attempt started):
--   unfinished: attempts started in a row without recording an outcome. An update that
--               kills its process every time is given up when it reaches the limit,
--               while an hour of retries through a Telegram outage (each recorded) is not.
--   failures:   failed attempts that count toward the attempt limit (errors that are
--               neither Telegram's nor the network's: a bug).
ALTER TABLE telegram_updates
    ADD COLUMN unfinished integer NOT NULL DEFAULT 0,
    ADD COLUMN failures integer NOT NULL DEFAULT 0;
UPDATE telegram_updates SET failures = attempts WHERE handled_at IS NULL AND failed_at IS NULL;

-- A chat's pending updates, in order, per bot (NextUpdate, HasPending, StaleChats).
DROP INDEX telegram_updates_pending;
CREATE INDEX telegram_updates_pending ON telegram_updates (bot_id, chat_key, update_id)
    WHERE handled_at IS NULL AND failed_at IS NULL;

-- +goose Down
-- Fails if a stored body is not valid JSON for jsonb: fix or delete those rows first.
DROP INDEX telegram_updates_pending;
CREATE INDEX telegram_updates_pending ON telegram_updates (chat_key, update_id)
    WHERE handled_at IS NULL AND failed_at IS NULL;
ALTER TABLE telegram_updates DROP COLUMN unfinished, DROP COLUMN failures;
DELETE FROM telegram_updates a USING telegram_updates b
    WHERE a.update_id = b.update_id AND a.bot_id < b.bot_id;
ALTER TABLE telegram_updates DROP CONSTRAINT telegram_updates_pkey;
ALTER TABLE telegram_updates ADD PRIMARY KEY (update_id);
ALTER TABLE telegram_updates DROP COLUMN bot_id;
UPDATE telegram_updates SET body = convert_to('{}', 'UTF8') WHERE length(body) = 0;
ALTER TABLE telegram_updates ALTER COLUMN body TYPE jsonb USING convert_from(body, 'UTF8')::jsonb;
