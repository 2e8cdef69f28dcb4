package live

import (
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

var t0 = time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)

func openLot(remaining, perBuyer int) Lot {
	return Lot{
		ID: 7, Price: core.Money{Amount: 990, Currency: core.Stars}, Quantity: 10, Remaining: remaining,
		PerBuyer: perBuyer, Hold: 5 * time.Minute, Status: LotOpen, StartsAt: t0, EndsAt: t0.Add(5 * time.Minute),
	}
}

func outcomes(p TapPlan) []TapOutcome {
	var out []TapOutcome
	for _, r := range p.Results {
		out = append(out, r.Outcome)
	}
	return out
}

func TestPlanTaps(t *testing.T) {
	tests := []struct {
		name          string
		lot           Lot
		held          map[core.UserID]int
		strikes       map[core.UserID]int
		known         map[string]Claim
		taps          []Tap
		at            time.Time
		want          []TapOutcome
		wantRemaining int
	}{
		{
			name: "FirstComeUntilSoldOut",
			lot:  openLot(2, 1),
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}, {Lot: 7, Buyer: 2, ID: "b"}, {Lot: 7, Buyer: 3, ID: "c"}},
			at:   t0.Add(time.Second),
			want: []TapOutcome{TapClaimed, TapClaimed, TapSoldOut}, wantRemaining: 0,
		},
		{
			name: "PerBuyerLimitCountsWhatIsHeld",
			lot:  openLot(5, 2),
			held: map[core.UserID]int{1: 1},
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}, {Lot: 7, Buyer: 1, ID: "b"}, {Lot: 7, Buyer: 2, ID: "c"}},
			at:   t0,
			want: []TapOutcome{TapClaimed, TapOverLimit, TapClaimed}, wantRemaining: 3,
		},
		{
			name:  "RedeliveredTapGetsItsClaim",
			lot:   openLot(0, 1),
			held:  map[core.UserID]int{1: 1},
			known: map[string]Claim{"a": {Lot: 7, Buyer: 1, Tap: "a", Status: ClaimHeld}},
			taps:  []Tap{{Lot: 7, Buyer: 1, ID: "a"}},
			at:    t0.Add(10 * time.Minute), // even after the end
			want:  []TapOutcome{TapClaimed}, wantRemaining: 0,
		},
		{
			name: "SameTapTwiceInABatch",
			lot:  openLot(5, 3),
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}, {Lot: 7, Buyer: 1, ID: "a"}},
			at:   t0,
			want: []TapOutcome{TapClaimed, TapClaimed}, wantRemaining: 4,
		},
		{
			name: "EndedAtItsEndTime",
			lot:  openLot(5, 1),
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}},
			at:   t0.Add(5 * time.Minute),
			want: []TapOutcome{TapEnded}, wantRemaining: 5,
		},
		{
			name: "Cancelled",
			lot:  func() Lot { l := openLot(5, 1); l.Status = LotCancelled; return l }(),
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}},
			at:   t0,
			want: []TapOutcome{TapEnded}, wantRemaining: 5,
		},
		{
			name:    "StruckAfterTwoUnpaid",
			lot:     openLot(5, 3),
			strikes: map[core.UserID]int{1: 2, 2: 1},
			taps:    []Tap{{Lot: 7, Buyer: 1, ID: "a"}, {Lot: 7, Buyer: 2, ID: "b"}},
			at:      t0,
			want:    []TapOutcome{TapStruck, TapClaimed}, wantRemaining: 4,
		},
		{
			name: "PausedWithoutTheChannel",
			lot:  func() Lot { l := openLot(5, 1); l.Paused = true; return l }(),
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}},
			at:   t0,
			want: []TapOutcome{TapPaused}, wantRemaining: 5,
		},
		{
			name: "BeforeItsStart",
			lot:  openLot(5, 1),
			taps: []Tap{{Lot: 7, Buyer: 1, ID: "a"}},
			at:   t0.Add(-time.Second),
			want: []TapOutcome{TapNotStarted}, wantRemaining: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanTaps(tt.lot, Standing{Held: tt.held, Known: tt.known, Strikes: tt.strikes}, tt.taps, tt.at)
			got := outcomes(p)
			if len(got) != len(tt.want) {
				t.Fatalf("outcomes %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("outcomes %v, want %v", got, tt.want)
				}
			}
			if p.Remaining != tt.wantRemaining {
				t.Errorf("remaining %d, want %d", p.Remaining, tt.wantRemaining)
			}
			claimed := 0
			for _, r := range p.Results {
				if r.Remaining != p.Remaining {
					t.Errorf("a result says %d left, the plan %d", r.Remaining, p.Remaining)
				}
				if r.Outcome == TapClaimed && r.Claim.Tap == "" {
					t.Errorf("a claimed tap without its claim: %+v", r)
				}
			}
			for _, c := range p.New {
				claimed++
				if !c.HeldUntil.Equal(tt.at.Add(tt.lot.Hold)) {
					t.Errorf("claim held until %v, want %v", c.HeldUntil, tt.at.Add(tt.lot.Hold))
				}
			}
			if claimed != tt.lot.Remaining-p.Remaining {
				t.Errorf("%d new claims for %d units taken", claimed, tt.lot.Remaining-p.Remaining)
			}
		})
	}
}

