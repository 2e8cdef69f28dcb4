// Package migrations holds the SQL schema migrations of Vitrina, applied with goose.
//
// Every file is named NNNNN_name.sql and carries `-- +goose Up` and `-- +goose Down` sections.
// They are embedded in the binary so `vitrina migrate up` needs nothing but the database URL.
package migrations

import "embed"

// FS holds every *.sql file of this directory, at its root.
//
//go:embed *.sql
var FS embed.FS
