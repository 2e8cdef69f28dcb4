package groupbuy

import (
	"math/big"
	"slices"

	"github.com/vitrina-shop/vitrina/core"
)

// The arithmetic of a group buy, in one place: which tier a purchase is at,
// how far the next one is, whether its minimum is met, how many full size rows
// it has, and what each participant pays. Amounts are minor units; every split
// of a sum among participants adds up to the sum exactly.

// Tier is a price for everyone once the purchase has From units or more.
type Tier struct {
	From  int        // units, at least 1
	Price core.Money // per unit
}

// Tiers are a purchase's tiers, lowest From first, prices falling.
type Tiers []Tier

// Check reports whether tiers make a price list: at least one, the first from
// 1 unit, From rising and the price falling strictly, one currency, every price
// above zero. ErrTiers otherwise.
func (ts Tiers) Check() error {
	if len(ts) == 0 || len(ts) > MaxTiers || ts[0].From != 1 {
		return ErrTiers
	}
	for i, t := range ts {
		if t.Price.Amount <= 0 || t.Price.Amount > core.MaxAmount || t.Price.Currency != ts[0].Price.Currency {
			return ErrTiers
		}
		if i > 0 && (t.From <= ts[i-1].From || t.Price.Amount >= ts[i-1].Price.Amount) {
			return ErrTiers
		}
	}
	return nil
}

// MaxTiers bounds a price list: a card shows them all.
const MaxTiers = 6

// At returns the tier for units in the purchase: the one with the greatest
// From not above units (the first for fewer than its From).
func (ts Tiers) At(units int) Tier {
	at := ts[0]
	for _, t := range ts[1:] {
		if units >= t.From {
			at = t
		}
	}
	return at
}

// Next returns the tier after the one units is at, and how many more units
// reach it; ok is false at the last tier.
func (ts Tiers) Next(units int) (next Tier, more int, ok bool) {
	for _, t := range ts[1:] {
		if t.From > units {
			return t, t.From - units, true
		}
	}
	return Tier{}, 0, false
}

// MinimumKind is what a purchase's minimum counts.
type MinimumKind string

const (
	MinUnits MinimumKind = "units" // units joined, all variants together
	MinSum   MinimumKind = "sum"   // their worth at the current tier, in minor units
	MinRows  MinimumKind = "rows"  // full size rows: one of every variant
)

// Minimum is what a purchase needs to go ahead.
type Minimum struct {
	Kind  MinimumKind
	Value int64 // units, minor units, or rows
}

// Totals are what a purchase has gathered.
type Totals struct {
	Units int
	// PerVariant is the units joined of each variant (size).
	PerVariant map[core.VariantID]int
}

// Rows returns how many full rows variants make of the units joined (a row is
// one of every variant: the least count), and which variants the open row
// still lacks, in variants' order.
func Rows(variants []core.VariantID, per map[core.VariantID]int) (full int, missing []core.VariantID) {
	if len(variants) == 0 {
		return 0, nil
	}
	full = per[variants[0]]
	for _, v := range variants[1:] {
		full = min(full, per[v])
	}
	for _, v := range variants {
		if per[v] == full {
			missing = append(missing, v)
		}
	}
	return full, missing
}

// CutToRows trims places (in the order they joined) to what fills the full
// rows of variants: each variant goes ahead with as many units as there are
// full rows, the earliest places first; a later place keeps what is left of
// its variant's, or nothing. It returns the places with Quantity trimmed and
// Cut the units taken off.
func CutToRows(variants []core.VariantID, places []Place) []Place {
	per := map[core.VariantID]int{}
	for _, pl := range places {
		per[pl.Variant] += pl.Quantity
	}
	full, _ := Rows(variants, per)
	room := map[core.VariantID]int{}
	for _, v := range variants {
		room[v] = full
	}
	out := make([]Place, len(places))
	for i, pl := range places {
		keep := min(pl.Quantity, room[pl.Variant])
		room[pl.Variant] -= keep
		pl.Cut += pl.Quantity - keep
		pl.Quantity = keep
		out[i] = pl
	}
	return out
}

