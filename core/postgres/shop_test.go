package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// Every package-level name in this file starts with "roles": the package's other
// tests share it.

func TestRoles_Role(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	sh, other := e.shop(orderShopOpts{}), e.shop(orderShopOpts{})
	manager, stranger := e.manager(sh, 300), e.user(400)

	// Every store whose service checks staff answers with the one query.
	stores := map[string]shop.Roles{
		"Roles":      NewRoles(e.pool),
		"Catalog":    NewCatalog(e.pool),
		"Orders":     NewOrders(e.pool),
		"Reviews":    NewReviews(e.pool),
		"Broadcasts": NewBroadcasts(e.pool),
	}
	tests := []struct {
		name string
		shop core.ShopID
		user core.UserID
		want shop.Role
	}{
		{"Owner", sh.ID, sh.Owner, shop.RoleOwner},
		{"Manager", sh.ID, manager, shop.RoleManager},
		{"Stranger", sh.ID, stranger, ""},
		{"OwnerOfAnotherShop", sh.ID, other.Owner, ""},
		{"ManagerOfAnotherShop", other.ID, manager, ""},
		{"UnknownShop", other.ID + 1000, sh.Owner, ""},
		{"UnknownUser", sh.ID, 123456, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, roles := range stores {
				got, err := roles.Role(e.ctx, tt.shop, tt.user)
				if err != nil || got != tt.want {
					t.Errorf("%s.Role(%d, %d) = %q, %v; want %q", name, tt.shop, tt.user, got, err, tt.want)
				}
			}
		})
	}

	t.Run("InTransaction", func(t *testing.T) {
		// staffRole on a transaction sees the transaction's own writes (AcceptInvite
		// reads the role it has just added).
		err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(e.ctx, `INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, 'manager')`, sh.ID, stranger); err != nil {
				return err
			}
			got, err := staffRole(e.ctx, tx, sh.ID, stranger)
			if err != nil || got != shop.RoleManager {
				t.Errorf("staffRole in tx = %q, %v; want manager", got, err)
			}
			return pgx.ErrTxClosed // roll back
		})
		if !errors.Is(err, pgx.ErrTxClosed) {
			t.Fatal(err)
		}
		if got, err := NewRoles(e.pool).Role(e.ctx, sh.ID, stranger); err != nil || got != "" {
			t.Errorf("after rollback Role = %q, %v; want none", got, err)
		}
	})

	t.Run("Fails", func(t *testing.T) {
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		got, err := NewRoles(e.pool).Role(ctx, sh.ID, sh.Owner)
		if err == nil || got != "" {
			t.Fatalf("Role on a cancelled context = %q, %v; want an error", got, err)
		}
		// The service sees the store's trouble, not "not staff".
		if _, err := shop.Require(ctx, NewRoles(e.pool), sh.ID, sh.Owner, shop.RoleManager); core.ErrorCode(err) != core.EINTERNAL {
			t.Errorf("Require = %v; want an internal error", err)
		}
	})
}

// TestRoles_OneConnection runs the staff changes that check a role around a row
// lock on a pool of one connection: a role read on the pool while a transaction
// holds the connection would wait for ever (here: until the deadline).
func TestRoles_OneConnection(t *testing.T) {
	t.Parallel()
	e := reviewSetup(t)
	o := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1})
	r, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, review.Draft{Rating: 2})
	if err != nil {
		t.Fatal(err)
	}
	manager, stranger := e.manager(e.shop, 300), e.user(400)
	paid := e.paid(e.buyer, order.Item{VariantID: e.v2, Quantity: 1})

	one := e.orderWidePool(1)
	reviews := review.NewService(NewReviews(one), e.clock, nil)
	orders := order.NewService(NewOrders(one), e.clock)
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()

	if _, err := reviews.Reply(ctx, stranger, r.ID, "no"); !errors.Is(err, shop.ErrNotStaff) {
		t.Errorf("reply by a stranger: %v; want ErrNotStaff", err)
	}
	if _, err := reviews.Reply(ctx, manager, r.ID, "Sorry"); err != nil {
		t.Errorf("reply: %v", err)
	}
	if _, err := reviews.Report(ctx, manager, r.ID); err != nil {
		t.Errorf("report: %v", err)
	}
	if _, err := orders.MarkShipped(ctx, manager, paid.ID, ""); err != nil {
		t.Errorf("ship: %v", err)
	}
	if _, err := orders.Payments(ctx, manager, paid.ID); err != nil {
		t.Errorf("payments: %v", err)
	}
}
