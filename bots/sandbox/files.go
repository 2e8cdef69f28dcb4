package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // photos may be GIFs
	_ "image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/mymmrac/telego"
)

const (
	kindPhoto    = "photo"
	kindDocument = "document"
)

// Telegram's file limits.
const (
	maxPhotoBytes    = 10 << 20
	maxDownloadBytes = 20 << 20
)

// storedFile is a file the sandbox holds: uploaded by the bot, sent by a user, or fetched by URL.
type storedFile struct {
	att  Attachment
	kind string
	path string
	data []byte
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// storeFileLocked keeps data as a new file with fresh file_id, file_unique_id and file_path.
func (s *Server) storeFileLocked(kind, name, mimeType string, data []byte) *storedFile {
	s.st.fileSeq++
	n := s.st.fileSeq
	prefix := "BQACAgIAAxkBAA"
	if kind == kindPhoto {
		prefix = "AgACAgIAAxkBAA"
	}
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		if exts, _ := mime.ExtensionsByType(mimeType); len(exts) > 0 {
			ext = exts[0]
		}
	}
	if kind == kindPhoto {
		ext = ".jpg" // Telegram stores photos re-encoded as JPEG; the bytes here stay as sent.
	}
	f := &storedFile{
		att: Attachment{
			FileID:       fmt.Sprintf("%s%06d%s", prefix, n, randomHex(12)),
			FileUniqueID: fmt.Sprintf("AQAD%06d", n),
			MIMEType:     mimeType,
			Size:         int64(len(data)),
		},
		kind: kind,
		path: fmt.Sprintf("%ss/file_%d%s", kind, n, ext),
		data: data,
	}
	if kind == kindDocument {
		f.att.FileName = name
	}
	s.st.files[f.att.FileID] = f
	s.st.filePaths[f.path] = f
	s.st.notifyLocked()
	return f
}

// AddPhoto stores image bytes (JPEG, PNG or GIF) as a photo, as if uploaded earlier, and returns it;
// its FileID works in sendPhoto. For seeding a demo world.
func (s *Server) AddPhoto(name string, data []byte) (Attachment, error) {
	w, h, err := imageSize(data)
	if err != nil {
		return Attachment{}, fmt.Errorf("sandbox: photo %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.storeFileLocked(kindPhoto, name, "image/"+imageFormat(data), data)
	f.att.Width, f.att.Height = w, h
	return f.att, nil
}

// AddDocument stores bytes as a document and returns it; its FileID works in sendDocument.
func (s *Server) AddDocument(name string, data []byte, mimeType string) Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeFileLocked(kindDocument, name, mimeType, data).att
}

// FileData returns a file's bytes and description by file_id; ok is false for an unknown id.
func (s *Server) FileData(fileID string) (data []byte, att Attachment, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.st.files[fileID]
	if !ok {
		return nil, Attachment{}, false
	}
	return bytes.Clone(f.data), f.att, true
}

func imageSize(data []byte) (width, height int, err error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, fmt.Errorf("not a JPEG, PNG or GIF image: %w", err)
	}
	return cfg.Width, cfg.Height, nil
}

func imageFormat(data []byte) string {
	_, format, _ := image.DecodeConfig(bytes.NewReader(data))
	return format
}

