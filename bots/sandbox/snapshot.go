package sandbox

// Snapshot returns the server's world as JSON for Restore, in this run or a later one: the
// personas, the chats with their history, the files the messages show (up to 32 MB, oldest first),
// the payments, the bot's settings as users see them, and where the numbering of updates,
// messages, files and ids stands. Not in it: the webhook (the bot sets it again), pending updates
// and queries, recorded calls, injected faults and subscriptions.
func (s *Server) Snapshot() ([]byte, error) {
	return s.w.Snapshot()
}

// Restore replaces the server's world with a Snapshot's. The webhook, recorded calls, faults and
// subscriptions stay as they are; pending updates and queries are dropped. Update numbering never
// goes back: the next update id is past both the snapshot's and this server's. Restore is meant
// for a fresh server, before users act; a snapshot of another bot (another id) is refused, since
// its chats would name another bot.
func (s *Server) Restore(data []byte) error {
	return s.w.Restore(data)
}

// SetNextUpdateID makes the next update's id at least id, as a floor: numbering never goes back.
// A server that restarts without its snapshot can continue past the ids the bot has seen.
func (s *Server) SetNextUpdateID(id int) {
	s.w.Lock()
	defer s.w.Unlock()
	if id-1 > s.w.UpdateSeq {
		s.w.UpdateSeq = id - 1
		s.w.NotifyLocked()
	}
}

// Generation returns a number that grows with every change of the server's world (a message, a
// file, a persona, a payment, an update sent, ...), so a caller saving Snapshots can tell when
// there is something new to save.
func (s *Server) Generation() uint64 {
	s.w.Lock()
	defer s.w.Unlock()
	return s.w.GenerationLocked()
}

// NextUpdateID returns the id the next update will get.
func (s *Server) NextUpdateID() int {
	s.w.Lock()
	defer s.w.Unlock()
	return s.w.UpdateSeq + 1
}
