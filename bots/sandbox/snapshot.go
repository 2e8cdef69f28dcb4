package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/mymmrac/telego"
)

// A snapshot is what a second run of the demo needs to look like the same world: the personas,
// the chats with their history, the files the messages show, the payments, the bot's settings as
// users see them, and where the numbering of updates, messages, files and ids stands. Not in it:
// the webhook (the bot sets it again), pending updates and queries, recorded calls, injected
// faults and subscriptions.

// snapshotVersion is the format of a snapshot; Restore refuses others.
const snapshotVersion = 1

// snapshotFileBudget bounds the bytes of files a snapshot keeps, so that a demo where someone
// uploads large photos does not save tens of megabytes every few seconds. Files are kept oldest
// first (the seeded product photos come first); a message whose file did not fit still shows its
// caption, and the demo's seeding puts back missing product photos.
const snapshotFileBudget = 32 << 20

type snapshot struct {
	Version    int        `json:"version"`
	UpdateSeq  int        `json:"update_seq"`
	NextUserID int64      `json:"next_user_id"`
	NextChatID int64      `json:"next_chat_id"`
	FileSeq    int        `json:"file_seq"`
	BotID      int64      `json:"bot_id"`
	Users      []snapUser `json:"users"`
	Chats      []snapChat `json:"chats"`
	Files      []snapFile `json:"files"`

	InvoiceLinks []*Invoice                     `json:"invoice_links,omitempty"`
	Payments     []*Payment                     `json:"payments,omitempty"`
	StarTxns     []telego.StarTransaction       `json:"star_transactions,omitempty"`
	Commands     map[string][]telego.BotCommand `json:"commands,omitempty"`
	MenuButtons  map[int64]json.RawMessage      `json:"menu_buttons,omitempty"`
	BotTexts     map[string]string              `json:"bot_texts,omitempty"`
}

type snapUser struct {
	Spec    UserSpec `json:"spec"`
	Started bool     `json:"started,omitempty"`
	Blocked bool     `json:"blocked,omitempty"`
}

type snapChat struct {
	Info     ChatInfo               `json:"info"`
	LastID   int                    `json:"last_id"`
	Members  map[int64]MemberStatus `json:"members,omitempty"`
	Messages []*Message             `json:"messages,omitempty"`
}

type snapFile struct {
	Att  Attachment `json:"att"`
	Kind string     `json:"kind"`
	Path string     `json:"path"`
	Data []byte     `json:"data"`
}

// Snapshot returns the server's world (see above) as JSON for Restore, in this run or a later one.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	snap := snapshot{
		Version: snapshotVersion, UpdateSeq: s.st.updateSeq, NextUserID: s.st.nextUserID,
		NextChatID: s.st.nextChatID, FileSeq: s.st.fileSeq, BotID: s.cfg.BotID,
		Payments: s.st.payments, StarTxns: s.st.starTxns, Commands: s.st.commands,
		MenuButtons: s.st.menuButtons, BotTexts: s.st.botTexts,
	}
	for _, u := range s.st.users {
		snap.Users = append(snap.Users, snapUser{Spec: u.spec, Started: u.started, Blocked: u.blocked})
	}
	for _, c := range s.st.chats {
		snap.Chats = append(snap.Chats, snapChat{Info: c.info, LastID: c.lastID, Members: c.members, Messages: c.messages})
	}
	files := slices.Collect(maps.Values(s.st.files))
	slices.SortFunc(files, func(a, b *storedFile) int { return cmpInt64(fileNumber(a), fileNumber(b)) })
	budget := snapshotFileBudget
	for _, f := range files {
		if len(f.data) > budget {
			continue
		}
		budget -= len(f.data)
		snap.Files = append(snap.Files, snapFile{Att: f.att, Kind: f.kind, Path: f.path, Data: f.data})
	}
	for _, link := range slices.Sorted(maps.Keys(s.st.invoiceLinks)) {
		snap.InvoiceLinks = append(snap.InvoiceLinks, s.st.invoiceLinks[link])
	}
	slices.SortFunc(snap.Users, func(a, b snapUser) int { return cmpInt64(a.Spec.ID, b.Spec.ID) })
	slices.SortFunc(snap.Chats, func(a, b snapChat) int { return cmpInt64(a.Info.ID, b.Info.ID) })
	// Encoding under the lock: the messages and maps are the live ones.
	data, err := json.Marshal(snap)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	return data, nil
}

