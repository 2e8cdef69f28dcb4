package throttle

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"

	ta "github.com/mymmrac/telego/telegoapi"
)

// maxChatID bounds what is read of a multipart chat_id field: a chat id has at most
// 20 characters, a channel's @username 33.
const maxChatID = 64

// targetOf reads the chat_id of a call: from a JSON body, or from the fields of a
// multipart upload ahead of its files. A chat named by @username, or none (an
// inline message's edit), is not known: such a call is not paced. The returned
// request data replaces data: reading a multipart stream consumes it, so the
// returned stream replays what was read.
func targetOf(data *ta.RequestData) (*ta.RequestData, target) {
	if data == nil {
		return data, target{}
	}
	if data.BodyRaw != nil {
		return data, jsonTarget(data.BodyRaw)
	}
	if data.BodyStream != nil && strings.HasPrefix(data.ContentType, "multipart/") {
		return multipartTarget(data)
	}
	return data, target{}
}

func jsonTarget(body []byte) target {
	var p struct {
		ChatID json.RawMessage `json:"chat_id"`
	}
	if json.Unmarshal(body, &p) != nil {
		return target{}
	}
	raw := p.ChatID
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return target{}
		}
		return parseChat(s)
	}
	return parseChat(string(raw))
}

// parseChat reads a numeric chat id. Private chats have positive ids (the user's),
// groups, supergroups and channels negative ones.
func parseChat(s string) target {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id == 0 {
		return target{}
	}
	return target{chat: id, group: id < 0, known: true}
}

// multipartTarget looks for chat_id among the form fields, which telego writes
// before the files; it stops at the first file.
func multipartTarget(data *ta.RequestData) (*ta.RequestData, target) {
	_, params, err := mime.ParseMediaType(data.ContentType)
	if err != nil || params["boundary"] == "" {
		return data, target{}
	}
	var seen bytes.Buffer
	replay := &ta.RequestData{ContentType: data.ContentType, BodyStream: io.MultiReader(&seen, data.BodyStream)}
	mr := multipart.NewReader(io.TeeReader(data.BodyStream, &seen), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil || part.FileName() != "" {
			return replay, target{}
		}
		if part.FormName() != "chat_id" {
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, maxChatID))
		if err != nil {
			return replay, target{}
		}
		return replay, parseChat(string(v))
	}
}
