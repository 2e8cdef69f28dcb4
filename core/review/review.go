// Package review holds the rules of product reviews: who may review (a verified
// purchase), ratings, replies, reports and moderation.
package review

import "github.com/vitrina-shop/vitrina/core"

// Store is what the review service needs of storage (postgres.Reviews).
type Store interface{}

// Service is the review rules over a Store.
type Service struct {
	store Store
	clock core.Clock
}

// NewService returns a Service.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}
