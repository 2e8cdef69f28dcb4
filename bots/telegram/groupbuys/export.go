package groupbuys

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
	"github.com/xuri/excelize/v2"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// The supplier's order, exported for the organizer: the units of each
// variant to order, and every participant's line (what, how much, paid or
// not, where to collect), as a CSV file and as an XLSX workbook of two
// sheets.

// verbExport sends a purchase's supplier order as files: age:<purchase>.
const verbExport = "age"

func (b *organizer) onExport(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	so, err := b.groups.SupplierOrder(ctx, r.UserID(), p.ID)
	if err != nil {
		return err
	}
	sheets, err := b.exportSheets(ctx, r.Lang, so)
	if err != nil {
		return err
	}
	csvFile, err := exportCSV(sheets)
	if err != nil {
		return err
	}
	xlsx, err := exportXLSX(sheets)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("groupbuy-%d", p.ID)
	caption := b.k.T(r.Lang, "gb_export_caption", p.Title)
	for _, f := range []struct {
		data []byte
		name string
	}{{csvFile, name + ".csv"}, {xlsx, name + ".xlsx"}} {
		if _, err := b.api.SendDocument(ctx, &telego.SendDocumentParams{
			ChatID: tu.ID(r.ChatID), Document: tu.FileFromBytes(f.data, f.name), Caption: caption, ParseMode: telego.ModeHTML,
		}); err != nil {
			return fmt.Errorf("send %s: %w", f.name, err)
		}
	}
	return b.showOrganize(ctx, r, p, "")
}

// sheet is a table of an export: a title and rows of cells, the first row
// the header. A cell is a string, an int, or money (written as a number).
type sheet struct {
	title string
	rows  [][]any
}

// exportSheets lays a supplier order out as the two tables of its export.
func (b *organizer) exportSheets(ctx context.Context, lang string, so groupbuy.SupplierOrder) ([]sheet, error) {
	p := so.Purchase
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return nil, err
	}
	names := variantNames(prod)
	skus := map[core.VariantID]string{}
	for _, v := range prod.Variants {
		skus[v.ID] = v.SKU
	}
	points, err := b.catalog.PickupPoints(ctx, p.Shop)
	if err != nil {
		return nil, err
	}
	where := map[core.PickupPointID]string{}
	for _, pp := range points {
		where[pp.ID] = pickupLabel(pp)
	}
	t := func(key string) string { return b.k.Label(lang, key) }
	totals := sheet{title: t("gb_export_totals"), rows: [][]any{{t("gb_export_variant"), t("gb_export_sku"), t("gb_export_units")}}}
	units := 0
	for _, vu := range so.Totals {
		totals.rows = append(totals.rows, []any{names[vu.Variant], skus[vu.Variant], vu.Units})
		units += vu.Units
	}
	totals.rows = append(totals.rows, []any{t("gb_export_sum"), "", units})

	lines := sheet{title: t("gb_export_lines"), rows: [][]any{{"№", t("gb_export_participant"), t("gb_export_variant"),
		t("gb_export_units"), t("gb_export_goods"), t("gb_export_fee"), t("gb_export_total"), t("gb_export_state"), t("gb_export_pickup")}}}
	for i, l := range so.Lines {
		total, err := l.Goods.Add(l.Fee)
		if err != nil {
			return nil, err
		}
		pickup := where[l.Pickup]
		if l.Pickup == 0 {
			pickup = t("gb_export_shipping")
		}
		lines.rows = append(lines.rows, []any{i + 1, b.k.UserLabel(ctx, l.Buyer), names[l.Variant], l.Quantity,
			l.Goods, l.Fee, total, t(lineState(l)), pickup})
	}
	return []sheet{totals, lines}, nil
}

// lineState is the text key of where a participant's place stands.
func lineState(l groupbuy.RosterLine) string {
	switch {
	case l.Status == groupbuy.PlaceCut:
		return "gb_export_cut"
	case l.Status == groupbuy.PlacePassed:
		return "gb_export_passed"
	case l.Status == groupbuy.PlaceReleased:
		return "gb_export_released"
	case !l.Collected.IsZero():
		return "gb_export_collected"
	}
	switch l.OrderStatus {
	case "":
		return "gb_export_joined"
	case order.StatusAwaitingPayment:
		return "gb_export_unpaid"
	case order.StatusExpired, order.StatusCancelled, order.StatusRefundPending, order.StatusRefunded:
		return "gb_export_gone"
	}
	return "gb_export_paid"
}

