package groupbuy

import (
	"slices"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

// The supplier's order counts joined places and those given up (the
// organizer buys them for the waiting list), and a place passed on once.
func TestSupplierOrder(t *testing.T) {
	p := Purchase{Variants: []core.VariantID{36, 37, 38}}
	line := func(v core.VariantID, q int, st PlaceStatus) RosterLine {
		return RosterLine{Place: Place{Variant: v, Quantity: q, Status: st}}
	}
	got := supplierOrder(p, []RosterLine{
		line(36, 2, PlaceJoined), line(37, 1, PlacePassed), line(36, 1, PlaceReleased),
		line(37, 1, PlaceJoined), line(38, 3, PlaceCut), line(38, 0, PlaceCut),
	})
	want := []VariantUnits{{36, 3}, {37, 1}, {38, 0}}
	if !slices.Equal(got.Totals, want) || len(got.Lines) != 6 {
		t.Fatalf("totals %v, want %v", got.Totals, want)
	}
}
