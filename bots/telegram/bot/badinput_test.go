package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/postgres"
)

// End-to-end tests of bad input in conversations: at every step, a photo, a
// sticker, a file, a text over the limits, a text with nothing visible, a command
// the bot does not know and a /skip where nothing may be skipped are each
// explained in the user's language, with the question again, and lose nothing.

// badInput is a wrong answer to a step and what the bot should say about it.
type badInput struct {
	name string
	send func()
	why  string
}

// wrongAnswers are the wrong answers of every step that wants text (want is the
// step's "здесь нужно" phrase, tooLong what it says of a text over its limit).
func (e *testEnv) wrongAnswers(u *sandbox.User, want, tooLong string) []badInput {
	return []badInput{
		{"photo", func() { e.sendPhoto(u) }, "Это фото, а сейчас нужно другое: " + want + "."},
		{"sticker", func() { e.sendSticker(u) }, "Это я прочитать не могу. Здесь нужно: " + want + "."},
		{"file", func() {
			if err := u.SendDocument(e.ctx, "price.pdf", []byte("%PDF"), "application/pdf"); err != nil {
				e.t.Fatal(err)
			}
		}, "Это файл, а сейчас нужно другое: " + want + "."},
		{"blank", func() { e.send(u, "\u200b\u3164") }, "В сообщении нет видимого текста. Здесь нужно: " + want + "."},
		{"command", func() { e.send(u, "/foo") }, "Команда /foo здесь не работает."},
		{"long", func() { e.send(u, strings.Repeat("я", 4096)) }, tooLong},
	}
}

// rejects gives u's conversation each wrong answer and checks that the bot
// explained it, asked question again, and kept the step and what was collected.
func (e *testEnv) rejects(u *sandbox.User, question string, answers ...badInput) {
	e.t.Helper()
	store := postgres.NewDialogs(e.pool)
	before, ok, err := store.Get(e.ctx, core.UserID(u.ID()), u.ID())
	if err != nil || !ok {
		e.t.Fatalf("not in a conversation: %v", err)
	}
	for _, a := range answers {
		a.send()
		m := e.lastBot(u)
		if !strings.Contains(m.Body(), a.why) || !strings.Contains(m.Body(), question) {
			e.t.Errorf("step %s, %s: the bot said %q; want %q and the question %q", before.Step, a.name, m.Body(), a.why, question)
		}
		after, ok, err := store.Get(e.ctx, core.UserID(u.ID()), u.ID())
		if err != nil || !ok || after.Kind != before.Kind || after.Step != before.Step || !sameData(before, after) {
			e.t.Errorf("step %s, %s: the conversation changed from %s %s to %s %s (%v, %v)",
				before.Step, a.name, before.Step, before.Data, after.Step, after.Data, ok, err)
		}
	}
}

