package world

import (
	"cmp"
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

// Snapshot returns the world (see above) as JSON for Restore, in this run or a later one. It takes
// the lock.
func (w *World) Snapshot() ([]byte, error) {
	w.Lock()
	snap := snapshot{
		Version: snapshotVersion, UpdateSeq: w.UpdateSeq, NextUserID: w.NextUserID,
		NextChatID: w.NextChatID, FileSeq: w.FileSeq, BotID: w.Bot.ID,
		Payments: w.Payments, StarTxns: w.StarTxns, Commands: w.Commands,
		MenuButtons: w.MenuButtons, BotTexts: w.BotTexts,
	}
	for _, u := range w.Users {
		snap.Users = append(snap.Users, snapUser{Spec: u.Spec, Started: u.Started, Blocked: u.Blocked})
	}
	for _, c := range w.Chats {
		snap.Chats = append(snap.Chats, snapChat{Info: c.Info, LastID: c.LastID, Members: c.Members, Messages: c.Messages})
	}
	files := slices.Collect(maps.Values(w.Files))
	slices.SortFunc(files, func(a, b *File) int { return cmp.Compare(fileNumber(a), fileNumber(b)) })
	budget := snapshotFileBudget
	for _, f := range files {
		if len(f.Data) > budget {
			continue
		}
		budget -= len(f.Data)
		snap.Files = append(snap.Files, snapFile{Att: f.Att, Kind: f.Kind, Path: f.Path, Data: f.Data})
	}
	for _, link := range slices.Sorted(maps.Keys(w.InvoiceLinks)) {
		snap.InvoiceLinks = append(snap.InvoiceLinks, w.InvoiceLinks[link])
	}
	slices.SortFunc(snap.Users, func(a, b snapUser) int { return cmp.Compare(a.Spec.ID, b.Spec.ID) })
	slices.SortFunc(snap.Chats, func(a, b snapChat) int { return cmp.Compare(a.Info.ID, b.Info.ID) })
	// Encoding under the lock: the messages and maps are the live ones.
	data, err := json.Marshal(snap)
	w.Unlock()
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	return data, nil
}

// fileNumber is the sequence number a stored file got (its place in upload order).
func fileNumber(f *File) int64 {
	var n int64
	_, _ = fmt.Sscanf(f.Att.FileUniqueID, "AQAD%d", &n)
	return n
}

// Restore replaces the world with a Snapshot's; it takes the lock. The webhook and subscriptions
// stay as they are; pending updates and queries are dropped. Update numbering never goes back: the
// next update id is past both the snapshot's and this world's. Restore is meant for a fresh
// world, before users act; a snapshot of another bot (another id) is refused, since its chats would
// name another bot.
func (w *World) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("sandbox: restore: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("sandbox: restore: snapshot version %d, want %d", snap.Version, snapshotVersion)
	}
	if snap.BotID != w.Bot.ID {
		return fmt.Errorf("sandbox: restore: the snapshot is of bot %d, this server is bot %d", snap.BotID, w.Bot.ID)
	}

	w.Lock()
	defer w.Unlock()
	w.Users = make(map[int64]*UserState, len(snap.Users))
	for _, u := range snap.Users {
		w.Users[u.Spec.ID] = &UserState{Spec: u.Spec, Started: u.Started, Blocked: u.Blocked}
	}
	w.Chats = make(map[int64]*ChatState, len(snap.Chats))
	for _, c := range snap.Chats {
		cs := &ChatState{Info: c.Info, LastID: c.LastID, Members: c.Members, Messages: c.Messages}
		if cs.Members == nil {
			cs.Members = make(map[int64]MemberStatus)
		}
		slices.SortFunc(cs.Messages, func(a, b *Message) int { return a.ID - b.ID })
		for _, m := range cs.Messages {
			m.ChatID = c.Info.ID
			cs.LastID = max(cs.LastID, m.ID)
		}
		w.Chats[c.Info.ID] = cs
	}
	w.Files = make(map[string]*File, len(snap.Files))
	w.FilePaths = make(map[string]*File, len(snap.Files))
	for _, f := range snap.Files {
		sf := &File{Att: f.Att, Kind: f.Kind, Path: f.Path, Data: f.Data}
		w.Files[sf.Att.FileID] = sf
		w.FilePaths[sf.Path] = sf
	}
	w.InvoiceLinks = make(map[string]*Invoice, len(snap.InvoiceLinks))
	for _, inv := range snap.InvoiceLinks {
		w.InvoiceLinks[inv.Link] = inv
	}
	w.Payments, w.StarTxns = snap.Payments, snap.StarTxns
	w.Commands = orEmpty(snap.Commands)
	w.MenuButtons = orEmpty(snap.MenuButtons)
	w.BotTexts = orEmpty(snap.BotTexts)

	w.UpdateSeq = max(w.UpdateSeq, snap.UpdateSeq)
	w.NextUserID = max(w.NextUserID, snap.NextUserID)
	w.NextChatID = max(w.NextChatID, snap.NextChatID)
	w.FileSeq = max(w.FileSeq, snap.FileSeq)
	w.Queue, w.Failed, w.Recent = nil, nil, nil
	for _, q := range w.Queries {
		q.ExpireLocked()
	}
	w.Queries = make(map[string]*Query)
	w.WakePollersLocked()
	w.NotifyLocked()
	return nil
}

func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return make(map[K]V)
	}
	return m
}
