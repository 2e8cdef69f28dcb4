package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// People of the catalog tests.
const (
	catalogOwner    core.UserID = 1001
	catalogManager  core.UserID = 1002
	catalogStranger core.UserID = 1003
	catalogOperator core.UserID = 9000
)

// catalogBundle is what a catalog test works with.
type catalogBundle struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	clock *core.FakeClock
}

// catalogSetup returns a catalog service on a fresh database, with catalogOperator as
// the only platform operator.
func catalogSetup(t *testing.T) (*catalog.Service, *catalogBundle) {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	clock := core.NewFakeClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	svc := catalog.NewService(postgres.NewCatalog(pool), clock, []core.UserID{catalogOperator})
	return svc, &catalogBundle{ctx: context.Background(), pool: pool, clock: clock}
}

// catalogShopOptions change the shop catalogNewShop opens.
type catalogShopOptions struct {
	Name     string
	Currency core.Currency // RUB (card) unless set; XTR means Stars
}

// catalogNewShop opens a shop owned by catalogOwner.
func catalogNewShop(t *testing.T, svc *catalog.Service, b *catalogBundle, o catalogShopOptions) catalog.Shop {
	t.Helper()
	n := catalog.NewShop{Name: o.Name, Currency: o.Currency, PaymentMethod: catalog.PayCard, ProviderToken: "123:TEST:tok"}
	if n.Name == "" {
		n.Name = "Shoes"
	}
	if n.Currency == "" {
		n.Currency = "RUB"
	}
	if n.Currency == core.Stars {
		n.PaymentMethod, n.ProviderToken = catalog.PayStars, ""
	}
	sh, err := svc.CreateShop(b.ctx, catalogOwner, n)
	if err != nil {
		t.Fatalf("create shop: %v", err)
	}
	return sh
}

// catalogNewProduct adds a product with one variant per price, named by its index,
// each with stock units.
func catalogNewProduct(t *testing.T, svc *catalog.Service, b *catalogBundle, sh catalog.Shop, title string, stock int, prices ...int64) catalog.Product {
	t.Helper()
	if len(prices) == 0 {
		prices = []int64{1000}
	}
	n := catalog.NewProduct{ShopID: sh.ID, Title: title}
	for i, p := range prices {
		name := ""
		if len(prices) > 1 {
			name = fmt.Sprint(40 + i)
		}
		n.Variants = append(n.Variants, catalog.NewVariant{Name: name, Price: core.Money{Amount: p, Currency: sh.Currency}, Stock: stock})
	}
	p, err := svc.CreateProduct(b.ctx, catalogOwner, n)
	if err != nil {
		t.Fatalf("create product %q: %v", title, err)
	}
	return p
}

// catalogAddManager makes catalogManager a manager of sh through an invite.
func catalogAddManager(t *testing.T, svc *catalog.Service, b *catalogBundle, sh catalog.Shop) {
	t.Helper()
	inv, err := svc.CreateInvite(b.ctx, catalogOwner, sh.ID)
	if err != nil {
		t.Fatalf("create invite: %v", err)
	}
	if _, err := svc.AcceptInvite(b.ctx, catalogManager, inv.Token); err != nil {
		t.Fatalf("accept invite: %v", err)
	}
}

// catalogReserve holds n units of a variant the way checkout does: reserved grows
// and the ledger records a reservation, in one transaction.
func catalogReserve(t *testing.T, b *catalogBundle, v core.VariantID, n int) {
	t.Helper()
	err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		var onHand, reserved int
		if err := tx.QueryRow(b.ctx, `SELECT on_hand, reserved FROM variants WHERE id = $1 FOR UPDATE`, v).Scan(&onHand, &reserved); err != nil {
			return err
		}
		if _, err := tx.Exec(b.ctx, `UPDATE variants SET reserved = reserved + $2 WHERE id = $1`, v, n); err != nil {
			return err
		}
		_, err := tx.Exec(b.ctx, `
			INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before, reserved_after)
			VALUES ($1, 'reservation', $2, $2, $3, $4)`, v, onHand, reserved, reserved+n)
		return err
	})
	if err != nil {
		t.Fatalf("reserve %d of variant %d: %v", n, v, err)
	}
}

