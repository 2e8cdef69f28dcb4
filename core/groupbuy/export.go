package groupbuy

import (
	"context"

	"github.com/vitrina-shop/vitrina/core"
)

// SupplierOrder is what an organizer orders from the supplier: the units of
// each variant, and the places they are for.
type SupplierOrder struct {
	Purchase Purchase
	// Totals are the units of each variant to order, in the purchase's
	// order of variants: the places joined, and those given up unpaid (the
	// organizer buys them for the waiting list). A place passed on is
	// counted once, as its taker's.
	Totals []VariantUnits
	// Lines are every place on record, oldest first, with their orders'
	// statuses.
	Lines []RosterLine
}

// VariantUnits is a variant's units in a supplier's order.
type VariantUnits struct {
	Variant core.VariantID
	Units   int
}

// maxExport bounds the places one export reads.
const maxExport = 100_000

// SupplierOrder returns a purchase's order for its supplier, to its
// organizer (the shop's staff).
func (s *Service) SupplierOrder(ctx context.Context, actor core.UserID, id ID) (SupplierOrder, error) {
	lines, err := s.Roster(ctx, actor, id, maxExport)
	if err != nil {
		return SupplierOrder{}, err
	}
	p, err := s.store.Purchase(ctx, id)
	if err != nil {
		return SupplierOrder{}, err
	}
	return supplierOrder(p, lines), nil
}

// supplierOrder sums the units of each variant of lines.
func supplierOrder(p Purchase, lines []RosterLine) SupplierOrder {
	units := map[core.VariantID]int{}
	for _, l := range lines {
		if l.Status == PlaceJoined || l.Status == PlaceReleased {
			units[l.Variant] += l.Quantity
		}
	}
	out := SupplierOrder{Purchase: p, Lines: lines}
	for _, v := range p.Variants {
		out.Totals = append(out.Totals, VariantUnits{Variant: v, Units: units[v]})
	}
	return out
}
