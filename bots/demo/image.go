package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// palette gives each product photo its own colours.
var palette = [][2]color.RGBA{
	{{0x3a, 0x7b, 0xd5, 0xff}, {0x3a, 0x60, 0x73, 0xff}},
	{{0xf7, 0x97, 0x1e, 0xff}, {0xff, 0xd2, 0x00, 0xff}},
	{{0x11, 0x99, 0x8e, 0xff}, {0x38, 0xef, 0x7d, 0xff}},
	{{0xee, 0x09, 0x79, 0xff}, {0xff, 0x6a, 0x00, 0xff}},
	{{0x8e, 0x2d, 0xe2, 0xff}, {0x4a, 0x00, 0xe0, 0xff}},
	{{0x00, 0xb4, 0xdb, 0xff}, {0x00, 0x83, 0xb0, 0xff}},
	{{0xf1, 0x27, 0x11, 0xff}, {0xf5, 0xaf, 0x19, 0xff}},
	{{0x56, 0xab, 0x2f, 0xff}, {0xa8, 0xe0, 0x63, 0xff}},
}

// productImage draws a 480×480 product "photo": a diagonal gradient with a soft
// rounded card and a pattern that differ by n. No network and no image files: the demo
// stays self-contained.
func productImage(n int) []byte {
	const size = 480
	if n < 0 {
		n = -n
	}
	c := palette[n%len(palette)]
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			t := float64(x+y) / float64(2*size)
			img.SetRGBA(x, y, color.RGBA{
				R: mix(c[0].R, c[1].R, t), G: mix(c[0].G, c[1].G, t), B: mix(c[0].B, c[1].B, t), A: 0xff,
			})
		}
	}
	// A pale card in the middle, and a pattern on it: stripes, dots or rings.
	const m, r = 90, 40
	for y := m; y < size-m; y++ {
		for x := m; x < size-m; x++ {
			if !insideRounded(x-m, y-m, size-2*m, r) {
				continue
			}
			shade := uint8(0xf4)
			switch n / len(palette) % 3 {
			case 0:
				if (x+y)/24%2 == 0 {
					shade = 0xe6
				}
			case 1:
				if dx, dy := x%40-20, y%40-20; dx*dx+dy*dy < 64 {
					shade = 0xdc
				}
			case 2:
				if dx, dy := x-size/2, y-size/2; (dx*dx+dy*dy)/900%2 == 0 {
					shade = 0xe8
				}
			}
			img.SetRGBA(x, y, color.RGBA{R: shade, G: shade, B: shade, A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory RGBA image cannot fail
	}
	return buf.Bytes()
}

func mix(a, b uint8, t float64) uint8 { return uint8(float64(a)*(1-t) + float64(b)*t) }

// insideRounded reports whether (x, y) lies in a w×w square with corners rounded by r.
func insideRounded(x, y, w, r int) bool {
	cx, cy := x, y
	switch {
	case x < r:
		cx = r
	case x > w-r:
		cx = w - r
	}
	switch {
	case y < r:
		cy = r
	case y > w-r:
		cy = w - r
	}
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r*r
}