func sameData(a, b dialog.State) bool {
	var x, y map[string]any
	return json.Unmarshal(a.Data, &x) == nil && json.Unmarshal(b.Data, &y) == nil && jsonEqual(x, y)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestSeller_WrongAnswersAtEveryStep(t *testing.T) {
	env := newTestEnv(t)
	seller := env.shopper("Марина", "ru")

	// /sell.
	env.send(seller, "/sell")
	env.rejects(seller, "Как он будет называться?", env.wrongAnswers(seller, "название магазина текстом",
		"Название магазина — от 1 до 64 символов.")...)
	env.send(seller, "Лавка")
	env.rejects(seller, "Как покупатели будут платить", append(env.wrongAnswers(seller, "выбор кнопкой: звёзды или карта",
		"Текст сейчас не подходит. Здесь нужно: выбор кнопкой: звёзды или карта."),
		badInput{"skip", func() { env.send(seller, "/skip") }, "Команда /skip здесь не работает."})...)
	env.press(seller, env.lastBot(seller), "Карта")
	env.rejects(seller, "В какой валюте цены?", append(env.wrongAnswers(seller, "валюта: кнопка или код, например GEL",
		"Такой валюты я не знаю."),
		badInput{"skip", func() { env.send(seller, "/skip") }, "Команда /skip здесь не работает."})...)
	env.press(seller, env.lastBot(seller), "RUB")
	env.rejects(seller, "Пришлите токен платёжного провайдера", env.wrongAnswers(seller, "токен провайдера текстом",
		"Это не похоже на токен провайдера")...)
	env.send(seller, "381764678:TEST:own")

	// Adding a product.
	env.press(seller, env.lastBot(seller), "Товары")
	env.press(seller, env.lastBot(seller), "Добавить товар")
	skip := badInput{"skip", func() { env.send(seller, "/skip") }, "Команда /skip здесь не работает."}
	env.rejects(seller, "Как он называется?", append(env.wrongAnswers(seller, "название товара текстом",
		"Название — от 1 до 128 символов."), skip)...)
	env.send(seller, "Платье")
	env.rejects(seller, "Опишите «Платье»", env.wrongAnswers(seller, "описание текстом (или «Пропустить»)",
		"Описание — не больше 1000 символов.")...)
	env.send(seller, "/skip")
	env.rejects(seller, "Пришлите фото товара",
		badInput{"sticker", func() { env.sendSticker(seller) }, "Это я прочитать не могу. Здесь нужно: фото"},
		badInput{"image file", func() {
			if err := seller.SendDocument(env.ctx, "dress.jpg", []byte("\xff\xd8\xff"), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
		}, "Это изображение пришло файлом, а нужно фото: отправьте его как фото, со сжатием."},
		badInput{"text", func() { env.send(seller, "вот фото") }, "Текст сейчас не подходит. Здесь нужно: фото"},
		badInput{"blank", func() { env.send(seller, "\u2800") }, "В сообщении нет видимого текста. Здесь нужно: фото"},
	)
	env.sendPhoto(seller)
	env.rejects(seller, "Фото добавлено: 1 из 10",
		badInput{"skip after a photo", func() { env.send(seller, "/skip") }, "Команда /skip здесь не работает."})
	env.send(seller, "/done")
	env.rejects(seller, "Цена в RUB?", append(env.wrongAnswers(seller, "цена цифрами, например 1250 или 12,50",
		"Это не похоже на цену."), skip)...)
	env.send(seller, "1 250,50")
	env.rejects(seller, "Товар в одном варианте или в нескольких", env.wrongAnswers(seller, "выбор одной из кнопок",
		"Текст сейчас не подходит. Здесь нужно: выбор одной из кнопок.")...)
	env.press(seller, env.lastBot(seller), "Несколько вариантов")
	env.rejects(seller, "Вариант 1: как он называется?", append(env.wrongAnswers(seller, "название варианта текстом, например S или красный",
		"У каждого варианта товара должно быть своё название, до 64 символов."), skip)...)
	env.send(seller, "S")
	env.rejects(seller, "Цена варианта «S» в RUB?", env.wrongAnswers(seller, "цена цифрами, например 1250 или 12,50",
		"Это не похоже на цену.")...)
	env.send(seller, "1300")
	env.rejects(seller, "Сколько «S» в наличии?", append(env.wrongAnswers(seller, "количество — целое число, например 5",
		"Количество — целое число от 0 до 1 000 000."), skip)...)
	env.send(seller, "4")
	env.press(seller, env.lastBot(seller), "Это все варианты")
	env.rejects(seller, "Напишите название раздела", env.wrongAnswers(seller, "раздел: кнопка или название текстом",
		"Название раздела — от 1 до 64 символов.")...)
	env.send(seller, "Платья")
	env.rejects(seller, "Проверьте товар", env.wrongAnswers(seller, "«Сохранить» или «Отменить»",
		"Текст сейчас не подходит. Здесь нужно: «Сохранить» или «Отменить».")...)
	env.press(seller, env.lastBot(seller), "Сохранить")
	shop := env.shopOf(seller)
	p := env.products(shop.ID)[0]
	if p.Title != "Платье" || p.Description != "" || len(p.Photos) != 1 || len(p.Variants) != 1 ||
		p.Variants[0].Name != "S" || p.Variants[0].Price.Amount != 130000 || p.Variants[0].OnHand != 4 {
		t.Fatalf("product = %+v", p)
	}

	// The settings' conversations.
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Настройки")
	env.press(seller, env.lastBot(seller), "Самовывоз")
	env.press(seller, env.lastBot(seller), "Добавить пункт")
	env.rejects(seller, "Как называется пункт самовывоза?", env.wrongAnswers(seller, "название пункта текстом",
		"Пункт самовывоза: название (до 64 символов)")...)
	env.send(seller, "Шоурум")
	env.rejects(seller, "Адрес пункта?", env.wrongAnswers(seller, "адрес текстом", "Пункт самовывоза: название (до 64 символов)")...)
	env.send(seller, "Москва, Тверская, 1")
	env.rejects(seller, "Часы работы?", env.wrongAnswers(seller, "часы работы текстом (или «Пропустить»)",
		"Пункт самовывоза: название (до 64 символов)")...)
	env.send(seller, "/skip")
	env.press(seller, env.wantBody(seller, "Шоурум, Москва, Тверская, 1"), "Назад")
	env.press(seller, env.lastBot(seller), "Доставка")
	env.press(seller, env.lastBot(seller), "Добавить способ")
	env.rejects(seller, "Как называется способ доставки?", env.wrongAnswers(seller, "название способа доставки текстом",
		"Способу доставки нужно название до 64 символов.")...)
	env.send(seller, "Курьер")
	env.rejects(seller, "Сколько стоит «Курьер» в RUB?", env.wrongAnswers(seller, "цена цифрами, например 1250 или 12,50",
		"Это не похоже на цену.")...)
	env.send(seller, "бесплатно")
	env.wantBody(seller, "Курьер — бесплатно")

	// Editing, the stock, a category.
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Товары")
	env.press(seller, env.lastBot(seller), "Платье")
	env.press(seller, env.lastBot(seller), "✏️ Название")
	env.rejects(seller, "Новое название для «Платье»?", env.wrongAnswers(seller, "название товара текстом",
		"Название — от 1 до 128 символов.")...)
	env.send(seller, "/cancel")
	env.wantBody(seller, "✖️ Отменено: изменение.")
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Товары")
	env.press(seller, env.lastBot(seller), "Платье")
	env.press(seller, env.lastBot(seller), "S · доступно 4")
	env.press(seller, env.lastBot(seller), "Приход")
	env.rejects(seller, "Сколько пришло?", env.wrongAnswers(seller, "число: +5, -2 или новый остаток", "Начните с числа")...)
	env.send(seller, "+2 от поставщика")
	env.wantBody(seller, "На складе: 6")
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Разделы")
	env.press(seller, env.lastBot(seller), "Новый раздел")
	env.rejects(seller, "Как назовём новый раздел?", env.wrongAnswers(seller, "раздел: кнопка или название текстом",
		"Название раздела — от 1 до 64 символов.")...)
	env.send(seller, "/cancel")
	env.wantBody(seller, "✖️ Отменено: создание раздела.")
	env.send(seller, "/cancel")
	env.wantBody(seller, "Отменять нечего.")
	env.noErrorsLogged()
}

func TestConversation_CommandsAndStaleButtons(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{Name: "Sticker Hub", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	dogs := env.product(seller, shop, "Dog stickers", "Good dogs", variant("", 150, 5))
	cats := env.product(seller, shop, "Cat stickers", "Twelve cats", variant("", 150, 5))
	open := func(title string) sandbox.Message {
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "Products")
		env.press(seller, env.lastBot(seller), title)
		return env.lastBot(seller)
	}

	t.Run("CommandSaysWhatItStopped", func(t *testing.T) {
		env.press(seller, open("Dog stickers"), "Add a variant")
		env.send(seller, "/start")
		msgs := seller.Messages()
		notice := msgs[len(msgs)-2]
		if notice.Body() != "✖️ Cancelled: adding a variant." {
			t.Errorf("notice = %q", notice.Body())
		}
		env.wantBody(seller, "Shops")
		env.send(seller, "Small")
		env.wantBody(seller, "Nothing found for “Small”") // a search again: the conversation is over
	})

	t.Run("ButtonOfAConversationLeft", func(t *testing.T) {
		// The seller starts removing the dogs' description, leaves, and then edits
		// the cats' description: the dogs' old button must not clear the cats'.
		env.press(seller, open("Dog stickers"), "Description")
		stale := env.lastBot(seller)
		env.send(seller, "/cancel")
		env.press(seller, open("Cat stickers"), "Description")
		ans := env.press(seller, stale, "Remove the description")
		if ans.Text != "This step is over." {
			t.Errorf("stale button answer = %+v", ans)
		}
		if p, _ := env.catalog.Product(env.ctx, cats.ID); p.Description != "Twelve cats" {
			t.Errorf("cats' description = %q", p.Description)
		}
		// The current prompt's button works, once.
		current := env.lastBot(seller)
		env.press(seller, current, "Remove the description")
		if p, _ := env.catalog.Product(env.ctx, cats.ID); p.Description != "" {
			t.Errorf("cats' description = %q after its own button", p.Description)
		}
		if p, _ := env.catalog.Product(env.ctx, dogs.ID); p.Description != "Good dogs" {
			t.Errorf("dogs' description = %q", p.Description)
		}
	})

	t.Run("DiscardedDraftLeadsBack", func(t *testing.T) {
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "Products")
		env.press(seller, env.lastBot(seller), "Add a product")
		env.send(seller, "Bird stickers")
		env.send(seller, "/skip")
		env.send(seller, "/skip")
		env.send(seller, "100")
		env.press(seller, env.lastBot(seller), "One variant")
		env.send(seller, "3")
		env.press(seller, env.lastBot(seller), "Skip")
		env.press(seller, env.wantBody(seller, "Check the product", "Bird stickers"), "Discard")
		env.press(seller, env.wantBody(seller, "The product was not saved."), "Back to products")
		env.wantBody(seller, "Products · Sticker Hub", "Total: 2")
	})

	t.Run("DoubleTapOnAStepButton", func(t *testing.T) {
		env.press(seller, open("Dog stickers"), "Photos")
		prompt := env.lastBot(seller)
		data, _ := prompt.Button("Remove all photos")
		env.press(seller, prompt, "Remove all photos")
		if got := env.forgePress(seller, prompt, data.CallbackData); got != "This step is over." {
			t.Errorf("second tap = %q", got)
		}
	})
	env.noErrorsLogged()
}
