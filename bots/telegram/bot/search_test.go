package bot

import (
	"strings"
	"testing"
)

// A shopper's search understands Russian: word forms, ё as е, a misspelling,
// a question typed as a sentence; nothing found shows the shops to browse.
func TestShopper_SearchRussian(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.cardShop("Лавка")
	env.product(owner, shop, "Свеча ароматическая", "Соевый воск", variant("", 129000, 3))
	env.product(owner, shop, "Тёплое одеяло", "Шерсть", variant("", 349000, 1))
	env.product(owner, shop, "Кроссовки беговые", "", variant("", 899000, 2))
	env.product(owner, shop, "Худи оверсайз", "", variant("XS", 499000, 2))
	u := env.shopper("Анна", "ru")
	for query, want := range map[string]string{
		"свечи":    "Свеча ароматическая",
		"теплое":   "Тёплое одеяло",
		"кросовки": "Кроссовки беговые",
		"Здравствуйте, когда будет худи XS?": "Худи оверсайз",
	} {
		env.send(u, query)
		results := env.wantBody(u, "🔎 Нашлось: 1")
		if labels := buttonLabels(results); len(labels) != 1 || !strings.HasPrefix(labels[0], want) {
			t.Errorf("%q found %v, want %s", query, labels, want)
		}
	}
	env.send(u, "самокат")
	none := env.wantBody(u, "По запросу «самокат» ничего не нашлось", "загляните в каталог")
	if _, ok := none.Button("🏬 Лавка"); !ok {
		t.Errorf("nothing found offers %v, want the shops", buttonLabels(none))
	}
	env.noErrorsLogged()
}

// /cart shows the shopper's cart, or says there is none with the shops to
// browse; /start lists only shops with something to sell.
func TestShopper_CartCommandAndShops(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.cardShop("Лавка")
	env.cardShop("Пустая лавка") // nothing to sell: not listed
	env.product(owner, shop, "Свеча ароматическая", "", variant("", 129000, 3))
	u := env.shopper("Анна", "ru")
	env.send(u, "/start")
	start := env.lastBot(u)
	if _, ok := start.Button("🏬 Пустая лавка"); ok {
		t.Errorf("an empty shop is listed: %v", buttonLabels(start))
	}
	env.send(u, "/cart")
	env.wantBody(u, "🛒 Корзина пуста")
	env.send(u, "свечи")
	env.press(u, env.lastBot(u), "Свеча ароматическая")
	env.press(u, env.lastBot(u), "В корзину")
	env.send(u, "/cart")
	env.wantBody(u, "Свеча ароматическая", "Итого: 1\u00a0290\u00a0₽")
	env.noErrorsLogged()
}