// exportCSV writes the sheets one after another, a blank line between. The
// separator is ";" and the file starts with a UTF-8 byte order mark: that is
// what Excel in a Russian locale opens as columns of Cyrillic text.
func exportCSV(sheets []sheet) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	for i, sh := range sheets {
		if i > 0 {
			if err := w.Write(nil); err != nil {
				return nil, err
			}
		}
		if err := w.Write([]string{sh.title}); err != nil {
			return nil, err
		}
		for _, row := range sh.rows {
			cells := make([]string, len(row))
			for j, c := range row {
				cells[j] = csvCell(c)
			}
			if err := w.Write(cells); err != nil {
				return nil, err
			}
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvCell writes a cell: money as a decimal with a comma, as a Russian
// spreadsheet reads a number.
func csvCell(c any) string {
	switch v := c.(type) {
	case core.Money:
		return commaDecimal(v)
	case int:
		return strconv.Itoa(v)
	case string:
		return v
	}
	return fmt.Sprint(c)
}

// commaDecimal is m's amount with a decimal comma: "1234,50", "150".
func commaDecimal(m core.Money) string {
	dec := []byte(m.Decimal())
	if i := bytes.IndexByte(dec, '.'); i >= 0 {
		dec[i] = ','
	}
	return string(dec)
}

// exportXLSX writes each sheet on a sheet of a workbook, money as numbers
// with two decimals (XLSX keeps every number as a double; the sums are ours,
// made in minor units, and written as cells of their own).
func exportXLSX(sheets []sheet) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	for i, sh := range sheets {
		name := sh.title
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		for r, row := range sh.rows {
			for c, v := range row {
				cell, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					return nil, err
				}
				if m, ok := v.(core.Money); ok {
					n, err := strconv.ParseFloat(m.Decimal(), 64)
					if err != nil {
						return nil, err
					}
					if err := f.SetCellFloat(name, cell, n, 2, 64); err != nil {
						return nil, err
					}
					if err := f.SetCellStyle(name, cell, cell, money); err != nil {
						return nil, err
					}
					continue
				}
				if err := f.SetCellValue(name, cell, v); err != nil {
					return nil, err
				}
			}
		}
		last, err := excelize.CoordinatesToCellName(len(sh.rows[0]), 1)
		if err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(name, "A1", last, bold); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// exportTexts are the texts of the export.
func exportTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"gb_btn_export":         {RU: "📄 Заказ поставщику (CSV, XLSX)", EN: "📄 Supplier's order (CSV, XLSX)"},
		"gb_export_caption":     {RU: "📄 «%s»: заказ поставщику — итоги по вариантам и строки участников.", EN: "📄 %s: the supplier's order, totals per variant and participants' lines."},
		"gb_export_totals":      {RU: "Итоги", EN: "Totals"},
		"gb_export_lines":       {RU: "Участники", EN: "Participants"},
		"gb_export_variant":     {RU: "Вариант", EN: "Variant"},
		"gb_export_sku":         {RU: "Артикул", EN: "SKU"},
		"gb_export_units":       {RU: "Шт.", EN: "Units"},
		"gb_export_sum":         {RU: "Всего", EN: "In all"},
		"gb_export_participant": {RU: "Участник", EN: "Participant"},
		"gb_export_goods":       {RU: "Товар", EN: "Goods"},
		"gb_export_fee":         {RU: "Сбор", EN: "Fee"},
		"gb_export_total":       {RU: "Итого", EN: "Total"},
		"gb_export_state":       {RU: "Статус", EN: "State"},
		"gb_export_pickup":      {RU: "Выдача", EN: "Collect at"},
		"gb_export_shipping":    {RU: "Доставка", EN: "Shipping"},
		"gb_export_joined":      {RU: "участвует", EN: "joined"},
		"gb_export_unpaid":      {RU: "ждёт оплаты", EN: "to pay"},
		"gb_export_paid":        {RU: "оплачено", EN: "paid"},
		"gb_export_collected":   {RU: "выдано", EN: "collected"},
		"gb_export_gone":        {RU: "не оплачено в срок", EN: "not paid in time"},
		"gb_export_released":    {RU: "свободно: для листа ожидания", EN: "free: for the waiting list"},
		"gb_export_passed":      {RU: "передано из листа ожидания", EN: "passed on from the waiting list"},
		"gb_export_cut":         {RU: "не вошло в полные ряды", EN: "cut: not in full rows"},
	}
}