// fileNumber is the sequence number a stored file got (its place in upload order).
func fileNumber(f *storedFile) int64 {
	var n int64
	_, _ = fmt.Sscanf(f.att.FileUniqueID, "AQAD%d", &n)
	return n
}

// Restore replaces the server's world with a Snapshot's. The webhook, recorded calls, faults and
// subscriptions stay as they are; pending updates and queries are dropped. Update numbering never
// goes back: the next update id is past both the snapshot's and this server's. Restore is meant
// for a fresh server, before users act; a snapshot of another bot (another id) is refused, since
// its chats would name another bot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("sandbox: restore: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("sandbox: restore: snapshot version %d, want %d", snap.Version, snapshotVersion)
	}
	if snap.BotID != s.cfg.BotID {
		return fmt.Errorf("sandbox: restore: the snapshot is of bot %d, this server is bot %d", snap.BotID, s.cfg.BotID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	st.users = make(map[int64]*userState, len(snap.Users))
	for _, u := range snap.Users {
		st.users[u.Spec.ID] = &userState{spec: u.Spec, started: u.Started, blocked: u.Blocked}
	}
	st.chats = make(map[int64]*chatState, len(snap.Chats))
	for _, c := range snap.Chats {
		cs := &chatState{info: c.Info, lastID: c.LastID, members: c.Members, messages: c.Messages}
		if cs.members == nil {
			cs.members = make(map[int64]MemberStatus)
		}
		slices.SortFunc(cs.messages, func(a, b *Message) int { return a.ID - b.ID })
		for _, m := range cs.messages {
			m.ChatID = c.Info.ID
			cs.lastID = max(cs.lastID, m.ID)
		}
		st.chats[c.Info.ID] = cs
	}
	st.files = make(map[string]*storedFile, len(snap.Files))
	st.filePaths = make(map[string]*storedFile, len(snap.Files))
	for _, f := range snap.Files {
		sf := &storedFile{att: f.Att, kind: f.Kind, path: f.Path, data: f.Data}
		st.files[sf.att.FileID] = sf
		st.filePaths[sf.path] = sf
	}
	st.invoiceLinks = make(map[string]*Invoice, len(snap.InvoiceLinks))
	for _, inv := range snap.InvoiceLinks {
		st.invoiceLinks[inv.Link] = inv
	}
	st.payments, st.starTxns = snap.Payments, snap.StarTxns
	st.commands = orEmpty(snap.Commands)
	st.menuButtons = orEmpty(snap.MenuButtons)
	st.botTexts = orEmpty(snap.BotTexts)

	st.updateSeq = max(st.updateSeq, snap.UpdateSeq)
	st.nextUserID = max(st.nextUserID, snap.NextUserID)
	st.nextChatID = max(st.nextChatID, snap.NextChatID)
	st.fileSeq = max(st.fileSeq, snap.FileSeq)
	st.queue, st.failed, st.recent = nil, nil, nil
	for _, q := range st.queries {
		q.expireLocked()
	}
	st.queries = make(map[string]*pendingQuery)
	st.wakePollers()
	st.notifyLocked()
	return nil
}

func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return make(map[K]V)
	}
	return m
}

// SetNextUpdateID makes the next update's id at least id, as a floor: numbering never goes back.
// A server that restarts without its snapshot can continue past the ids the bot has seen.
func (s *Server) SetNextUpdateID(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id-1 > s.st.updateSeq {
		s.st.updateSeq = id - 1
		s.st.notifyLocked()
	}
}

// Generation returns a number that grows with every change of the server's world (a message, a
// file, a persona, a payment, an update sent, ...), so a caller saving Snapshots can tell when
// there is something new to save.
func (s *Server) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.generation
}

// NextUpdateID returns the id the next update will get.
func (s *Server) NextUpdateID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.updateSeq + 1
}