func TestPlanLot(t *testing.T) {
	live := Session{ID: 1, Status: SessionLive, Currency: core.Stars}
	alloc := Allocation{Session: 1, Variant: 5, Price: core.Money{Amount: 500, Currency: core.Stars}, Quantity: 20, PerBuyer: 2, Dropped: 15}
	t.Run("DefaultsFromTheAllocation", func(t *testing.T) {
		l, err := PlanLot(live, alloc, Drop{Session: 1, Variant: 5}, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if l.Quantity != 5 || l.Remaining != 5 || l.PerBuyer != 2 || l.Price.Amount != 500 || !l.EndsAt.Equal(t0.Add(DefaultLotDuration)) {
			t.Errorf("lot %+v", l)
		}
	})
	t.Run("PerBuyerAtMostTheQuantity", func(t *testing.T) {
		l, err := PlanLot(live, alloc, Drop{Quantity: 1, PerBuyer: 2}, time.Minute, t0)
		if err != nil || l.PerBuyer != 1 {
			t.Errorf("lot %+v, %v", l, err)
		}
	})
	refusals := []struct {
		name string
		sess Session
		drop Drop
		want error
	}{
		{"MoreThanIsLeft", live, Drop{Quantity: 6}, ErrOverAllocation},
		{"NotLive", Session{Status: SessionScheduled, Currency: core.Stars}, Drop{}, ErrSessionState},
		{"TooShort", live, Drop{Duration: 30 * time.Second}, ErrLotDuration},
		{"TooLong", live, Drop{Duration: 3 * time.Hour}, ErrLotDuration},
		{"OtherCurrency", live, Drop{Price: core.Money{Amount: 100, Currency: "RUB"}}, core.ErrCurrencyMismatch},
		{"OverTheSellersLimit", live, Drop{PerBuyer: 3}, ErrAllocation},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			if _, err := PlanLot(r.sess, alloc, r.drop, time.Minute, t0); err != r.want {
				t.Errorf("err %v, want %v", err, r.want)
			}
		})
	}
}

func TestCommissionOf(t *testing.T) {
	c := Commission(1250) // 12.5 %
	if got := c.Of(core.Money{Amount: 99_999, Currency: "RUB"}); got.Amount != 12_499 {
		t.Errorf("12.5%% of 999.99 = %d, want 12499 (rounded down)", got.Amount)
	}
}

func TestPlanTaps_Draw(t *testing.T) {
	lot := openLot(2, 1)
	lot.Mode, lot.DrawUntil = Draw, t0.Add(DrawWindow)
	taps := []Tap{{Lot: 7, Buyer: 1, ID: "a"}, {Lot: 7, Buyer: 1, ID: "b"}, {Lot: 7, Buyer: 2, ID: "c"}}
	p := PlanTaps(lot, Standing{}, taps, t0.Add(time.Second))
	if got := outcomes(p); got[0] != TapEntered || got[1] != TapEntered || got[2] != TapEntered {
		t.Errorf("taps in the window: %v", got)
	}
	if len(p.Entries) != 2 || len(p.New) != 0 || p.Remaining != 2 {
		t.Errorf("entries %v, claims %v, %d left: want one entry per buyer and nothing reserved", p.Entries, p.New, p.Remaining)
	}
	if got := outcomes(PlanTaps(lot, Standing{}, taps[:1], lot.DrawUntil)); got[0] != TapDrawPending {
		t.Errorf("a tap after the window, before the draw: %v", got)
	}
	lot.Drawn = true
	if got := outcomes(PlanTaps(lot, Standing{}, taps[:1], lot.DrawUntil)); got[0] != TapClaimed {
		t.Errorf("a tap after the draw, units left: %v", got)
	}
}

func TestDrawWinners(t *testing.T) {
	reverse := func(n int, swap func(i, j int)) {
		for i := 0; i < n/2; i++ {
			swap(i, n-1-i)
		}
	}
	winners, rest := DrawWinners([]core.UserID{1, 2, 3, 4}, 2, reverse)
	if len(winners) != 2 || winners[0] != 4 || winners[1] != 3 || len(rest) != 2 || rest[0] != 2 {
		t.Errorf("winners %v, rest %v", winners, rest)
	}
	if w, r := DrawWinners([]core.UserID{1}, 3, reverse); len(w) != 1 || len(r) != 0 {
		t.Errorf("fewer entrants than units: %v, %v", w, r)
	}
}
