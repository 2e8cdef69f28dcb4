package groupbuy

import (
	"slices"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

func rub(n int64) core.Money { return core.Money{Amount: n * 100, Currency: "RUB"} }

// The example: 1-19 units 1,000 ₽, 20-49 900 ₽, 50+ 800 ₽.
var example = Tiers{{1, rub(1000)}, {20, rub(900)}, {50, rub(800)}}

func TestTiers_Check(t *testing.T) {
	t.Parallel()
	if err := example.Check(); err != nil {
		t.Fatalf("the example: %v", err)
	}
	bad := map[string]Tiers{
		"none":            {},
		"not from 1":      {{2, rub(1000)}},
		"price rises":     {{1, rub(900)}, {20, rub(1000)}},
		"same price":      {{1, rub(900)}, {20, rub(900)}},
		"units fall":      {{1, rub(1000)}, {20, rub(900)}, {10, rub(800)}},
		"same units":      {{1, rub(1000)}, {20, rub(900)}, {20, rub(800)}},
		"zero price":      {{1, rub(1000)}, {20, core.Money{Currency: "RUB"}}},
		"two currencies":  {{1, rub(1000)}, {20, core.Money{Amount: 900, Currency: core.Stars}}},
		"too many":        {{1, rub(7)}, {2, rub(6)}, {3, rub(5)}, {4, rub(4)}, {5, rub(3)}, {6, rub(2)}, {7, rub(1)}},
		"negative amount": {{1, core.Money{Amount: -1, Currency: "RUB"}}},
	}
	for name, ts := range bad {
		if err := ts.Check(); err != ErrTiers {
			t.Errorf("%s: %v, want ErrTiers", name, err)
		}
	}
}

func TestTiers_AtAndNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		units     int
		price     int64
		nextPrice int64
		more      int
	}{
		{0, 1000, 900, 20},
		{1, 1000, 900, 19},
		{19, 1000, 900, 1},
		{20, 900, 800, 30},
		{38, 900, 800, 12}, // "38 of 50: 12 more and the price drops to 800 ₽"
		{49, 900, 800, 1},
		{50, 800, 0, 0},
		{500, 800, 0, 0},
	} {
		if got := example.At(tc.units).Price; got != rub(tc.price) {
			t.Errorf("At(%d) = %v, want %d ₽", tc.units, got, tc.price)
		}
		next, more, ok := example.Next(tc.units)
		if ok != (tc.nextPrice != 0) || more != tc.more || (ok && next.Price != rub(tc.nextPrice)) {
			t.Errorf("Next(%d) = %v, %d, %v; want %d ₽ in %d", tc.units, next, more, ok, tc.nextPrice, tc.more)
		}
	}
}

func TestRows(t *testing.T) {
	t.Parallel()
	sizes := []core.VariantID{36, 37, 38, 39, 40, 41}
	for _, tc := range []struct {
		name    string
		per     map[core.VariantID]int
		full    int
		missing []core.VariantID
	}{
		{"empty", nil, 0, sizes},
		{"one row but 41", map[core.VariantID]int{36: 1, 37: 1, 38: 1, 39: 1, 40: 1}, 0, []core.VariantID{41}},
		{"one full row", map[core.VariantID]int{36: 1, 37: 1, 38: 1, 39: 1, 40: 1, 41: 1}, 1, sizes},
		{"two rows, a third begun", map[core.VariantID]int{36: 3, 37: 2, 38: 3, 39: 2, 40: 2, 41: 2}, 2, []core.VariantID{37, 39, 40, 41}},
		{"many of one size", map[core.VariantID]int{38: 9}, 0, []core.VariantID{36, 37, 39, 40, 41}},
	} {
		full, missing := Rows(sizes, tc.per)
		if full != tc.full || !slices.Equal(missing, tc.missing) {
			t.Errorf("%s: %d rows, missing %v; want %d, %v", tc.name, full, missing, tc.full, tc.missing)
		}
	}
}