// catalogCheckLedger checks that a variant's ledger is one unbroken chain from zero
// to its current on-hand and reserved stock, and returns its length.
func catalogCheckLedger(t *testing.T, b *catalogBundle, v core.VariantID) int {
	t.Helper()
	rows, err := b.pool.Query(b.ctx, `
		SELECT kind, on_hand_before, on_hand_after, reserved_before, reserved_after
		FROM stock_movements WHERE variant_id = $1 ORDER BY id`, v)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	onHand, reserved, n := 0, 0, 0
	for rows.Next() {
		var (
			kind       string
			ob, oa, rb int
			ra         int
		)
		if err := rows.Scan(&kind, &ob, &oa, &rb, &ra); err != nil {
			t.Fatal(err)
		}
		if ob != onHand || rb != reserved {
			t.Errorf("variant %d movement %d (%s) starts at %d/%d, the previous ended at %d/%d", v, n, kind, ob, rb, onHand, reserved)
		}
		onHand, reserved = oa, ra
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var curOnHand, curReserved int
	if err := b.pool.QueryRow(b.ctx, `SELECT on_hand, reserved FROM variants WHERE id = $1`, v).Scan(&curOnHand, &curReserved); err != nil {
		t.Fatal(err)
	}
	if curOnHand != onHand || curReserved != reserved {
		t.Errorf("variant %d is at %d/%d, its ledger ends at %d/%d", v, curOnHand, curReserved, onHand, reserved)
	}
	return n
}

// catalogWantErr fails the test unless err is want.
func catalogWantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func TestCatalog_CreateShop(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)

	t.Run("Stars", func(t *testing.T) {
		sh, err := svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: " Digital ", Currency: core.Stars, PaymentMethod: catalog.PayStars})
		if err != nil {
			t.Fatal(err)
		}
		if sh.ID == 0 || sh.Name != "Digital" || sh.ReservationTTL != catalog.DefaultReservationTTL || sh.CreatedBy != catalogOwner || sh.Blocked {
			t.Errorf("shop = %+v", sh)
		}
		got, err := svc.Shop(b.ctx, sh.ID)
		if err != nil || got != sh {
			t.Errorf("Shop() = %+v, %v; want %+v", got, err, sh)
		}
		role, err := svc.Role(b.ctx, sh.ID, catalogOwner)
		if err != nil || role != catalog.RoleOwner {
			t.Errorf("Role() = %q, %v", role, err)
		}
	})
	t.Run("Validation", func(t *testing.T) {
		_, err := svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: "S", Currency: "RUB", PaymentMethod: catalog.PayStars})
		catalogWantErr(t, err, catalog.ErrStarsCurrency)
		_, err = svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: "", Currency: core.Stars, PaymentMethod: catalog.PayStars})
		catalogWantErr(t, err, catalog.ErrShopName)
		_, err = svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: "S", Currency: "RUB", PaymentMethod: catalog.PayCard})
		catalogWantErr(t, err, catalog.ErrNoProvider)
		_, err = svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: "S", Currency: "QQQ", PaymentMethod: catalog.PayCard, ProviderToken: "t"})
		catalogWantErr(t, err, core.ErrCurrencyUnknown)
	})
	t.Run("PlatformProvider", func(t *testing.T) {
		sh, err := svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: "On the platform", Currency: "RUB",
			PaymentMethod: catalog.PayCard, PlatformProvider: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := svc.Shop(b.ctx, sh.ID); err != nil || got.PaymentMethod != catalog.PayCard || got.ProviderToken != "" {
			t.Errorf("Shop() = %+v, %v; want a card shop without a token", got, err)
		}
		// Later settings keep it on the platform's provider, and it may take its own.
		ttl := 20 * time.Minute
		if got, err := svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{ReservationTTL: &ttl}); err != nil || got.ProviderToken != "" {
			t.Errorf("UpdateSettings(ttl) = %+v, %v", got, err)
		}
		own := "123:TEST:own"
		if got, err := svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{ProviderToken: &own}); err != nil || got.ProviderToken != own {
			t.Errorf("UpdateSettings(own token) = %+v, %v", got, err)
		}
		if got, err := svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{PlatformProvider: true}); err != nil || got.ProviderToken != "" {
			t.Errorf("UpdateSettings(platform) = %+v, %v", got, err)
		}
		_, err = svc.CreateShop(b.ctx, catalogOwner, catalog.NewShop{Name: "Both", Currency: "RUB",
			PaymentMethod: catalog.PayCard, ProviderToken: own, PlatformProvider: true})
		catalogWantErr(t, err, catalog.ErrProviderChoice)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := svc.Shop(b.ctx, 999999)
		catalogWantErr(t, err, catalog.ErrShopNotFound)
		if core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("code = %q", core.ErrorCode(err))
		}
	})
	t.Run("BlockingHidesFromShoppers", func(t *testing.T) {
		sh := catalogNewShop(t, svc, b, catalogShopOptions{Name: "To block"})
		catalogNewProduct(t, svc, b, sh, "Blocked boots", 1)
		catalogWantErr(t, svc.SetBlocked(b.ctx, catalogOwner, sh.ID, true), catalog.ErrNotOperator)
		if err := svc.SetBlocked(b.ctx, catalogOperator, sh.ID, true); err != nil {
			t.Fatal(err)
		}
		shops, err := svc.Shops(b.ctx, 50, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shops {
			if s.ID == sh.ID {
				t.Error("a blocked shop is listed to shoppers")
			}
		}
		if _, total, _ := svc.Products(b.ctx, catalog.ProductFilter{Query: "boots"}); total != 0 {
			t.Errorf("a blocked shop's products are found by shoppers: %d", total)
		}
		ms, err := svc.Memberships(b.ctx, catalogOwner)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, m := range ms {
			found = found || m.Shop.ID == sh.ID && m.Shop.Blocked && m.Role == catalog.RoleOwner
		}
		if !found {
			t.Errorf("the owner does not see their blocked shop: %+v", ms)
		}
		if err := svc.SetBlocked(b.ctx, catalogOperator, sh.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := svc.Products(b.ctx, catalog.ProductFilter{Query: "boots"}); total != 1 {
			t.Errorf("an unblocked shop's products are not found: %d", total)
		}
	})
}

func TestCatalog_ShopsForOperator(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	open := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Open"})
	blocked := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Blocked"})
	newest := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Newest", Currency: core.Stars})
	if err := svc.SetBlocked(b.ctx, catalogOperator, blocked.ID, true); err != nil {
		t.Fatal(err)
	}

	shops, err := svc.ShopsForOperator(b.ctx, catalogOperator, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(shops) != 3 || shops[0].ID != newest.ID || shops[1].ID != blocked.ID || !shops[1].Blocked ||
		shops[2].ID != open.ID || shops[2].Blocked {
		t.Errorf("ShopsForOperator() = %+v; want the three, newest first, the blocked one marked", shops)
	}
	page, err := svc.ShopsForOperator(b.ctx, catalogOperator, 1, 1)
	if err != nil || len(page) != 1 || page[0].ID != blocked.ID {
		t.Errorf("ShopsForOperator(limit 1, offset 1) = %+v, %v", page, err)
	}
	// Shoppers see only the open shops with something to sell.
	if shops, err := svc.Shops(b.ctx, 50, 0); err != nil || len(shops) != 0 {
		t.Errorf("Shops() = %+v, %v; want none: nothing is for sale", shops, err)
	}
	catalogNewProduct(t, svc, b, open, "Boots", 2)
	catalogNewProduct(t, svc, b, newest, "Sold out", 0)
	catalogNewProduct(t, svc, b, blocked, "Hidden", 5)
	if shops, err := svc.Shops(b.ctx, 50, 0); err != nil || len(shops) != 1 || shops[0].ID != open.ID {
		t.Errorf("Shops() = %+v, %v; want the open one with stock", shops, err)
	}
	for _, who := range []core.UserID{catalogOwner, catalogStranger} {
		_, err := svc.ShopsForOperator(b.ctx, who, 50, 0)
		catalogWantErr(t, err, catalog.ErrNotOperator)
	}
}

func TestCatalog_Staff(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})

	t.Run("StrangerIsNotStaff", func(t *testing.T) {
		_, err := svc.Role(b.ctx, sh.ID, catalogStranger)
		catalogWantErr(t, err, catalog.ErrNotStaff)
		_, err = svc.Staff(b.ctx, catalogStranger, sh.ID)
		catalogWantErr(t, err, catalog.ErrNotStaff)
		_, err = svc.CreateInvite(b.ctx, catalogStranger, sh.ID)
		catalogWantErr(t, err, catalog.ErrNotStaff)
	})

	inv, err := svc.CreateInvite(b.ctx, catalogOwner, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len("inv_"+inv.Token) > 64 || inv.Role != catalog.RoleManager || !inv.ExpiresAt.Equal(b.clock.Now().Add(7*24*time.Hour)) {
		t.Errorf("invite = %+v", inv)
	}

	t.Run("OwnerOpeningOwnLinkKeepsIt", func(t *testing.T) {
		m, err := svc.AcceptInvite(b.ctx, catalogOwner, inv.Token)
		if err != nil || m.Role != catalog.RoleOwner {
			t.Fatalf("AcceptInvite(owner) = %+v, %v", m, err)
		}
	})
	t.Run("AcceptIsOneTime", func(t *testing.T) {
		m, err := svc.AcceptInvite(b.ctx, catalogManager, inv.Token)
		if err != nil || m.Role != catalog.RoleManager || m.Shop.ID != sh.ID {
			t.Fatalf("AcceptInvite() = %+v, %v", m, err)
		}
		if m, err := svc.AcceptInvite(b.ctx, catalogManager, inv.Token); err != nil || m.Role != catalog.RoleManager {
			t.Errorf("second AcceptInvite by the same user = %+v, %v", m, err)
		}
		_, err = svc.AcceptInvite(b.ctx, catalogStranger, inv.Token)
		catalogWantErr(t, err, catalog.ErrInviteInvalid)
		_, err = svc.AcceptInvite(b.ctx, catalogStranger, "NOSUCHTOKEN")
		catalogWantErr(t, err, catalog.ErrInviteInvalid)
	})
	t.Run("StaffList", func(t *testing.T) {
		staff, err := svc.Staff(b.ctx, catalogManager, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(staff) != 2 || staff[0].UserID != catalogOwner || staff[0].Role != catalog.RoleOwner || staff[1].UserID != catalogManager {
			t.Errorf("staff = %+v", staff)
		}
	})
	t.Run("StaffOfForTheSystem", func(t *testing.T) {
		staff, err := svc.StaffOf(b.ctx, sh.ID)
		if err != nil || len(staff) != 2 || staff[0].UserID != catalogOwner || staff[1].UserID != catalogManager {
			t.Errorf("StaffOf() = %+v, %v", staff, err)
		}
		if staff, err := svc.StaffOf(b.ctx, 999999); err != nil || len(staff) != 0 {
			t.Errorf("StaffOf(unknown shop) = %+v, %v", staff, err)
		}
	})
	t.Run("ManagerCannotDoOwnersWork", func(t *testing.T) {
		name := "Mine now"
		_, err := svc.UpdateSettings(b.ctx, catalogManager, sh.ID, catalog.ShopSettings{Name: &name})
		catalogWantErr(t, err, catalog.ErrNotOwner)
		_, err = svc.CreateInvite(b.ctx, catalogManager, sh.ID)
		catalogWantErr(t, err, catalog.ErrNotOwner)
		catalogWantErr(t, svc.RemoveStaff(b.ctx, catalogManager, sh.ID, catalogOwner), catalog.ErrNotOwner)
		if _, err := svc.CreateProduct(b.ctx, catalogManager, catalog.NewProduct{ShopID: sh.ID, Title: "By manager",
			Variants: []catalog.NewVariant{{Price: core.Money{Amount: 100, Currency: "RUB"}}}}); err != nil {
			t.Errorf("a manager cannot add a product: %v", err)
		}
	})
	t.Run("ExpiredInvite", func(t *testing.T) {
		inv, err := svc.CreateInvite(b.ctx, catalogOwner, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(7*24*time.Hour + time.Second)
		_, err = svc.AcceptInvite(b.ctx, catalogStranger, inv.Token)
		catalogWantErr(t, err, catalog.ErrInviteInvalid)
		if _, err := svc.Role(b.ctx, sh.ID, catalogStranger); !errors.Is(err, catalog.ErrNotStaff) {
			t.Errorf("an expired invite made a manager: %v", err)
		}
	})
	t.Run("OwnerCannotBeRemoved", func(t *testing.T) {
		catalogWantErr(t, svc.RemoveStaff(b.ctx, catalogOwner, sh.ID, catalogOwner), catalog.ErrLastOwner)
	})
	t.Run("RemoveManager", func(t *testing.T) {
		if err := svc.RemoveStaff(b.ctx, catalogOwner, sh.ID, catalogManager); err != nil {
			t.Fatal(err)
		}
		if err := svc.RemoveStaff(b.ctx, catalogOwner, sh.ID, catalogManager); err != nil {
			t.Errorf("removing twice: %v", err)
		}
		_, err := svc.Role(b.ctx, sh.ID, catalogManager)
		catalogWantErr(t, err, catalog.ErrNotStaff)
		// The invite they used does not bring them back.
		_, err = svc.AcceptInvite(b.ctx, catalogManager, inv.Token)
		catalogWantErr(t, err, catalog.ErrInviteInvalid)
	})
}

func TestCatalog_Settings(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})

	ttl := 30 * time.Minute
	usd := core.Currency("USD")
	got, err := svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{ReservationTTL: &ttl, Currency: &usd})
	if err != nil || got.ReservationTTL != ttl || got.Currency != usd {
		t.Fatalf("UpdateSettings() = %+v, %v", got, err)
	}
	short := 10 * time.Second
	_, err = svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{ReservationTTL: &short})
	catalogWantErr(t, err, catalog.ErrReservationTTL)
	stars := catalog.PayStars
	_, err = svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{PaymentMethod: &stars})
	catalogWantErr(t, err, catalog.ErrStarsCurrency)

	sh, _ = svc.Shop(b.ctx, sh.ID)
	catalogNewProduct(t, svc, b, sh, "Priced in dollars", 1)
	rub := core.Currency("RUB")
	_, err = svc.UpdateSettings(b.ctx, catalogOwner, sh.ID, catalog.ShopSettings{Currency: &rub})
	catalogWantErr(t, err, catalog.ErrCurrencyLocked)
	if got, _ := svc.Shop(b.ctx, sh.ID); got.Currency != usd || got.ReservationTTL != ttl {
		t.Errorf("a refused change was saved: %+v", got)
	}
}

