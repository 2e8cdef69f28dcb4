package botapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Params holds a call's parameters however they were encoded, every value as raw JSON. Query,
// URL-encoded and multipart values, which are always text, are stored as JSON strings. The getters
// accept a JSON value and a string holding it alike, as Telegram does: "chat_id": 5 and
// "chat_id": "5" are the same, and reply_markup may be an object or a string of JSON (which is how
// telego sends it in a multipart request).
type Params map[string]json.RawMessage

func (p Params) setString(key, value string) {
	b, _ := json.Marshal(value)
	p[key] = b
}

func (p Params) has(key string) bool {
	v, ok := p[key]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// Str returns key as text: a JSON string unquoted, any other JSON as written, "" when absent.
func (p Params) Str(key string) string {
	raw, ok := p[key]
	if !ok {
		return ""
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// Integer returns key as an int64; ok is false when absent; err when present but not an integer.
func (p Params) Integer(key string) (v int64, ok bool, err error) {
	if !p.has(key) {
		return 0, false, nil
	}
	text := strings.TrimSpace(p.Str(key))
	if text == "" {
		return 0, false, nil
	}
	v, perr := strconv.ParseInt(text, 10, 64)
	if perr != nil {
		return 0, true, badRequest("invalid %s specified", key)
	}
	return v, true, nil
}

// boolean returns key as a bool: true, "true", "True" and "1" are true.
func (p Params) boolean(key string) bool {
	switch strings.ToLower(strings.TrimSpace(p.Str(key))) {
	case "true", "1":
		return true
	}
	return false
}

// Decode decodes key, a JSON value or a string holding JSON, into v. ok is false when absent.
func (p Params) Decode(key string, v any) (ok bool, err error) {
	raw, present := p[key]
	if !present || !p.has(key) {
		return false, nil
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return true, badRequest("can't parse %s JSON object", key)
		}
		raw = []byte(s)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, badRequest("can't parse %s JSON object", key)
	}
	return true, nil
}

// Generic returns the parameters decoded into plain Go values, for the record of a call (Call.Params
// in package sandbox).
func (p Params) Generic() map[string]any {
	out := make(map[string]any, len(p))
	for k, raw := range p {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			out[k] = string(raw)
			continue
		}
		if s, ok := v.(string); ok {
			t := strings.TrimSpace(s)
			if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				var inner any
				if json.Unmarshal([]byte(t), &inner) == nil {
					v = inner
				}
			}
		}
		out[k] = v
	}
	return out
}

// requireString returns key or a 400 naming it when empty.
func (p Params) requireString(key string) (string, error) {
	v := p.Str(key)
	if v == "" {
		return "", badRequest("%s is empty", key)
	}
	return v, nil
}

// requireInt returns key or a 400 naming it when absent or malformed.
func (p Params) requireInt(key string) (int64, error) {
	v, ok, err := p.Integer(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, badRequest("%s is empty", key)
	}
	return v, nil
}

// optInt returns key as an int, def when absent.
func (p Params) optInt(key string, def int) (int, error) {
	v, ok, err := p.Integer(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	return int(v), nil
}
