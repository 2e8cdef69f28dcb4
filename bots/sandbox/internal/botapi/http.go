package botapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// APIError is a Bot API error answer: {"ok":false,"error_code":Code,"description":Description,...}.
type APIError struct {
	Code        int
	Description string
	// RetryAfter is parameters.retry_after in seconds (429 answers).
	RetryAfter int
	// MigrateToChatID is parameters.migrate_to_chat_id.
	MigrateToChatID int64
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %d: %s", e.Code, e.Description)
}

func badRequest(format string, args ...any) *APIError {
	return &APIError{Code: http.StatusBadRequest, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func forbidden(description string) *APIError {
	return &APIError{Code: http.StatusForbidden, Description: "Forbidden: " + description}
}

// TooManyRequests is a 429 answer asking to retry after retryAfter seconds (at least 1).
func TooManyRequests(retryAfter int) *APIError {
	if retryAfter < 1 {
		retryAfter = 1
	}
	return &APIError{
		Code:        http.StatusTooManyRequests,
		Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
		RetryAfter:  retryAfter,
	}
}

// Errors of the HTTP front: a path that is no method or file, a wrong token.
var (
	ErrNotFound     = &APIError{Code: http.StatusNotFound, Description: "Not Found"}
	ErrUnauthorized = &APIError{Code: http.StatusUnauthorized, Description: "Unauthorized"}
)

var errChatNotFound = badRequest("chat not found")

// WriteResult writes {"ok":true,"result":...} with result verbatim (encoding/json would rewrite it).
func WriteResult(w http.ResponseWriter, result json.RawMessage, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, len(result)+64)
	buf = append(buf, `{"ok":true,"result":`...)
	buf = append(buf, result...)
	if description != "" {
		d, _ := json.Marshal(description)
		buf = append(buf, `,"description":`...)
		buf = append(buf, d...)
	}
	buf = append(buf, "}\n"...)
	_, _ = w.Write(buf)
}

type errorBody struct {
	OK          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *errorParameter `json:"parameters,omitempty"`
}

type errorParameter struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

// WriteError writes an error answer, with its parameters and a Retry-After header for a 429.
func WriteError(w http.ResponseWriter, e *APIError) {
	body := errorBody{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 || e.MigrateToChatID != 0 {
		body.Parameters = &errorParameter{MigrateToChatID: e.MigrateToChatID, RetryAfter: e.RetryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// Upload is a file part of a multipart request.
type Upload struct {
	filename    string
	contentType string
	data        []byte
}

// maxRequestBytes bounds a request body: Telegram takes uploads up to 50 MB.
const maxRequestBytes = 50 << 20

// ReadParams collects a request's parameters from its query string and its body (JSON, URL-encoded
// or multipart form), as Telegram accepts all of them. On an error it returns the parameters read
// so far with the error answer.
func ReadParams(r *http.Request) (Params, map[string]Upload, *APIError) {
	p, files, err := readParams(r)
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			apiErr = badRequest("%v", err)
		}
		return p, nil, apiErr
	}
	return p, files, nil
}

func readParams(r *http.Request) (Params, map[string]Upload, error) {
	p := Params{}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			p.setString(k, vs[0])
		}
	}
	if r.Body == nil {
		return p, nil, nil
	}
	body := http.MaxBytesReader(nil, r.Body, maxRequestBytes+1<<20)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		data, err := io.ReadAll(body)
		if err != nil {
			return p, nil, tooLarge(err)
		}
		if len(strings.TrimSpace(string(data))) == 0 {
			return p, nil, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return p, nil, badRequest("can't parse JSON object")
		}
		for k, v := range obj {
			p[k] = v
		}
		return p, nil, nil
	case "application/x-www-form-urlencoded":
		r.Body = body
		if err := r.ParseForm(); err != nil {
			return p, nil, tooLarge(err)
		}
		for k, vs := range r.PostForm {
			if len(vs) > 0 {
				p.setString(k, vs[0])
			}
		}
		return p, nil, nil
	case "multipart/form-data":
		r.Body = body
		if err := r.ParseMultipartForm(maxRequestBytes); err != nil {
			return p, nil, tooLarge(err)
		}
		for k, vs := range r.MultipartForm.Value {
			if len(vs) > 0 {
				p.setString(k, vs[0])
			}
		}
		files := make(map[string]Upload)
		for k, fhs := range r.MultipartForm.File {
			if len(fhs) == 0 {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				return p, nil, err
			}
			data, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil {
				return p, nil, err
			}
			files[k] = Upload{filename: fhs[0].Filename, contentType: fhs[0].Header.Get("Content-Type"), data: data}
		}
		return p, files, nil
	default:
		return p, nil, nil
	}
}

func tooLarge(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return &APIError{Code: http.StatusRequestEntityTooLarge, Description: "Request Entity Too Large"}
	}
	return badRequest("%v", err)
}