func TestCatalog_Products(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	rub := func(a int64) core.Money { return core.Money{Amount: a, Currency: "RUB"} }

	cat, err := svc.CreateCategory(b.ctx, catalogOwner, sh.ID, "Обувь")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateCategory(b.ctx, catalogOwner, sh.ID, "Обувь")
	catalogWantErr(t, err, catalog.ErrCategoryTaken)

	p, err := svc.CreateProduct(b.ctx, catalogOwner, catalog.NewProduct{
		ShopID: sh.ID, CategoryID: cat.ID, Title: "Кроссовки", Description: "Лёгкие", Photos: []string{"file-1"},
		Variants: []catalog.NewVariant{
			{Name: "41", Price: rub(1250_00), Stock: 3},
			{Name: "42", SKU: "SNK-42", Price: rub(1300_00), Stock: 0},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("TwoVariantsWithOpeningStock", func(t *testing.T) {
		if len(p.Variants) != 2 || p.CategoryID != cat.ID || len(p.Photos) != 1 {
			t.Fatalf("product = %+v", p)
		}
		v41, v42 := p.Variants[0], p.Variants[1]
		if v41.SKU != catalog.GeneratedSKU(p.ID, 1) || v41.OnHand != 3 || v41.Price != rub(1250_00) || v41.Name != "41" {
			t.Errorf("variant 41 = %+v", v41)
		}
		if v42.SKU != "SNK-42" || v42.OnHand != 0 || v42.Available() != 0 {
			t.Errorf("variant 42 = %+v", v42)
		}
		ms, err := svc.Movements(b.ctx, catalogOwner, v41.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Kind != catalog.MoveReceipt || ms[0].OnHandBefore != 0 || ms[0].OnHandAfter != 3 || ms[0].ActorID != catalogOwner {
			t.Errorf("opening stock movements = %+v", ms)
		}
		if n := catalogCheckLedger(t, b, v42.ID); n != 0 {
			t.Errorf("a variant without opening stock has %d movements", n)
		}
		got, err := svc.Product(b.ctx, p.ID)
		if err != nil || got.Title != p.Title || len(got.Variants) != 2 {
			t.Errorf("Product() = %+v, %v", got, err)
		}
	})
	t.Run("SKUTaken", func(t *testing.T) {
		_, err := svc.CreateProduct(b.ctx, catalogOwner, catalog.NewProduct{ShopID: sh.ID, Title: "Copy",
			Variants: []catalog.NewVariant{{SKU: "SNK-42", Price: rub(1)}}})
		catalogWantErr(t, err, catalog.ErrSKUTaken)
		// Another shop may use the same SKU.
		other := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Other"})
		if _, err := svc.CreateProduct(b.ctx, catalogOwner, catalog.NewProduct{ShopID: other.ID, Title: "Copy",
			Variants: []catalog.NewVariant{{SKU: "SNK-42", Price: rub(1)}}}); err != nil {
			t.Errorf("same SKU in another shop: %v", err)
		}
		// Nor can an edit take a SKU.
		_, err = svc.UpdateVariant(b.ctx, catalogOwner, p.Variants[0].ID, catalog.VariantUpdate{SKU: new("SNK-42")})
		catalogWantErr(t, err, catalog.ErrSKUTaken)
	})
	t.Run("CategoryOfAnotherShop", func(t *testing.T) {
		other := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Third"})
		_, err := svc.CreateProduct(b.ctx, catalogOwner, catalog.NewProduct{ShopID: other.ID, CategoryID: cat.ID, Title: "X",
			Variants: []catalog.NewVariant{{Price: rub(1)}}})
		catalogWantErr(t, err, catalog.ErrCategoryNotFound)
	})
	t.Run("StrangerCannotEdit", func(t *testing.T) {
		_, err := svc.UpdateProduct(b.ctx, catalogStranger, p.ID, catalog.ProductUpdate{Title: new("Mine")})
		catalogWantErr(t, err, catalog.ErrNotStaff)
		_, err = svc.AdjustStock(b.ctx, catalogStranger, p.Variants[0].ID, 1, catalog.MoveReceipt, "")
		catalogWantErr(t, err, catalog.ErrNotStaff)
		_, err = svc.Movements(b.ctx, catalogStranger, p.Variants[0].ID, 10)
		catalogWantErr(t, err, catalog.ErrNotStaff)
	})
	t.Run("UpdateProduct", func(t *testing.T) {
		none := core.CategoryID(0)
		got, err := svc.UpdateProduct(b.ctx, catalogOwner, p.ID, catalog.ProductUpdate{
			Title: new("Кроссовки беговые"), Photos: &[]string{"file-2", "file-3"}, CategoryID: &none})
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Кроссовки беговые" || got.Description != "Лёгкие" || len(got.Photos) != 2 || got.CategoryID != 0 || len(got.Variants) != 2 {
			t.Errorf("UpdateProduct() = %+v", got)
		}
		_, err = svc.UpdateProduct(b.ctx, catalogOwner, p.ID, catalog.ProductUpdate{Title: new("")})
		catalogWantErr(t, err, catalog.ErrTitle)
		_, err = svc.UpdateProduct(b.ctx, catalogOwner, 999999, catalog.ProductUpdate{Title: new("x")})
		catalogWantErr(t, err, catalog.ErrProductNotFound)
	})
	t.Run("AddAndUpdateVariant", func(t *testing.T) {
		v, err := svc.AddVariant(b.ctx, catalogOwner, p.ID, catalog.NewVariant{Name: "43", Price: rub(1400_00), Stock: 2})
		if err != nil {
			t.Fatal(err)
		}
		if v.SKU != catalog.GeneratedSKU(p.ID, 3) || v.OnHand != 2 || v.ProductID != p.ID || v.Price != rub(1400_00) {
			t.Errorf("AddVariant() = %+v", v)
		}
		catalogCheckLedger(t, b, v.ID)
		_, err = svc.AddVariant(b.ctx, catalogOwner, p.ID, catalog.NewVariant{Name: "43", Price: rub(1)})
		catalogWantErr(t, err, catalog.ErrVariantName)

		price := rub(1500_00)
		v, err = svc.UpdateVariant(b.ctx, catalogOwner, v.ID, catalog.VariantUpdate{Price: &price, Name: new("43.5")})
		if err != nil || v.Price != price || v.Name != "43.5" || v.OnHand != 2 {
			t.Errorf("UpdateVariant() = %+v, %v", v, err)
		}
		got, _ := svc.Product(b.ctx, p.ID)
		if len(got.Variants) != 3 || got.Variants[2].ID != v.ID {
			t.Errorf("variants after adding one: %+v", got.Variants)
		}
	})
}

func TestCatalog_Search(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	sneakers := catalogNewProduct(t, svc, b, sh, "Кроссовки Nike Air", 1)
	kedy := catalogNewProduct(t, svc, b, sh, "Кеды Converse", 1)
	shoes := catalogNewProduct(t, svc, b, sh, "Running shoes", 1)
	if _, err := svc.UpdateProduct(b.ctx, catalogOwner, kedy.ID, catalog.ProductUpdate{Description: new("Классические высокие кеды, подходят для бега")}); err != nil {
		t.Fatal(err)
	}
	other := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Other"})
	otherShoes := catalogNewProduct(t, svc, b, other, "Trail shoes", 1)
	candle := catalogNewProduct(t, svc, b, other, "Свеча ароматическая", 1)
	blanket := catalogNewProduct(t, svc, b, other, "Тёплое одеяло", 1)
	hoodie := catalogNewProduct(t, svc, b, other, "Худи оверсайз", 1)

	tests := []struct {
		query string
		shop  core.ShopID
		want  []core.ProductID // newest first
	}{
		{"крос", sh.ID, []core.ProductID{sneakers.ID}},
		{"КРОСС", sh.ID, []core.ProductID{sneakers.ID}},
		{"кроссовки", sh.ID, []core.ProductID{sneakers.ID}},
		{"nik", sh.ID, []core.ProductID{sneakers.ID}},
		{"air крос", sh.ID, []core.ProductID{sneakers.ID}},
		{"run", sh.ID, []core.ProductID{shoes.ID}},
		{"shoes", sh.ID, []core.ProductID{shoes.ID}},
		{"shoes", 0, []core.ProductID{otherShoes.ID, shoes.ID}},
		{"бег", sh.ID, []core.ProductID{kedy.ID}}, // description
		{"ке", sh.ID, []core.ProductID{kedy.ID}},
		{"кроссовки кеды", sh.ID, []core.ProductID{sneakers.ID, kedy.ID}}, // none has every word: those with some
		{"свечи", 0, []core.ProductID{candle.ID}},                         // word forms
		{"ароматические свечи", 0, []core.ProductID{candle.ID}},
		{"кросовки", 0, []core.ProductID{sneakers.ID}}, // a misspelling
		{"теплое", 0, []core.ProductID{blanket.ID}},    // ё read as е
		{"ТЁПЛЫЕ одеяла", 0, []core.ProductID{blanket.ID}},
		{"Здравствуйте, когда будет худи XS?", 0, []core.ProductID{hoodie.ID}},
		{"sandals", sh.ID, nil},
		{`air:* | !nike & (')`, sh.ID, []core.ProductID{sneakers.ID}}, // tsquery syntax is not passed through
		{"!!!", sh.ID, nil},
		{sneakers.Variants[0].SKU, sh.ID, []core.ProductID{sneakers.ID}}, // exact SKU
		{"", sh.ID, []core.ProductID{shoes.ID, kedy.ID, sneakers.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ps, total, err := svc.Products(b.ctx, catalog.ProductFilter{ShopID: tt.shop, Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			var got []core.ProductID
			for _, p := range ps {
				got = append(got, p.ID)
				if len(p.Variants) == 0 {
					t.Errorf("product %d listed without variants", p.ID)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || total != len(tt.want) {
				t.Errorf("Products(%q) = %v (total %d), want %v", tt.query, got, total, tt.want)
			}
		})
	}
	t.Run("Pages", func(t *testing.T) {
		ps, total, err := svc.Products(b.ctx, catalog.ProductFilter{ShopID: sh.ID, Limit: 2, Offset: 1})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(ps) != 2 || ps[0].ID != kedy.ID || ps[1].ID != sneakers.ID {
			t.Errorf("page = %v, total %d", ps, total)
		}
	})
}

func TestCatalog_Archive(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	p := catalogNewProduct(t, svc, b, sh, "Old boots", 2)
	catalogNewProduct(t, svc, b, sh, "New boots", 2)

	listed := func(archived bool) []string {
		t.Helper()
		ps, _, err := svc.Products(b.ctx, catalog.ProductFilter{ShopID: sh.ID, Archived: archived})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, p := range ps {
			titles = append(titles, p.Title)
		}
		return titles
	}
	catalogAddManager(t, svc, b, sh)
	got, err := svc.SetArchived(b.ctx, catalogManager, p.ID, true)
	if err != nil || !got.Archived {
		t.Fatalf("SetArchived(true) = %+v, %v", got, err)
	}
	if titles := listed(false); fmt.Sprint(titles) != "[New boots]" {
		t.Errorf("shoppers see %v", titles)
	}
	if titles := listed(true); fmt.Sprint(titles) != "[Old boots]" {
		t.Errorf("archive lists %v", titles)
	}
	if _, total, _ := svc.Products(b.ctx, catalog.ProductFilter{Query: "old"}); total != 0 {
		t.Error("search finds an archived product")
	}
	if got, err := svc.Product(b.ctx, p.ID); err != nil || !got.Archived || len(got.Variants) != 1 {
		t.Errorf("Product(archived) = %+v, %v", got, err)
	}
	if _, err := svc.SetArchived(b.ctx, catalogStranger, p.ID, false); !errors.Is(err, catalog.ErrNotStaff) {
		t.Errorf("a stranger restored a product: %v", err)
	}
	if got, err := svc.SetArchived(b.ctx, catalogOwner, p.ID, false); err != nil || got.Archived {
		t.Fatalf("SetArchived(false) = %+v, %v", got, err)
	}
	if titles := listed(false); fmt.Sprint(titles) != "[New boots Old boots]" {
		t.Errorf("after restoring, shoppers see %v", titles)
	}
}

func TestCatalog_AdjustStock(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	catalogAddManager(t, svc, b, sh)
	v := catalogNewProduct(t, svc, b, sh, "Cap", 10).Variants[0]

	got, err := svc.AdjustStock(b.ctx, catalogManager, v.ID, 5, catalog.MoveReceipt, "delivery #7")
	if err != nil || got.OnHand != 15 {
		t.Fatalf("receipt: %+v, %v", got, err)
	}
	catalogReserve(t, b, v.ID, 6)
	got, err = svc.AdjustStock(b.ctx, catalogOwner, v.ID, -9, catalog.MoveWriteOff, "wet")
	if err != nil || got.OnHand != 6 || got.Reserved != 6 || got.Available() != 0 {
		t.Fatalf("write-off down to reserved: %+v, %v", got, err)
	}

	t.Run("BelowReservedRefused", func(t *testing.T) {
		_, err := svc.AdjustStock(b.ctx, catalogOwner, v.ID, -1, catalog.MoveCorrection, "")
		catalogWantErr(t, err, catalog.ErrStockBelowZero)
		if cur, _ := svc.Variant(b.ctx, v.ID); cur.OnHand != 6 {
			t.Errorf("a refused adjustment changed on hand to %d", cur.OnHand)
		}
	})
	t.Run("WrongKind", func(t *testing.T) {
		_, err := svc.AdjustStock(b.ctx, catalogOwner, v.ID, -1, catalog.MoveReceipt, "")
		catalogWantErr(t, err, catalog.ErrAdjustKind)
		_, err = svc.AdjustStock(b.ctx, catalogOwner, v.ID, 1, catalog.MoveSale, "")
		catalogWantErr(t, err, catalog.ErrAdjustKind)
	})
	t.Run("UnknownVariant", func(t *testing.T) {
		_, err := svc.AdjustStock(b.ctx, catalogOwner, 999999, 1, catalog.MoveReceipt, "")
		catalogWantErr(t, err, catalog.ErrVariantNotFound)
	})
	t.Run("Ledger", func(t *testing.T) {
		if n := catalogCheckLedger(t, b, v.ID); n != 4 {
			t.Errorf("ledger has %d movements, want 4 (opening, receipt, reservation, write-off)", n)
		}
		ms, err := svc.Movements(b.ctx, catalogOwner, v.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := catalog.Movement{VariantID: v.ID, Kind: catalog.MoveWriteOff, OnHandBefore: 15, OnHandAfter: 6,
			ReservedBefore: 6, ReservedAfter: 6, ActorID: catalogOwner, Note: "wet"}
		if len(ms) > 0 && !ms[0].CreatedAt.Equal(b.clock.Now()) {
			t.Errorf("movement at %v, the clock says %v", ms[0].CreatedAt, b.clock.Now())
		}
		ms[0].ID, ms[0].CreatedAt = 0, time.Time{}
		if len(ms) != 2 || ms[0] != want || ms[1].Kind != catalog.MoveReservation || ms[1].ActorID != 0 {
			t.Errorf("Movements() = %+v", ms)
		}
	})
}

func TestCatalog_AdjustStockConcurrent(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	v := catalogNewProduct(t, svc, b, sh, "Hot item", 20).Variants[0]
	catalogReserve(t, b, v.ID, 5)

	// 40 write-offs of 1 against 15 free units (on hand 20, reserved 5) and 10
	// receipts of 1, all at once: exactly the write-offs that find a free unit
	// succeed, whatever the order.
	const writeOffs, receipts = 40, 10
	var (
		wg                sync.WaitGroup
		mu                sync.Mutex
		okWrite, refusals int
	)
	for i := range writeOffs + receipts {
		wg.Go(func() {
			delta, kind := -1, catalog.MoveWriteOff
			if i%5 == 0 {
				delta, kind = 1, catalog.MoveReceipt
			}
			_, err := svc.AdjustStock(b.ctx, catalogOwner, v.ID, delta, kind, "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && delta < 0:
				okWrite++
			case errors.Is(err, catalog.ErrStockBelowZero):
				refusals++
			case err != nil:
				t.Errorf("adjust %+d: %v", delta, err)
			}
		})
	}
	wg.Wait()

	got, err := svc.Variant(b.ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OnHand != 20+receipts-okWrite || got.Reserved != 5 || got.OnHand < got.Reserved {
		t.Errorf("on hand %d, reserved %d after %d receipts and %d write-offs", got.OnHand, got.Reserved, receipts, okWrite)
	}
	if okWrite+refusals != writeOffs || okWrite < 15 {
		t.Errorf("%d write-offs succeeded and %d were refused of %d", okWrite, refusals, writeOffs)
	}
	if n := catalogCheckLedger(t, b, v.ID); n != 2+receipts+okWrite {
		t.Errorf("ledger has %d movements, want %d", n, 2+receipts+okWrite)
	}
}

func TestCatalog_Import(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	catalogAddManager(t, svc, b, sh)
	p := catalogNewProduct(t, svc, b, sh, "Sneakers", 5, 1000_00, 1100_00)
	hat := catalogNewProduct(t, svc, b, sh, "Cap", 4).Variants[0]
	a, c := p.Variants[0], p.Variants[1]
	catalogReserve(t, b, c.ID, 3)

	file := "sku;price;stock\n" +
		a.SKU + ";1 200,00;8\n" + // price and stock
		c.SKU + ";;2\n" + // below the 3 reserved
		hat.SKU + ";;4\n" + // no change
		"NOPE;1;1\n" + // unknown SKU
		hat.SKU + "x;abc;1\n" // bad price
	rows, rejected, err := catalog.ParseStockFile(strings.NewReader(file), sh.Currency)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.PlanImport(b.ctx, catalogStranger, sh.ID, rows, rejected)
	catalogWantErr(t, err, catalog.ErrNotStaff)
	plan, err := svc.PlanImport(b.ctx, catalogManager, sh.ID, rows, rejected)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].VariantID != a.ID || plan.Changes[0].NewStock != 8 ||
		plan.Changes[0].NewPrice.Amount != 1200_00 || plan.Changes[0].Title != "Sneakers, 40" {
		t.Errorf("changes = %+v", plan.Changes)
	}
	wantRejected := map[int]error{3: catalog.ErrStockBelowZero, 5: catalog.ErrUnknownSKU, 6: core.ErrPriceFormat}
	if len(plan.Rejected) != len(wantRejected) {
		t.Errorf("rejected = %+v", plan.Rejected)
	}
	for _, r := range plan.Rejected {
		if !errors.Is(r.Err, wantRejected[r.Line]) {
			t.Errorf("line %d rejected with %v, want %v", r.Line, r.Err, wantRejected[r.Line])
		}
	}

	t.Run("Apply", func(t *testing.T) {
		done, err := svc.ApplyImport(b.ctx, catalogManager, plan)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Changes) != 1 || len(done.Rejected) != 0 {
			t.Errorf("ApplyImport() = %+v", done)
		}
		got, _ := svc.Variant(b.ctx, a.ID)
		if got.OnHand != 8 || got.Price.Amount != 1200_00 {
			t.Errorf("variant after import = %+v", got)
		}
		ms, _ := svc.Movements(b.ctx, catalogOwner, a.ID, 1)
		if len(ms) != 1 || ms[0].Kind != catalog.MoveImport || ms[0].OnHandBefore != 5 || ms[0].OnHandAfter != 8 || ms[0].ActorID != catalogManager {
			t.Errorf("import movement = %+v", ms)
		}
	})
	t.Run("SecondApplyChangesNothing", func(t *testing.T) {
		before := catalogCheckLedger(t, b, a.ID)
		done, err := svc.ApplyImport(b.ctx, catalogManager, plan)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Changes) != 0 || len(done.Rejected) != 0 {
			t.Errorf("second ApplyImport() = %+v", done)
		}
		if after := catalogCheckLedger(t, b, a.ID); after != before {
			t.Errorf("second apply wrote %d movements", after-before)
		}
	})
	t.Run("ReservedSincePlanRejectedAtApply", func(t *testing.T) {
		plan, err := svc.PlanImport(b.ctx, catalogOwner, sh.ID, []catalog.ImportRow{
			{Line: 2, SKU: hat.SKU, Stock: new(1)},
			{Line: 3, SKU: a.SKU, Stock: new(9)},
		}, nil)
		if err != nil || len(plan.Changes) != 2 {
			t.Fatalf("plan = %+v, %v", plan, err)
		}
		catalogReserve(t, b, hat.ID, 2) // a checkout between preview and confirm
		done, err := svc.ApplyImport(b.ctx, catalogOwner, plan)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Changes) != 1 || done.Changes[0].VariantID != a.ID ||
			len(done.Rejected) != 1 || done.Rejected[0].Line != 2 || !errors.Is(done.Rejected[0].Err, catalog.ErrStockBelowZero) {
			t.Errorf("ApplyImport() = %+v", done)
		}
		if got, _ := svc.Variant(b.ctx, hat.ID); got.OnHand != 4 {
			t.Errorf("a rejected row changed stock to %d", got.OnHand)
		}
		catalogCheckLedger(t, b, hat.ID)
		catalogCheckLedger(t, b, a.ID)
	})
	t.Run("StockMovedSincePlan", func(t *testing.T) {
		plan, err := svc.PlanImport(b.ctx, catalogOwner, sh.ID, []catalog.ImportRow{{Line: 2, SKU: a.SKU, Stock: new(20)}}, nil)
		if err != nil || len(plan.Changes) != 1 {
			t.Fatalf("plan = %+v, %v", plan, err)
		}
		if _, err := svc.AdjustStock(b.ctx, catalogOwner, a.ID, 1, catalog.MoveReceipt, ""); err != nil {
			t.Fatal(err)
		}
		done, err := svc.ApplyImport(b.ctx, catalogOwner, plan)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Changes) != 0 || len(done.Rejected) != 1 || !errors.Is(done.Rejected[0].Err, catalog.ErrImportStale) {
			t.Errorf("ApplyImport() = %+v", done)
		}
	})
	t.Run("PlanOfAnotherShop", func(t *testing.T) {
		other := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Other"})
		forged := plan
		forged.ShopID = other.ID
		done, err := svc.ApplyImport(b.ctx, catalogOwner, forged)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Changes) != 0 || len(done.Rejected) != 1 || !errors.Is(done.Rejected[0].Err, catalog.ErrUnknownSKU) {
			t.Errorf("a plan applied to another shop's variants: %+v", done)
		}
	})
}

func TestCatalog_ExportRoundTrip(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{Currency: core.Stars})
	p := catalogNewProduct(t, svc, b, sh, `Sticker pack "Cats", vol. 1`, 7, 150, 300)
	archived := catalogNewProduct(t, svc, b, sh, "=Old pack", 2)
	if _, err := svc.SetArchived(b.ctx, catalogOwner, archived.ID, true); err != nil {
		t.Fatal(err)
	}
	catalogReserve(t, b, p.Variants[1].ID, 2)

	_, err := svc.ExportStock(b.ctx, catalogStranger, sh.ID)
	catalogWantErr(t, err, catalog.ErrNotStaff)
	rows, err := svc.ExportStock(b.ctx, catalogOwner, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1].Reserved != 2 || rows[1].Available != 5 || rows[1].Price != (core.Money{Amount: 300, Currency: core.Stars}) {
		t.Fatalf("export = %+v", rows)
	}
	var buf bytes.Buffer
	if err := catalog.WriteStockFile(&buf, rows); err != nil {
		t.Fatal(err)
	}
	exported := buf.String()

	parsed, rejected, err := catalog.ParseStockFile(strings.NewReader(exported), sh.Currency)
	if err != nil || len(rejected) != 0 || len(parsed) != 3 {
		t.Fatalf("ParseStockFile(export) = %d rows, %+v, %v\n%s", len(parsed), rejected, err, exported)
	}
	plan, err := svc.PlanImport(b.ctx, catalogOwner, sh.ID, parsed, rejected)
	if err != nil || len(plan.Changes) != 0 || len(plan.Rejected) != 0 {
		t.Errorf("re-importing an export plans %+v, %v", plan, err)
	}

	// The seller edits one number in the file.
	edited := strings.Replace(exported, p.Variants[0].SKU+`,"Sticker pack ""Cats"", vol. 1",40,150,7,`, p.Variants[0].SKU+`,"Sticker pack ""Cats"", vol. 1",40,150,9,`, 1)
	if edited == exported {
		t.Fatalf("export is not as expected:\n%s", exported)
	}
	parsed, rejected, _ = catalog.ParseStockFile(strings.NewReader(edited), sh.Currency)
	plan, err = svc.PlanImport(b.ctx, catalogOwner, sh.ID, parsed, rejected)
	if err != nil || len(plan.Changes) != 1 || plan.Changes[0].OldStock != 7 || plan.Changes[0].NewStock != 9 {
		t.Errorf("plan after editing = %+v, %v", plan, err)
	}
}

func TestCatalog_PickupAndShipping(t *testing.T) {
	t.Parallel()
	svc, b := catalogSetup(t)
	sh := catalogNewShop(t, svc, b, catalogShopOptions{})
	catalogAddManager(t, svc, b, sh)

	pp, err := svc.AddPickupPoint(b.ctx, catalogManager, catalog.PickupPoint{ShopID: sh.ID, Name: "Центр", Address: "ул. Ленина, 1", Hours: "10–20"})
	if err != nil || pp.ID == 0 {
		t.Fatalf("AddPickupPoint() = %+v, %v", pp, err)
	}
	_, err = svc.AddPickupPoint(b.ctx, catalogOwner, catalog.PickupPoint{ShopID: sh.ID, Name: "No address"})
	catalogWantErr(t, err, catalog.ErrPickupPoint)
	_, err = svc.AddPickupPoint(b.ctx, catalogStranger, catalog.PickupPoint{ShopID: sh.ID, Name: "X", Address: "Y"})
	catalogWantErr(t, err, catalog.ErrNotStaff)

	free, err := svc.AddShippingOption(b.ctx, catalogOwner, catalog.ShippingOption{ShopID: sh.ID, Name: "Самовывоз курьером"})
	if err != nil || free.Price != (core.Money{Currency: "RUB"}) {
		t.Fatalf("free shipping = %+v, %v", free, err)
	}
	post, err := svc.AddShippingOption(b.ctx, catalogOwner, catalog.ShippingOption{ShopID: sh.ID, Name: "Почта", Price: core.Money{Amount: 350_00, Currency: "RUB"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.AddShippingOption(b.ctx, catalogOwner, catalog.ShippingOption{ShopID: sh.ID, Name: "DHL", Price: core.Money{Amount: 10, Currency: "USD"}})
	catalogWantErr(t, err, catalog.ErrWrongCurrency)

	t.Run("StarsShopCannotShip", func(t *testing.T) {
		stars := catalogNewShop(t, svc, b, catalogShopOptions{Name: "Digital", Currency: core.Stars})
		_, err := svc.AddShippingOption(b.ctx, catalogOwner, catalog.ShippingOption{ShopID: stars.ID, Name: "Courier"})
		catalogWantErr(t, err, catalog.ErrStarsShipping)
		if opts, err := svc.ShippingOptions(b.ctx, stars.ID); err != nil || len(opts) != 0 {
			t.Errorf("ShippingOptions() = %+v, %v", opts, err)
		}
	})

	opts, err := svc.ShippingOptions(b.ctx, sh.ID)
	if err != nil || len(opts) != 2 || opts[1] != post {
		t.Errorf("ShippingOptions() = %+v, %v", opts, err)
	}
	catalogWantErr(t, svc.RemoveShippingOption(b.ctx, catalogStranger, post.ID), catalog.ErrNotStaff)
	if err := svc.RemoveShippingOption(b.ctx, catalogManager, post.ID); err != nil {
		t.Fatal(err)
	}
	if opts, _ := svc.ShippingOptions(b.ctx, sh.ID); len(opts) != 1 {
		t.Errorf("after removal: %+v", opts)
	}
	if err := svc.RemovePickupPoint(b.ctx, catalogOwner, pp.ID); err != nil {
		t.Fatal(err)
	}
	if pps, _ := svc.PickupPoints(b.ctx, sh.ID); len(pps) != 0 {
		t.Errorf("after removal: %+v", pps)
	}
	catalogWantErr(t, svc.RemovePickupPoint(b.ctx, catalogOwner, 999999), catalog.ErrPickupPointNotFound)
}
