package sandbox

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// AddPhoto stores image bytes (JPEG, PNG or GIF) as a photo, as if uploaded earlier, and returns it;
// its FileID works in sendPhoto. For seeding a demo world.
func (s *Server) AddPhoto(name string, data []byte) (Attachment, error) {
	w, h, err := world.ImageSize(data)
	if err != nil {
		return Attachment{}, fmt.Errorf("sandbox: photo %s: %w", name, err)
	}
	s.w.Lock()
	defer s.w.Unlock()
	f := s.w.StoreFileLocked(world.KindPhoto, name, "image/"+world.ImageFormat(data), data)
	f.Att.Width, f.Att.Height = w, h
	return f.Att, nil
}

// AddDocument stores bytes as a document and returns it; its FileID works in sendDocument.
func (s *Server) AddDocument(name string, data []byte, mimeType string) Attachment {
	s.w.Lock()
	defer s.w.Unlock()
	return s.w.StoreFileLocked(world.KindDocument, name, mimeType, data).Att
}

// FileData returns a file's bytes and description by file_id; ok is false for an unknown id.
func (s *Server) FileData(fileID string) (data []byte, att Attachment, ok bool) {
	s.w.Lock()
	defer s.w.Unlock()
	f, ok := s.w.Files[fileID]
	if !ok {
		return nil, Attachment{}, false
	}
	return bytes.Clone(f.Data), f.Att, true
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
