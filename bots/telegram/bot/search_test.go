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
