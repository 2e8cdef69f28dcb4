-- +goose Up
-- Search that understands Russian: a product's words are kept stemmed by the
-- Russian configuration (its Latin words by the English stemmer) as well as
-- whole (the simple configuration, for prefixes: "крос" finds "Кроссовки"),
-- the title weighing more than the description; ё is folded to е in both the
-- products and the query ("теплое" finds "Тёплое"). Misspellings are caught
-- by trigram similarity of the title (pg_trgm, a trusted extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DROP INDEX products_search;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('russian'::regconfig, translate(lower(title), 'ё', 'е')), 'A') ||
    setweight(to_tsvector('simple'::regconfig, translate(lower(title), 'ё', 'е')), 'A') ||
    setweight(to_tsvector('russian'::regconfig, translate(lower(description), 'ё', 'е')), 'B') ||
    setweight(to_tsvector('simple'::regconfig, translate(lower(description), 'ё', 'е')), 'B')
) STORED;
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_title_trgm ON products USING gin (translate(lower(title), 'ё', 'е') gin_trgm_ops);
-- A SKU is searched across every shop too.
CREATE INDEX variants_sku ON variants (sku);

-- +goose Down
DROP INDEX variants_sku;
DROP INDEX products_title_trgm;
DROP INDEX products_search;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED;
CREATE INDEX products_search ON products USING gin (search);