func TestMinimum_Met(t *testing.T) {
	t.Parallel()
	sizes := []core.VariantID{1, 2}
	for _, tc := range []struct {
		min   Minimum
		units int
		per   map[core.VariantID]int
		want  bool
	}{
		{Minimum{MinUnits, 20}, 19, nil, false},
		{Minimum{MinUnits, 20}, 20, nil, true},
		// 19 at 1,000 ₽ is 19,000 ₽; 20 at 900 ₽ is 18,000 ₽: the sum falls at a tier.
		{Minimum{MinSum, 1_900_000}, 19, nil, true},
		{Minimum{MinSum, 1_900_000}, 20, nil, false},
		{Minimum{MinSum, 1_900_000}, 22, nil, true},
		{Minimum{MinRows, 2}, 5, map[core.VariantID]int{1: 3, 2: 1}, false},
		{Minimum{MinRows, 2}, 4, map[core.VariantID]int{1: 2, 2: 2}, true},
		{Minimum{"other", 1}, 100, nil, false},
	} {
		if got := tc.min.Met(example, sizes, Totals{Units: tc.units, PerVariant: tc.per}); got != tc.want {
			t.Errorf("%+v with %d units %v: %v, want %v", tc.min, tc.units, tc.per, got, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{100, []int64{1, 1, 1}, []int64{34, 33, 33}}, // the earlier gets the unit left
		{100, []int64{1, 2}, []int64{33, 67}},        // 33.3 and 66.7: the larger remainder
		{10, []int64{0, 0}, []int64{5, 5}},           // no weights: evenly
		{7, []int64{0, 0, 0}, []int64{3, 2, 2}},      // evenly, the rest to the first
		{0, []int64{5, 5}, []int64{0, 0}},            // nothing to split
		{1, []int64{3, 5, 2}, []int64{0, 1, 0}},      // 0.3, 0.5, 0.2
		{1_000_000_007, []int64{1, 1}, []int64{500_000_004, 500_000_003}},
		{9_000_000_000_000, []int64{9_000_000_000_000, 1}, []int64{8_999_999_999_999, 1}}, // past int64 in the product
		{5, nil, []int64{}},
	} {
		got := Split(tc.total, tc.weights)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Split(%d, %v) = %v, want %v", tc.total, tc.weights, got, tc.want)
		}
		var sum int64
		for _, p := range got {
			sum += p
		}
		if len(tc.weights) > 0 && sum != tc.total {
			t.Errorf("Split(%d, %v) adds up to %d", tc.total, tc.weights, sum)
		}
	}
}

func TestBill(t *testing.T) {
	t.Parallel()
	// Three participants at the final 800 ₽: 1, 2 and 4 units; a 15 % fee and
	// 500 ₽ of shipping, split in proportion to the goods.
	shares := Bill(rub(800), 1500, rub(500), []int{1, 2, 4})
	want := []Share{
		{Goods: rub(800), Fee: rub(120), Shipping: core.Money{Amount: 7143, Currency: "RUB"}},
		{Goods: rub(1600), Fee: rub(240), Shipping: core.Money{Amount: 14286, Currency: "RUB"}},
		{Goods: rub(3200), Fee: rub(480), Shipping: core.Money{Amount: 28571, Currency: "RUB"}},
	}
	if !slices.Equal(shares, want) {
		t.Fatalf("Bill = %+v\nwant %+v", shares, want)
	}
	var total int64
	for _, s := range shares {
		total += s.Total().Amount
	}
	if total != rub(5600+840+500).Amount {
		t.Errorf("the shares add up to %d, want the goods, the fee and the shipping exactly", total)
	}

	// A fee that does not divide: 12.5 % of 3 × 333 ⭐ = 124.875 ⭐, 125 ⭐ in all,
	// split 42/42/41.
	stars := Bill(core.Money{Amount: 333, Currency: core.Stars}, 1250, core.Money{Currency: core.Stars}, []int{1, 1, 1})
	if got := []int64{stars[0].Fee.Amount, stars[1].Fee.Amount, stars[2].Fee.Amount}; !slices.Equal(got, []int64{42, 42, 41}) {
		t.Errorf("the fee split %v, want [42 42 41]", got)
	}
}

func TestFeeOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount int64
		bp     int
		want   int64
	}{
		{100_000, 1500, 15_000},
		{999, 1500, 150}, // 149.85
		{1, 5000, 1},     // 0.5 rounds up
		{1, 4999, 0},
		{0, 1500, 0},
		{123_456, 0, 0},
	} {
		if got := FeeOf(tc.amount, tc.bp); got != tc.want {
			t.Errorf("FeeOf(%d, %d) = %d, want %d", tc.amount, tc.bp, got, tc.want)
		}
	}
}

func TestCutToRows(t *testing.T) {
	t.Parallel()
	sizes := []core.VariantID{37, 38, 39}
	places := []Place{
		{ID: 1, Variant: 37, Quantity: 2},
		{ID: 2, Variant: 38, Quantity: 1},
		{ID: 3, Variant: 39, Quantity: 1},
		{ID: 4, Variant: 37, Quantity: 1},
		{ID: 5, Variant: 38, Quantity: 2},
	}
	// Rows: 37 has 3, 38 has 3, 39 has 1: one full row. The earliest places keep.
	got := CutToRows(sizes, places)
	want := []struct{ qty, cut int }{{1, 1}, {1, 0}, {1, 0}, {0, 1}, {0, 2}}
	for i, w := range want {
		if got[i].Quantity != w.qty || got[i].Cut != w.cut {
			t.Errorf("place %d: %d kept, %d cut; want %d, %d", got[i].ID, got[i].Quantity, got[i].Cut, w.qty, w.cut)
		}
	}
	if places[0].Quantity != 2 {
		t.Error("CutToRows changed its argument")
	}
}