// generatedPNG draws a small picture whose colour depends on seed.
func generatedPNG(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	c := color.RGBA{R: uint8(seed * 53), G: uint8(seed * 97), B: uint8(seed * 193), A: 255}
	for y := range 48 {
		for x := range 64 {
			if (x/8+y/8)%2 == 0 {
				img.Set(x, y, c)
			} else {
				img.Set(x, y, color.White)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// mediaInput is a file parameter as the bot passed it: a file_id, an HTTP URL, or an upload.
type mediaInput struct {
	fileID string
	url    string
	name   string
	data   []byte // the upload, or what the URL served
	mime   string
}

// readMediaInput reads a file parameter. value is the parameter's text (a file_id, a URL,
// "attach://<part>", or "" when the file came as the multipart part named field).
func readMediaInput(r *request, field, value, kind string) (mediaInput, error) {
	switch {
	case value == "":
		up, ok := r.files[field]
		if !ok {
			return mediaInput{}, badRequest("there is no %s in the request", kind)
		}
		return mediaInput{name: up.filename, data: up.data, mime: up.contentType}, nil
	case strings.HasPrefix(value, "attach://"):
		up, ok := r.files[strings.TrimPrefix(value, "attach://")]
		if !ok {
			return mediaInput{}, badRequest("wrong file identifier/HTTP URL specified")
		}
		return mediaInput{name: up.filename, data: up.data, mime: up.contentType}, nil
	case strings.HasPrefix(value, "http://") || strings.HasPrefix(value, "https://"):
		return mediaInput{url: value}, nil
	default:
		return mediaInput{fileID: value}, nil
	}
}

// fetch downloads a file the bot sent by URL, as Telegram does; no lock is held.
func (s *Server) fetch(ctx context.Context, in *mediaInput) error {
	if in.url == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url, nil)
	if err != nil {
		return badRequest("wrong HTTP URL specified")
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return badRequest("failed to get HTTP URL content")
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return badRequest("failed to get HTTP URL content")
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownloadBytes+1))
	if err != nil || len(data) > maxDownloadBytes {
		return badRequest("failed to get HTTP URL content")
	}
	in.data = data
	in.mime, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if u, err := url.Parse(in.url); err == nil {
		in.name = path.Base(u.Path)
	}
	return nil
}

// resolveMediaLocked turns a fetched mediaInput into a stored file of kind.
func (s *Server) resolveMediaLocked(kind string, in mediaInput) (*storedFile, error) {
	if in.fileID != "" {
		f, ok := s.st.files[in.fileID]
		if !ok {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
		if f.kind != kind {
			return nil, badRequest("type of file mismatch")
		}
		return f, nil
	}
	if len(in.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	switch kind {
	case kindPhoto:
		if len(in.data) > maxPhotoBytes {
			return nil, badRequest("file is too big")
		}
		w, h, err := imageSize(in.data)
		if err != nil {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		if w+h > 10000 || w > 20*h || h > 20*w {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		f := s.storeFileLocked(kindPhoto, in.name, "image/"+imageFormat(in.data), in.data)
		f.att.Width, f.att.Height = w, h
		f.att.URL = in.url
		return f, nil
	default:
		name := in.name
		if name == "" || name == "." || name == "/" {
			name = "file"
		}
		mimeType := mime.TypeByExtension(strings.ToLower(path.Ext(name)))
		if mimeType == "" {
			mimeType = http.DetectContentType(in.data)
		}
		mimeType, _, _ = mime.ParseMediaType(mimeType)
		f := s.storeFileLocked(kindDocument, name, mimeType, in.data)
		f.att.URL = in.url
		return f, nil
	}
}

func sendPhoto(s *Server, r *request) (any, error) { return sendMedia(s, r, kindPhoto) }

func sendDocument(s *Server, r *request) (any, error) { return sendMedia(s, r, kindDocument) }

// sendMedia serves sendPhoto and sendDocument. It fetches a URL before taking the lock.
func sendMedia(s *Server, r *request, kind string) (any, error) {
	in, err := readMediaInput(r, kind, r.p.str(kind), kind)
	if err != nil {
		return nil, err
	}
	caption, err := formattedParam(r.p, "caption", "caption_entities", checkCaption)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.p, "reply_markup")
	if err != nil {
		return nil, err
	}
	if err := s.fetch(r.ctx, &in); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := s.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	f, err := s.resolveMediaLocked(kind, in)
	if err != nil {
		return nil, err
	}
	m := &Message{From: s.botSender(c), FromBot: true, Caption: caption.text, CaptionEntities: caption.entities,
		ParseMode: caption.parseMode, ReplyToID: replyTo}
	if kind == kindPhoto {
		m.Photo = ptr(f.att)
	} else {
		m.Document = ptr(f.att)
	}
	mk.apply(m)
	s.appendLocked(c, m)
	return s.tgMessageLocked(m, true), nil
}

// inputMedia is one InputMedia object (sendMediaGroup, editMessageMedia).
type inputMedia struct {
	Type            string                 `json:"type"`
	Media           string                 `json:"media"`
	Caption         string                 `json:"caption"`
	ParseMode       string                 `json:"parse_mode"`
	CaptionEntities []telego.MessageEntity `json:"caption_entities"`
}

// parsedMedia is an InputMedia read and fetched, ready to be stored under the lock.
type parsedMedia struct {
	kind    string
	in      mediaInput
	caption formatted
}

// readInputMedia reads and checks one InputMedia; a URL is fetched later, outside the lock.
func readInputMedia(r *request, im inputMedia) (parsedMedia, error) {
	if im.Type != kindPhoto && im.Type != kindDocument {
		return parsedMedia{}, badRequest("can't parse InputMedia: unsupported media type \"%s\"", im.Type)
	}
	if im.Media == "" {
		return parsedMedia{}, badRequest("there is no media in the request")
	}
	in, err := readMediaInput(r, "", im.Media, im.Type)
	if err != nil {
		return parsedMedia{}, err
	}
	caption, err := parseFormatted(im.Caption, im.ParseMode, im.CaptionEntities)
	if err != nil {
		return parsedMedia{}, err
	}
	if err := checkCaption(caption.text); err != nil {
		return parsedMedia{}, err
	}
	return parsedMedia{kind: im.Type, in: in, caption: caption}, nil
}

func (s *Server) fetchAll(ctx context.Context, media []parsedMedia) error {
	for i := range media {
		if err := s.fetch(ctx, &media[i].in); err != nil {
			return err
		}
	}
	return nil
}

// sendMediaGroup sends 2-10 photos or documents as an album.
func sendMediaGroup(s *Server, r *request) (any, error) {
	var items []inputMedia
	if _, err := r.p.decode("media", &items); err != nil {
		return nil, err
	}
	if len(items) < 2 || len(items) > 10 {
		return nil, badRequest("wrong number of messages in the album: must be 2-10")
	}
	media := make([]parsedMedia, len(items))
	for i, im := range items {
		pm, err := readInputMedia(r, im)
		if err != nil {
			return nil, err
		}
		if i > 0 && (pm.kind == kindDocument) != (media[0].kind == kindDocument) {
			return nil, badRequest("can't use the media of the specified type in the album")
		}
		media[i] = pm
	}
	if err := s.fetchAll(r.ctx, media); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := s.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	files := make([]*storedFile, len(media))
	for i, pm := range media {
		if files[i], err = s.resolveMediaLocked(pm.kind, pm.in); err != nil {
			return nil, err
		}
	}
	group := randomHex(8)
	out := make([]*telego.Message, len(media))
	for i, pm := range media {
		m := &Message{From: s.botSender(c), FromBot: true, Caption: pm.caption.text,
			CaptionEntities: pm.caption.entities, ParseMode: pm.caption.parseMode, MediaGroupID: group}
		if i == 0 {
			m.ReplyToID = replyTo
		}
		if pm.kind == kindPhoto {
			m.Photo = ptr(files[i].att)
		} else {
			m.Document = ptr(files[i].att)
		}
		s.appendLocked(c, m)
		out[i] = s.tgMessageLocked(m, true)
	}
	return out, nil
}

// editMessageMedia replaces a message's photo or document (or turns a text message into a media
// message), with a new caption and keyboard.
func editMessageMedia(s *Server, r *request) (any, error) {
	var im inputMedia
	ok, err := r.p.decode("media", &im)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badRequest("media is empty")
	}
	pm, err := readInputMedia(r, im)
	if err != nil {
		return nil, err
	}
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	if err := s.fetch(r.ctx, &pm.in); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if m.Invoice != nil || m.SuccessfulPayment != nil {
		return nil, badRequest("message can't be edited")
	}
	current := ""
	switch {
	case m.Photo != nil:
		current = m.Photo.FileID
	case m.Document != nil:
		current = m.Document.FileID
	}
	if pm.in.fileID != "" && pm.in.fileID == current && pm.caption.text == m.Caption &&
		sameEntities(pm.caption.entities, m.CaptionEntities) && sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	f, err := s.resolveMediaLocked(pm.kind, pm.in)
	if err != nil {
		return nil, err
	}
	m.Text, m.Entities, m.Photo, m.Document = "", nil, nil, nil
	if pm.kind == kindPhoto {
		m.Photo = ptr(f.att)
	} else {
		m.Document = ptr(f.att)
	}
	m.Caption, m.CaptionEntities, m.ParseMode, m.InlineKeyboard = pm.caption.text, pm.caption.entities, pm.caption.parseMode, kb
	return s.editedLocked(m), nil
}

func getFile(s *Server, r *request) (any, error) {
	id, err := r.p.requireString("file_id")
	if err != nil {
		return nil, err
	}
	f, ok := s.st.files[id]
	if !ok {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > maxDownloadBytes {
		return nil, badRequest("file is too big")
	}
	return telego.File{FileID: f.att.FileID, FileUniqueID: f.att.FileUniqueID, FileSize: f.att.Size,
		FilePath: f.path}, nil
}

// serveFile serves GET /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	filePath, apiErr := s.checkToken(rest)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	f, ok := s.st.filePaths[filePath]
	s.mu.Unlock()
	if !ok || r.Method != http.MethodGet {
		writeError(w, errNotFound)
		return
	}
	contentType := f.att.MIMEType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(f.data)))
	_, _ = w.Write(f.data)
}
