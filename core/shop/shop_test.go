package shop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/shop"
)

func TestAllow(t *testing.T) {
	tests := []struct {
		name       string
		have, need shop.Role
		want       error
	}{
		{"OwnerAsOwner", shop.RoleOwner, shop.RoleOwner, nil},
		{"OwnerAsManager", shop.RoleOwner, shop.RoleManager, nil},
		{"ManagerAsManager", shop.RoleManager, shop.RoleManager, nil},
		{"ManagerAsOwner", shop.RoleManager, shop.RoleOwner, shop.ErrNotOwner},
		{"NobodyAsManager", "", shop.RoleManager, shop.ErrNotStaff},
		{"NobodyAsOwner", "", shop.RoleOwner, shop.ErrNotStaff},
		{"UnknownRole", "cashier", shop.RoleManager, shop.ErrNotStaff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shop.Allow(tt.have, tt.need); got != tt.want {
				t.Errorf("Allow(%q, %q) = %v, want %v", tt.have, tt.need, got, tt.want)
			}
			if got, want := tt.have.AtLeast(tt.need), tt.want == nil; got != want {
				t.Errorf("%q.AtLeast(%q) = %v, want %v", tt.have, tt.need, got, want)
			}
		})
	}
}

// TestErrorTexts pins what people read: the bot shows these (translated by identity)
// and its tests assert on them.
func TestErrorTexts(t *testing.T) {
	tests := []struct {
		err  *core.Error
		code string
		text string
	}{
		{shop.ErrNotStaff, core.EFORBIDDEN, "only the shop's staff can do this"},
		{shop.ErrNotOwner, core.EFORBIDDEN, "only the shop's owner can do this"},
		{shop.ErrNotOperator, core.EFORBIDDEN, "only platform operators can do this"},
	}
	for _, tt := range tests {
		if tt.err.Code != tt.code || tt.err.Message != tt.text {
			t.Errorf("got %q %q, want %q %q", tt.err.Code, tt.err.Message, tt.code, tt.text)
		}
	}
}

// roles is a shop's staff for Require, as postgres.Roles would read it.
type roles map[core.UserID]shop.Role

func (r roles) Role(_ context.Context, _ core.ShopID, user core.UserID) (shop.Role, error) {
	if user == 666 {
		return "", errors.New("connection lost")
	}
	return r[user], nil
}

func TestRequire(t *testing.T) {
	ctx := context.Background()
	staff := roles{1: shop.RoleOwner, 2: shop.RoleManager}

	t.Run("Allowed", func(t *testing.T) {
		got, err := shop.Require(ctx, staff, 7, 2, shop.RoleManager)
		if err != nil || got != shop.RoleManager {
			t.Fatalf("Require = %q, %v; want manager", got, err)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		got, err := shop.Require(ctx, staff, 7, 2, shop.RoleOwner)
		if !errors.Is(err, shop.ErrNotOwner) || got != "" {
			t.Fatalf("Require = %q, %v; want ErrNotOwner", got, err)
		}
	})
	t.Run("StoreFails", func(t *testing.T) {
		_, err := shop.Require(ctx, staff, 7, 666, shop.RoleManager)
		if err == nil || core.ErrorCode(err) != core.EINTERNAL {
			t.Fatalf("Require = %v; want an internal error", err)
		}
	})
}

func TestOperators(t *testing.T) {
	ops := shop.NewOperators([]core.UserID{10, 11})
	for _, tt := range []struct {
		user core.UserID
		want error
	}{{10, nil}, {11, nil}, {12, shop.ErrNotOperator}, {0, shop.ErrNotOperator}} {
		if got := ops.Require(tt.user); got != tt.want {
			t.Errorf("Require(%d) = %v, want %v", tt.user, got, tt.want)
		}
		if got := ops.Is(tt.user); got != (tt.want == nil) {
			t.Errorf("Is(%d) = %v", tt.user, got)
		}
	}
	if (shop.Operators{}).Is(10) {
		t.Error("the zero Operators has an operator")
	}
}
