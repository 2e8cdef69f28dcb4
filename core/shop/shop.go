// Package shop answers who may act on a shop: its staff by role (the owner and
// managers), and the platform's operators. Every service asks it the same question,
// "may user U act on shop S with at least role R?", and gets the same errors, so
// the rule and the texts people see live here once.
//
// It imports only core: any context may use it without importing the catalog.
package shop

import (
	"context"
	"fmt"

	"github.com/vitrina-shop/vitrina/core"
)

// Role is a staff member's role in a shop; "" is no role (not its staff).
type Role string

const (
	RoleOwner   Role = "owner"   // everything, including staff and settings
	RoleManager Role = "manager" // products, stock, orders, reviews and broadcasts
)

// rank orders the roles: a role may do what any role of lower rank may. "" and
// unknown roles rank 0: they may do nothing.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 2
	case RoleManager:
		return 1
	}
	return 0
}

// AtLeast reports whether r may do what need may; never for "" (no role).
func (r Role) AtLeast(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// Errors the bot explains to people in their language.
var (
	ErrNotStaff    = &core.Error{Code: core.EFORBIDDEN, Message: "only the shop's staff can do this"}
	ErrNotOwner    = &core.Error{Code: core.EFORBIDDEN, Message: "only the shop's owner can do this"}
	ErrNotOperator = &core.Error{Code: core.EFORBIDDEN, Message: "only platform operators can do this"}
)

// Allow is the access rule: nil if a user whose role in a shop is have may do what
// needs need; ErrNotStaff if have is "" (or unknown), ErrNotOwner if need is
// RoleOwner and have is lower.
func Allow(have, need Role) error {
	switch {
	case have.rank() == 0:
		return ErrNotStaff
	case have.AtLeast(need):
		return nil
	case need == RoleOwner:
		return ErrNotOwner
	}
	return ErrNotStaff
}

// Roles answers a user's role in a shop. Implemented by core/postgres (one query,
// postgres.Roles), and declared by each service's store, so a service asks it in
// the same way it asks everything else.
type Roles interface {
	// Role returns user's role in shop, "" (and no error) if they are not its staff
	// or the shop does not exist.
	Role(ctx context.Context, shop core.ShopID, user core.UserID) (Role, error)
}

// Require returns user's role in shop if it is at least need: "may user act on shop
// with at least role need?". ErrNotStaff, ErrNotOwner (see Allow); an error of
// roles is returned wrapped.
func Require(ctx context.Context, roles Roles, id core.ShopID, user core.UserID, need Role) (Role, error) {
	have, err := roles.Role(ctx, id, user)
	if err != nil {
		return "", fmt.Errorf("role in shop %d: %w", id, err)
	}
	if err := Allow(have, need); err != nil {
		return "", err
	}
	return have, nil
}

// Operators are the platform's operators (VITRINA_ADMIN_IDS): they act on every shop
// for the platform (block it, moderate its reviews, settle payments nobody claims),
// never as its staff. The zero value has none.
type Operators struct{ ids map[core.UserID]bool }

// NewOperators returns the operators among ids.
func NewOperators(ids []core.UserID) Operators {
	o := Operators{ids: make(map[core.UserID]bool, len(ids))}
	for _, id := range ids {
		o.ids[id] = true
	}
	return o
}

// Is reports whether user is an operator.
func (o Operators) Is(user core.UserID) bool { return o.ids[user] }

// Require returns ErrNotOperator unless user is an operator.
func (o Operators) Require(user core.UserID) error {
	if !o.Is(user) {
		return ErrNotOperator
	}
	return nil
}
