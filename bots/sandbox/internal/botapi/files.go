package botapi

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Telegram's file limits: a photo's bytes, and what a bot may download (getFile) or have fetched
// by URL.
const (
	MaxPhotoBytes    = 10 << 20
	maxDownloadBytes = 20 << 20
)

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
func (a *API) fetch(ctx context.Context, in *mediaInput) error {
	if in.url == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url, nil)
	if err != nil {
		return badRequest("wrong HTTP URL specified")
	}
	resp, err := a.cfg.HTTPClient.Do(req)
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
func (a *API) resolveMediaLocked(kind string, in mediaInput) (*world.File, error) {
	if in.fileID != "" {
		f, ok := a.w.Files[in.fileID]
		if !ok {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
		if f.Kind != kind {
			return nil, badRequest("type of file mismatch")
		}
		return f, nil
	}
	if len(in.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	switch kind {
	case world.KindPhoto:
		if len(in.data) > MaxPhotoBytes {
			return nil, badRequest("file is too big")
		}
		w, h, err := world.ImageSize(in.data)
		if err != nil {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		if w+h > 10000 || w > 20*h || h > 20*w {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		f := a.w.StoreFileLocked(world.KindPhoto, in.name, "image/"+world.ImageFormat(in.data), in.data)
		f.Att.Width, f.Att.Height = w, h
		f.Att.URL = in.url
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
		f := a.w.StoreFileLocked(world.KindDocument, name, mimeType, in.data)
		f.Att.URL = in.url
		return f, nil
	}
}

func sendPhoto(a *API, r *request) (any, error) { return sendMedia(a, r, world.KindPhoto) }

func sendDocument(a *API, r *request) (any, error) { return sendMedia(a, r, world.KindDocument) }

// sendMedia serves sendPhoto and sendDocument. It fetches a URL before taking the lock.
func sendMedia(a *API, r *request, kind string) (any, error) {
	in, err := readMediaInput(r, kind, r.p.Str(kind), kind)
	if err != nil {
		return nil, err
	}
	caption, err := formattedParam(r.p, "caption", "caption_entities", CheckCaption)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.p, "reply_markup")
	if err != nil {
		return nil, err
	}
	if err := a.fetch(r.ctx, &in); err != nil {
		return nil, err
	}

	a.w.Lock()
	defer a.w.Unlock()
	c, err := a.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := a.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	f, err := a.resolveMediaLocked(kind, in)
	if err != nil {
		return nil, err
	}
	m := &world.Message{From: a.botSender(c), FromBot: true, Caption: caption.text, CaptionEntities: caption.entities,
		ParseMode: caption.parseMode, ReplyToID: replyTo}
	if kind == world.KindPhoto {
		m.Photo = new(f.Att)
	} else {
		m.Document = new(f.Att)
	}
	mk.apply(m)
	a.w.AppendLocked(c, m)
	return a.w.TgMessageLocked(m, true), nil
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
	if im.Type != world.KindPhoto && im.Type != world.KindDocument {
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
	if err := CheckCaption(caption.text); err != nil {
		return parsedMedia{}, err
	}
	return parsedMedia{kind: im.Type, in: in, caption: caption}, nil
}

func (a *API) fetchAll(ctx context.Context, media []parsedMedia) error {
	for i := range media {
		if err := a.fetch(ctx, &media[i].in); err != nil {
			return err
		}
	}
	return nil
}

// sendMediaGroup sends 2-10 photos or documents as an album.
func sendMediaGroup(a *API, r *request) (any, error) {
	var items []inputMedia
	if _, err := r.p.Decode("media", &items); err != nil {
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
		if i > 0 && (pm.kind == world.KindDocument) != (media[0].kind == world.KindDocument) {
			return nil, badRequest("can't use the media of the specified type in the album")
		}
		media[i] = pm
	}
	if err := a.fetchAll(r.ctx, media); err != nil {
		return nil, err
	}

	a.w.Lock()
	defer a.w.Unlock()
	c, err := a.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := a.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	files := make([]*world.File, len(media))
	for i, pm := range media {
		if files[i], err = a.resolveMediaLocked(pm.kind, pm.in); err != nil {
			return nil, err
		}
	}
	group := world.RandomHex(8)
	out := make([]*telego.Message, len(media))
	for i, pm := range media {
		m := &world.Message{From: a.botSender(c), FromBot: true, Caption: pm.caption.text,
			CaptionEntities: pm.caption.entities, ParseMode: pm.caption.parseMode, MediaGroupID: group}
		if i == 0 {
			m.ReplyToID = replyTo
		}
		if pm.kind == world.KindPhoto {
			m.Photo = new(files[i].Att)
		} else {
			m.Document = new(files[i].Att)
		}
		a.w.AppendLocked(c, m)
		out[i] = a.w.TgMessageLocked(m, true)
	}
	return out, nil
}

// editMessageMedia replaces a message's photo or document (or turns a text message into a media
// message), with a new caption and keyboard.
func editMessageMedia(a *API, r *request) (any, error) {
	var im inputMedia
	ok, err := r.p.Decode("media", &im)
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
	if err := a.fetch(r.ctx, &pm.in); err != nil {
		return nil, err
	}

	a.w.Lock()
	defer a.w.Unlock()
	c, m, err := a.editTargetLocked(r)
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
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	f, err := a.resolveMediaLocked(pm.kind, pm.in)
	if err != nil {
		return nil, err
	}
	m.Text, m.Entities, m.Photo, m.Document = "", nil, nil, nil
	if pm.kind == world.KindPhoto {
		m.Photo = new(f.Att)
	} else {
		m.Document = new(f.Att)
	}
	m.Caption, m.CaptionEntities, m.ParseMode, m.InlineKeyboard = pm.caption.text, pm.caption.entities, pm.caption.parseMode, kb
	return a.editedLocked(r, m), nil
}

func getFile(a *API, r *request) (any, error) {
	id, err := r.p.requireString("file_id")
	if err != nil {
		return nil, err
	}
	f, ok := a.w.Files[id]
	if !ok {
		return nil, badRequest("invalid file_id")
	}
	if len(f.Data) > maxDownloadBytes {
		return nil, badRequest("file is too big")
	}
	return telego.File{FileID: f.Att.FileID, FileUniqueID: f.Att.FileUniqueID, FileSize: f.Att.Size,
		FilePath: f.Path}, nil
}

// ServeFile serves GET /file/bot<token>/<filePath>, once the token was checked.
func (a *API) ServeFile(w http.ResponseWriter, r *http.Request, filePath string) {
	a.w.Lock()
	f, ok := a.w.FilePaths[filePath]
	a.w.Unlock()
	if !ok || r.Method != http.MethodGet {
		WriteError(w, ErrNotFound)
		return
	}
	contentType := f.Att.MIMEType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(f.Data)))
	_, _ = w.Write(f.Data)
}

// Photo returns the photo of an inline result a user sends: the stored file fileID, or else the
// image at photoURL, fetched and stored. It takes the lock.
func (a *API) Photo(ctx context.Context, fileID, photoURL string) (world.Attachment, error) {
	in := mediaInput{fileID: fileID}
	if in.fileID == "" {
		in.url = photoURL
		if err := a.fetch(ctx, &in); err != nil {
			return world.Attachment{}, err
		}
	}
	a.w.Lock()
	defer a.w.Unlock()
	f, err := a.resolveMediaLocked(world.KindPhoto, in)
	if err != nil {
		return world.Attachment{}, err
	}
	return f.Att, nil
}
