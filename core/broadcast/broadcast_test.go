package broadcast

import (
	"errors"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

func TestCheckContent(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Content
		want error
	}{
		{"Text", Content{Text: "Sale!"}, nil},
		{"PhotoWithoutCaption", Content{Photo: "file"}, nil},
		{"Empty", Content{}, ErrEmpty},
		{"Invisible", Content{Text: " \u200b\u3164"}, ErrEmpty},
		{"LongestText", Content{Text: strings.Repeat("я", MaxText)}, nil},
		{"TextTooLong", Content{Text: strings.Repeat("я", MaxText+1)}, ErrTextTooLong},
		{"CaptionTooLong", Content{Photo: "file", Text: strings.Repeat("a", MaxCaption+1)}, ErrTextTooLong},
		{"ThreeButtons", Content{Text: "x", Products: []core.ProductID{1, 2, 3}}, nil},
		{"FourButtons", Content{Text: "x", Products: []core.ProductID{1, 2, 3, 4}}, ErrTooManyButtons},
	} {
		if err := CheckContent(tc.c); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestBroadcast_Pending(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    Broadcast
		want int
	}{
		{"Running", Broadcast{Status: StatusRunning, Total: 10, Sent: 3, Blocked: 1, Failed: 1, Skipped: 1}, 4},
		{"Finished", Broadcast{Status: StatusFinished, Total: 10, Sent: 10}, 0},
		{"Cancelled", Broadcast{Status: StatusCancelled, Total: 10, Sent: 3, Cancelled: 7}, 0},
	} {
		if got := tc.b.Pending(); got != tc.want {
			t.Errorf("%s: pending %d, want %d", tc.name, got, tc.want)
		}
	}
}
