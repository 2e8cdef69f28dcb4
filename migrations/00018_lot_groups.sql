-- +goose Up
-- A product's variants dropped together are lots of one post: every lot but
-- the first names the first (the group's), whose post shows them all, each
-- with its own Buy button and counter.
ALTER TABLE lots ADD COLUMN group_id bigint REFERENCES lots (id);
CREATE INDEX lots_group ON lots (group_id) WHERE group_id IS NOT NULL;

-- +goose Down
DROP INDEX lots_group;
ALTER TABLE lots DROP COLUMN group_id;
