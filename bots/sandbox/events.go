package sandbox

// Subscribe returns a channel of every event from now on, and a function that ends the subscription
// and closes the channel. Publishing never waits for a subscriber: one that falls behind by more
// than 256 events loses events, which the gap in Event.Seq reveals.
func (s *Server) Subscribe() (<-chan Event, func()) {
	return s.w.Subscribe()
}
