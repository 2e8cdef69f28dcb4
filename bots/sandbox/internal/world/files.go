package world

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // photos may be GIFs
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"path"
	"strings"
)

// File kinds.
const (
	KindPhoto    = "photo"
	KindDocument = "document"
)

// File is a file the sandbox holds: uploaded by the bot, sent by a user, or fetched by URL.
type File struct {
	Att  Attachment
	Kind string
	Path string // the file_path it is downloaded by
	Data []byte
}

// RandomHex returns n random bytes in hex, for ids Telegram makes up (file ids, charge ids, ...).
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// StoreFileLocked keeps data as a new file with fresh file_id, file_unique_id and file_path.
func (w *World) StoreFileLocked(kind, name, mimeType string, data []byte) *File {
	w.FileSeq++
	n := w.FileSeq
	prefix := "BQACAgIAAxkBAA"
	if kind == KindPhoto {
		prefix = "AgACAgIAAxkBAA"
	}
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		if exts, _ := mime.ExtensionsByType(mimeType); len(exts) > 0 {
			ext = exts[0]
		}
	}
	if kind == KindPhoto {
		ext = ".jpg" // Telegram stores photos re-encoded as JPEG; the bytes here stay as sent.
	}
	f := &File{
		Att: Attachment{
			FileID:       fmt.Sprintf("%s%06d%s", prefix, n, RandomHex(12)),
			FileUniqueID: fmt.Sprintf("AQAD%06d", n),
			MIMEType:     mimeType,
			Size:         int64(len(data)),
		},
		Kind: kind,
		Path: fmt.Sprintf("%ss/file_%d%s", kind, n, ext),
		Data: data,
	}
	if kind == KindDocument {
		f.Att.FileName = name
	}
	w.Files[f.Att.FileID] = f
	w.FilePaths[f.Path] = f
	w.NotifyLocked()
	return f
}

// ImageSize returns the size of a JPEG, PNG or GIF image.
func ImageSize(data []byte) (width, height int, err error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, fmt.Errorf("not a JPEG, PNG or GIF image: %w", err)
	}
	return cfg.Width, cfg.Height, nil
}

// ImageFormat returns an image's format ("jpeg", "png", "gif"); "" for bytes that are no image.
func ImageFormat(data []byte) string {
	_, format, _ := image.DecodeConfig(bytes.NewReader(data))
	return format
}
