package bot

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// End-to-end tests of staff and of platform operators.

var inviteURL = regexp.MustCompile(`https://t\.me/` + testBotUsername + `\?start=inv_[A-Z2-7]+`)

func TestSeller_InvitesAndRemovesManager(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub") // speaks Russian
	shopID := strconv.FormatInt(int64(shop.ID), 10)

	env.send(owner, "/admin")
	env.press(owner, env.lastBot(owner), "Сотрудники")
	env.press(owner, env.wantBody(owner, "Сотрудники · Sticker Hub", "Seller of Sticker Hub — владелец"), "Пригласить менеджера")
	link := inviteURL.FindString(env.wantBody(owner, "Ссылка-приглашение для менеджера").Body())
	if link == "" {
		t.Fatalf("no invitation link in %q", env.lastBot(owner).Body())
	}

	manager := env.shopper("Max", "en")
	if err := manager.OpenLink(env.ctx, link); err != nil {
		t.Fatal(err)
	}
	env.messageWith(manager, "Welcome to the team of Sticker Hub! Your role: manager.")
	menu := env.wantBody(manager, "Sticker Hub", "You are the manager")
	if _, ok := menu.Button("Settings"); ok {
		t.Errorf("a manager sees Settings: %v", buttonLabels(menu))
	}
	env.send(manager, "/admin")
	env.press(manager, env.wantBody(manager, "You are the manager"), "Products")
	env.wantBody(manager, "Products · Sticker Hub")
	for _, data := range []string{"asf:" + shopID, "asfi:" + shopID, "ase:" + shopID, "asp:" + shopID,
		"asfy:" + shopID + ":" + strconv.FormatInt(owner.ID(), 10)} {
		if got := env.forgePress(manager, sandbox.Message{}, data); got != "Only the shop's owner can do this." {
			t.Errorf("manager pressed %s: %q", data, got)
		}
	}

	t.Run("LinkIsOneTime", func(t *testing.T) {
		other := env.shopper("Olga", "en")
		if err := other.OpenLink(env.ctx, link); err != nil {
			t.Fatal(err)
		}
		env.wantBody(other, "This link is broken or expired")
		if _, err := env.catalog.Role(env.ctx, shop.ID, core.UserID(other.ID())); err == nil {
			t.Error("a used invitation made someone staff")
		}
	})

	env.send(owner, "/admin")
	env.press(owner, env.lastBot(owner), "Сотрудники")
	staff := env.wantBody(owner, "Max — менеджер")
	env.press(owner, staff, "Удалить: Max")
	env.press(owner, env.wantBody(owner, "Удалить Max из сотрудников «Sticker Hub»?"), "Да, удалить")
	if m := env.wantBody(owner, "Seller of Sticker Hub — владелец"); strings.Contains(m.Body(), "Max") {
		t.Errorf("staff after removal = %q", m.Body())
	}
	if _, err := env.catalog.Role(env.ctx, shop.ID, core.UserID(manager.ID())); err == nil {
		t.Error("the manager is still staff")
	}
	env.send(manager, "/admin")
	env.wantBody(manager, "You have no shop yet")
	env.noErrorsLogged()
}

func TestSeller_ChoosesShop(t *testing.T) {
	env := newTestEnv(t)
	owner, _ := env.starsShop("Sticker Hub")
	_, err := env.catalog.CreateShop(env.ctx, core.UserID(owner.ID()), catalog.NewShop{
		Name: "Poster Hub", Currency: core.Stars, PaymentMethod: catalog.PayStars,
	})
	if err != nil {
		t.Fatal(err)
	}
	env.send(owner, "/admin")
	choice := env.wantBody(owner, "Ваши магазины")
	env.press(owner, choice, "Poster Hub")
	menu := env.wantBody(owner, "Poster Hub", "Вы — владелец")
	env.press(owner, menu, "Все мои магазины")
	env.press(owner, env.wantBody(owner, "Ваши магазины"), "Sticker Hub")
	env.wantBody(owner, "Sticker Hub")
	env.noErrorsLogged()
}