// Met reports whether totals meet the minimum at the tiers' price; variants
// are the purchase's, for rows.
func (m Minimum) Met(tiers Tiers, variants []core.VariantID, t Totals) bool {
	switch m.Kind {
	case MinUnits:
		return int64(t.Units) >= m.Value
	case MinSum:
		return tiers.At(t.Units).Price.Amount*int64(t.Units) >= m.Value
	case MinRows:
		full, _ := Rows(variants, t.PerVariant)
		return int64(full) >= m.Value
	}
	return false
}

// Share is what one participant pays: their goods at the final price, their
// part of the organizer's fee and of the shipping.
type Share struct {
	Goods    core.Money
	Fee      core.Money
	Shipping core.Money
}

// Total is what the share's invoice asks.
func (s Share) Total() core.Money {
	return core.Money{Amount: s.Goods.Amount + s.Fee.Amount + s.Shipping.Amount, Currency: s.Goods.Currency}
}

// Bill splits a purchase among its participants, who took quantities of it at
// price: each pays price × quantity for the goods; the organizer's fee (feeBP
// basis points of all the goods, rounded half up) and the shipping are split in
// proportion to the goods (Split). The shares add up exactly to the goods, the
// fee and the shipping.
func Bill(price core.Money, feeBP int, shipping core.Money, quantities []int) []Share {
	goods := make([]int64, len(quantities))
	var all int64
	for i, q := range quantities {
		goods[i] = price.Amount * int64(q)
		all += goods[i]
	}
	fee := Split(FeeOf(all, feeBP), goods)
	ship := Split(shipping.Amount, goods)
	out := make([]Share, len(quantities))
	for i := range quantities {
		out[i] = Share{
			Goods:    core.Money{Amount: goods[i], Currency: price.Currency},
			Fee:      core.Money{Amount: fee[i], Currency: price.Currency},
			Shipping: core.Money{Amount: ship[i], Currency: price.Currency},
		}
	}
	return out
}

// PrepaidShare is a pay-to-join place's final share: its quantity at the
// final price, or at the price it joined at when that is lower (a place is
// never asked for more than it paid to join: the tier may rise again when
// others leave, or when STOP cuts to full rows), and the fee on it rounded
// for the place alone (FeeOf), as it was when it paid. A place whose price
// did not change so owes exactly what it paid; the purchase's total is the
// sum of these shares.
func PrepaidShare(final, joined core.Money, feeBP, quantity int) Share {
	price := final
	if joined.Amount > 0 && joined.Amount < final.Amount {
		price = joined
	}
	goods := price.Amount * int64(quantity)
	return Share{Goods: core.Money{Amount: goods, Currency: final.Currency},
		Fee: core.Money{Amount: FeeOf(goods, feeBP), Currency: final.Currency}}
}

// FeeOf is feeBP basis points of amount, rounded half up.
func FeeOf(amount int64, feeBP int) int64 {
	return (amount*int64(feeBP) + 5_000) / 10_000
}

// Split divides total in proportion to weights by the largest remainder: each
// gets the floor of its exact part, and the units left over go one each to the
// largest remainders, the earlier weight first among equal ones. The parts add
// up to total exactly; all weights zero split it evenly the same way.
func Split(total int64, weights []int64) []int64 {
	parts := make([]int64, len(weights))
	if len(weights) == 0 || total == 0 {
		return parts
	}
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum == 0 {
		weights = slices.Repeat([]int64{1}, len(weights))
		sum = int64(len(weights))
	}
	type rest struct {
		i   int
		rem *big.Int
	}
	rests := make([]rest, len(weights))
	var given int64
	for i, w := range weights {
		// total × w can pass int64 for big sums: exact in big integers.
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(total), big.NewInt(w)), big.NewInt(sum), new(big.Int))
		parts[i] = q.Int64()
		given += parts[i]
		rests[i] = rest{i, r}
	}
	slices.SortStableFunc(rests, func(a, b rest) int { return -a.rem.Cmp(b.rem) })
	for k := int64(0); k < total-given; k++ {
		parts[rests[k].i]++
	}
	return parts
}

// Shares in proportion, as Split, of a shipping cost the organizer enters after
// the goods arrive, to the participants' goods.
func ShippingShares(shipping core.Money, goods []core.Money) []core.Money {
	w := make([]int64, len(goods))
	for i, g := range goods {
		w[i] = g.Amount
	}
	parts := Split(shipping.Amount, w)
	out := make([]core.Money, len(parts))
	for i, p := range parts {
		out[i] = core.Money{Amount: p, Currency: shipping.Currency}
	}
	return out
}
