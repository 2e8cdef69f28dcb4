// Package postgres implements the stores of Vitrina's domain on PostgreSQL; the
// stores of later features live beside it (inboxstore, livestore), sharing
// internal/store. They are the only packages with SQL and the only ones that
// import pgx.
package postgres

import (
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// The helpers every store shares live in internal/store, for the feature stores
// beside this package (livestore, ...) share them too.
type querier = store.Querier

var (
	inTx       = store.InTx
	notFound   = store.NotFound
	isCode     = store.IsCode
	insertJobs = store.InsertJobs
)

// PostgreSQL error codes we translate.
const (
	uniqueViolation     = store.UniqueViolation
	checkViolation      = store.CheckViolation
	foreignKeyViolation = store.ForeignKeyViolation
)