func TestOperator_BlocksShop(t *testing.T) {
	const operatorID = 777000111
	env := newTestEnv(t, withOperators(operatorID))
	op := env.tg.NewUser(sandbox.UserSpec{ID: operatorID, FirstName: "Ops", LanguageCode: "en"})
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.lastBot(u)

	env.send(op, "/admin")
	list := env.wantBody(op, "The platform's shops")
	env.press(op, list, "Sticker Hub")
	ans := env.press(op, env.wantBody(op, "Sticker Hub", "State: ✅ open"), "Block")
	if ans.Text != "The shop is blocked" {
		t.Errorf("block answer = %q", ans.Text)
	}
	blocked := env.wantBody(op, "State: ⛔ blocked")
	if sh, _ := env.catalog.Shop(env.ctx, shop.ID); !sh.Blocked {
		t.Fatal("the shop is not blocked")
	}

	// The shopper can no longer buy from it.
	ans = env.press(u, card, "Buy now")
	if ans.Text != "This shop is not available now." {
		t.Errorf("buy from a blocked shop = %+v", ans)
	}
	if len(env.buyerOrders(u)) != 0 {
		t.Error("an order was made in a blocked shop")
	}
	env.send(u, "/start")
	if _, ok := env.lastBot(u).Button("Sticker Hub"); ok {
		t.Error("a blocked shop is listed to shoppers")
	}
	// Its staff still manage it, and are told.
	env.send(owner, "/admin")
	env.wantBody(owner, "Магазин заблокирован оператором платформы")

	// /admin <id> opens a shop, blocked or not (TestOperator_ListsBlockedShops: the
	// list holds it too).
	env.send(op, "/admin "+strconv.FormatInt(int64(shop.ID), 10))
	env.press(op, env.wantBody(op, "State: ⛔ blocked"), "Unblock")
	env.press(op, blocked, "Unblock") // a second tap: unblocking twice is harmless
	if sh, _ := env.catalog.Shop(env.ctx, shop.ID); sh.Blocked {
		t.Fatal("the shop is still blocked")
	}
	env.press(u, card, "Buy now")
	if m := env.refresh(u, card); !strings.Contains(m.Body(), "Your order") {
		t.Errorf("buy after unblocking = %q", m.Body())
	}

	if got := env.forgePress(owner, sandbox.Message{}, "aob:"+strconv.FormatInt(int64(shop.ID), 10)+":1"); got != "Это доступно только операторам платформы." {
		t.Errorf("the owner blocks: %q", got)
	}
	if !env.catalog.IsOperator(operatorID) || env.catalog.IsOperator(core.UserID(owner.ID())) {
		t.Error("operators are not as configured")
	}
	env.noErrorsLogged()
}

func TestOperator_ListsBlockedShops(t *testing.T) {
	const operatorID = 777000222
	env := newTestEnv(t, withOperators(operatorID))
	op := env.tg.NewUser(sandbox.UserSpec{ID: operatorID, FirstName: "Ops", LanguageCode: "en"})
	_, open := env.starsShop("Sticker Hub")
	_, blocked := env.starsShop("Poster Hub")
	if err := env.catalog.SetBlocked(env.ctx, operatorID, blocked.ID, true); err != nil {
		t.Fatal(err)
	}

	env.send(op, "/admin")
	list := env.wantBody(op, "The platform's shops", "⛔ marks a blocked shop")
	openLabel := "Sticker Hub · #" + strconv.FormatInt(int64(open.ID), 10)
	blockedLabel := "⛔ Poster Hub · #" + strconv.FormatInt(int64(blocked.ID), 10)
	if got := buttonLabels(list); len(got) < 2 || got[0] != blockedLabel || got[1] != openLabel {
		t.Errorf("buttons = %q; want %q, then %q (newest first)", got, blockedLabel, openLabel)
	}
	env.press(op, list, "Poster Hub")
	env.press(op, env.wantBody(op, "Poster Hub", "State: ⛔ blocked"), "Unblock")
	env.press(op, env.wantBody(op, "State: ✅ open"), "Back")
	if b, ok := env.lastBot(op).Button("Poster Hub"); !ok || strings.HasPrefix(b.Text, "⛔") {
		t.Errorf("after unblocking: %q", buttonLabels(env.lastBot(op)))
	}

	// Only operators see the list.
	owner := env.shopper("Eve", "en")
	if got := env.forgePress(owner, sandbox.Message{}, "aop:0"); got != "Only platform operators can do this." {
		t.Errorf("a non-operator lists shops: %q", got)
	}
	env.noErrorsLogged()
}
