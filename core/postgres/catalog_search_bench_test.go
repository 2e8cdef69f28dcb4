package postgres_test

import (
	"context"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// BenchmarkCatalog_Search searches 100,000 products of 50 shops across every
// shop, as a shopper's typed text does: a word form, a prefix, two words, a
// misspelling (nothing has every word: the fallback by any word and by the
// title's trigrams) and a word nothing has.
//
//	go test ./core/postgres/ -run '^$' -bench Catalog_Search -benchtime 200x
func BenchmarkCatalog_Search(b *testing.B) {
	pool, _ := pgtest.NewDB(b)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, benchSeedSQL); err != nil {
		b.Fatal(err)
	}
	svc := catalog.NewService(postgres.NewCatalog(pool), core.SystemClock{}, nil)
	for _, q := range []string{"свечи", "крос", "тёплые носки", "кросовки", "самокат"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := svc.Products(ctx, catalog.ProductFilter{Query: q, Limit: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchSeedSQL makes 100,000 products in 50 shops, of 20 kinds and 15 words each.
const benchSeedSQL = `
		INSERT INTO users (id, first_name) VALUES (1, 'owner');
		INSERT INTO shops (created_by, name, currency, payment_method)
			SELECT 1, 'Магазин ' || i, 'RUB', 'card' FROM generate_series(1, 50) i;
		INSERT INTO products (shop_id, title, description)
		SELECT (SELECT min(id) FROM shops) + i % 50,
			(ARRAY['Свеча', 'Кроссовки', 'Худи', 'Футболка', 'Термос', 'Плед', 'Кружка', 'Рюкзак', 'Шапка', 'Носки',
				'Джинсы', 'Кеды', 'Одеяло', 'Платье', 'Куртка', 'Шарф', 'Перчатки', 'Сумка', 'Ремень', 'Чехол'])[1 + i % 20]
			|| ' ' || (ARRAY['ароматическая', 'беговые', 'оверсайз', 'базовая', 'стальной', 'шерстяной', 'керамическая',
				'городской', 'вязаная', 'тёплые', 'прямые', 'канвас', 'летнее', 'зимняя', 'кожаный'])[1 + (i / 20) % 15]
			|| ' ' || i,
			'Товар номер ' || i || ': ' || (ARRAY['хлопок', 'шерсть', 'кожа', 'сталь', 'керамика', 'воск'])[1 + i % 6]
		FROM generate_series(1, 100000) i;
		ANALYZE shops;
		ANALYZE products;`
