package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// SendRawUpdate delivers body, a JSON object, as an update byte for byte: escapes such as \u0000
// and \ud800 and even invalid UTF-8 stay as they are, as Telegram may send them. Its "update_id"
// member is set to the server's next update id (put first; one in body is removed). With a webhook
// it is posted like any update (a *WebhookError when refused, Delivered called when taken); without
// one it is queued for getUpdates, whose result array carries it verbatim. Raw updates bypass
// allowed_updates. It returns the update's id.
func (s *Server) SendRawUpdate(ctx context.Context, body []byte) (updateID int, err error) {
	rest, err := withoutMember(body, "update_id")
	if err != nil {
		return 0, fmt.Errorf("sandbox: raw update: %w", err)
	}
	s.w.Lock()
	s.w.UpdateSeq++
	s.w.NotifyLocked()
	id := s.w.UpdateSeq
	out := make([]byte, 0, len(rest)+24)
	out = append(out, `{"update_id":`...)
	out = strconv.AppendInt(out, int64(id), 10)
	if inner := trimSpace(rest[1 : len(rest)-1]); len(inner) > 0 {
		out = append(out, ',')
		out = append(out, inner...)
	}
	out = append(out, '}')
	su := world.SentUpdate{ID: id, Body: out}
	s.w.RememberLocked(su)
	return id, s.resendLocked(ctx, su)
}

// withoutMember returns the JSON object obj with its top-level member key removed, every other
// byte kept. It checks only the structure it walks (strings, nesting), not UTF-8 or escapes.
func withoutMember(obj []byte, key string) ([]byte, error) {
	obj = trimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, errors.New("not a JSON object")
	}
	i := skipSpace(obj, 1)
	if obj[i] == '}' {
		if i != len(obj)-1 {
			return nil, errors.New("data after the object")
		}
		return obj, nil
	}
	type member struct{ start, end int } // start at the key, end after the value
	var members []member
	var drop []int
	for {
		start := i
		if obj[i] != '"' {
			return nil, fmt.Errorf("offset %d: want a member name", i)
		}
		end, err := skipString(obj, i)
		if err != nil {
			return nil, err
		}
		name := obj[i+1 : end-1]
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return nil, fmt.Errorf("offset %d: want ':'", i)
		}
		i = skipSpace(obj, i+1)
		if i, err = skipValue(obj, i); err != nil {
			return nil, err
		}
		if string(name) == key {
			drop = append(drop, len(members))
		}
		members = append(members, member{start, i})
		i = skipSpace(obj, i)
		if i >= len(obj) {
			return nil, errors.New("unterminated object")
		}
		if obj[i] == '}' {
			if i != len(obj)-1 {
				return nil, errors.New("data after the object")
			}
			break
		}
		if obj[i] != ',' {
			return nil, fmt.Errorf("offset %d: want ',' or '}'", i)
		}
		i = skipSpace(obj, i+1)
		if i >= len(obj) {
			return nil, errors.New("unterminated object")
		}
	}
	if len(drop) == 0 {
		return obj, nil
	}
	// Keep the members between the dropped ones, each with the bytes (commas, spaces) it came with.
	out := []byte{'{'}
	kept := 0
	for n, m := range members {
		if slices.Contains(drop, n) {
			continue
		}
		if kept > 0 {
			out = append(out, ',')
		}
		out = append(out, obj[m.start:m.end]...)
		kept++
	}
	return append(out, '}'), nil
}

// skipString returns the offset after the JSON string starting at obj[i] ('"').
func skipString(obj []byte, i int) (int, error) {
	for j := i + 1; j < len(obj); j++ {
		switch obj[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

// skipValue returns the offset after the JSON value starting at obj[i].
func skipValue(obj []byte, i int) (int, error) {
	if i >= len(obj) {
		return 0, errors.New("missing value")
	}
	switch obj[i] {
	case '"':
		return skipString(obj, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(obj); j++ {
			switch obj[j] {
			case '"':
				end, err := skipString(obj, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated value")
	}
	j := i
	for j < len(obj) && obj[j] != ',' && obj[j] != '}' && obj[j] != ']' && !isSpace(obj[j]) {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("offset %d: missing value", i)
	}
	return j, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func trimSpace(b []byte) []byte {
	i := skipSpace(b, 0)
	j := len(b)
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}
