// Package broadcast holds the rules of sellers' broadcasts: a message to an
// audience of a shop (its customers, the buyers of a product, its subscribers),
// its progress, cancellation and opt-outs.
package broadcast

import "github.com/vitrina-shop/vitrina/core"

// Store is what the broadcast service needs of storage (postgres.Broadcasts).
type Store interface{}

// Service is the broadcast rules over a Store.
type Service struct {
	store Store
	clock core.Clock
}

// NewService returns a Service.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}
