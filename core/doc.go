// Package core holds the vocabulary every part of Vitrina shares: money, typed ids,
// the application error, the clock and the outbox job. The rules of commerce live in
// its subpackages (catalog, order); SQL lives in core/postgres.
//
// core and its domain subpackages import no transport: no Telegram, no asynq, no
// net/http, no Redis. They reach the outside through small interfaces declared where
// they are used.
package core
