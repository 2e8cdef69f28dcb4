package drops

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
)

// A session's report goes to its KOL and the shop's owners once it ended
// (live:report): the figures in a message, and a chart of the reservations per
// minute of each lot, drawn with gonum/plot.

// SendReport sends a session's report to its KOL and the shop's owners
// (workers/drops.Bot). Someone who cannot be written to is skipped.
func (b *Feature) SendReport(ctx context.Context, r live.Report) error {
	to := []core.UserID{r.Session.KOL}
	staff, err := b.catalog.StaffOf(ctx, r.Session.Shop)
	if err != nil {
		return err
	}
	for _, m := range staff {
		if m.Role == catalog.RoleOwner && m.UserID != r.Session.KOL {
			to = append(to, m.UserID)
		}
	}
	titles := map[core.LotID]string{}
	for _, l := range r.Lots {
		titles[l.Lot.ID] = b.variantTitle(ctx, l.Lot.Variant)
	}
	for _, u := range to {
		lang := b.userLang(ctx, u)
		err := b.k.SendText(ctx, int64(u), b.reportText(lang, r, titles), nil)
		if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
			continue
		}
		if err != nil {
			return err
		}
		if r.Reservations == 0 {
			continue
		}
		png, err := salesChart(b.k.Label(lang, "drop_chart_title", r.Session.Title), b.k.Label(lang, "drop_chart_x"),
			b.k.Label(lang, "drop_chart_y"), r, titles)
		if err != nil {
			return err
		}
		_, err = b.api.SendPhoto(ctx, &telego.SendPhotoParams{ChatID: tu.ID(int64(u)),
			Photo:   tu.File(tu.NameReader(bytes.NewReader(png), "report.png")),
			Caption: b.k.Label(lang, "drop_chart_caption")})
		if code := telegram.APIErrorCode(err); err != nil && code != 403 && code != 400 {
			return fmt.Errorf("send the report's chart: %w", err)
		}
	}
	return nil
}

// reportText writes a session's figures.
func (b *Feature) reportText(lang string, r live.Report, titles map[core.LotID]string) string {
	lines := []string{
		b.k.T(lang, "drop_report", r.Session.Title),
		b.k.T(lang, "drop_report_rsvps", r.RSVPs),
		b.k.T(lang, "drop_report_taps", r.Taps, r.Tappers, r.Buyers),
		b.k.T(lang, "drop_report_orders", r.Reservations, r.PaidOrders, r.Conversion()),
		b.k.T(lang, "drop_report_money", telegram.FormatMoney(lang, r.Revenue), telegram.FormatMoney(lang, r.Commission)),
	}
	if len(r.Lots) > 0 {
		lines = append(lines, "", b.k.T(lang, "drop_lots"))
	}
	for _, l := range r.Lots {
		sold := b.k.T(lang, "drop_report_not_sold_out")
		if l.SoldOut {
			sold = b.k.T(lang, "drop_report_sold_out", telegram.HTML(b.k.Duration(lang, l.SoldOutAfter.Round(time.Second))))
		}
		lines = append(lines, b.k.T(lang, "drop_report_lot", titles[l.Lot.ID], l.Reservations, l.Lot.Quantity, l.PaidOrders, telegram.HTML(sold)))
	}
	return strings.Join(lines, "\n")
}

// lotColors tell the lots apart on the chart.
var lotColors = []color.RGBA{
	{R: 0xe4, G: 0x57, B: 0x1f, A: 0xff}, {R: 0x2b, G: 0x7a, B: 0xd0, A: 0xff}, {R: 0x2e, G: 0xa0, B: 0x4f, A: 0xff},
	{R: 0x8e, G: 0x44, B: 0xad, A: 0xff}, {R: 0xd4, G: 0xa0, B: 0x17, A: 0xff},
}

// salesChart draws the reservations per minute of the session, a line with
// points for each lot from the minute before it started to the minute after its
// last reservation (a lot sold out within a minute is a spike, not a lone
// point), as a PNG.
func salesChart(title, xLabel, yLabel string, r live.Report, titles map[core.LotID]string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	opened := r.Session.OpenedAt
	if opened.IsZero() {
		opened = r.Session.StartsAt
	}
	last, most := 1.0, 1.0
	for i, l := range r.Lots {
		if len(l.PerMinute) == 0 {
			continue
		}
		from := math.Floor(l.Lot.StartsAt.Sub(opened).Minutes())
		pts := plotter.XYs{{X: from - 1, Y: 0}}
		for m, n := range l.PerMinute {
			pts = append(pts, plotter.XY{X: from + float64(m), Y: float64(n)})
			most = max(most, float64(n))
		}
		pts = append(pts, plotter.XY{X: from + float64(len(l.PerMinute)), Y: 0})
		last = max(last, pts[len(pts)-1].X)
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		c := lotColors[i%len(lotColors)]
		line.Color, points.Color = c, c
		line.Width = vg.Points(2)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(titles[l.Lot.ID], line, points)
	}
	p.X.Min, p.X.Max = 0, last+1
	p.Y.Min, p.Y.Max = 0, most+1
	w, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
