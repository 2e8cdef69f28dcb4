package catalog

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
)

// maxStockFileBytes bounds a stock file read into memory; MaxImportRows rows of a
// few hundred bytes fit well within it.
const maxStockFileBytes = 4 << 20

// Errors of a whole stock file: ParseStockFile returns them and no rows.
var (
	ErrStockFile         = &core.Error{Code: core.EINVALID, Message: "the file is not a CSV table with a header row"}
	ErrStockFileEncoding = &core.Error{Code: core.EINVALID, Message: "the file is not UTF-8 text: save it as CSV UTF-8"}
	ErrStockFileTooLarge = &core.Error{Code: core.EINVALID, Message: "the file is too large: at most 10000 rows"}
	ErrNoSKUColumn       = &core.Error{Code: core.EINVALID, Message: "the file has no sku column"}
	ErrDuplicateColumn   = &core.Error{Code: core.EINVALID, Message: "a column appears twice in the header"}
)

// Reasons a row of a stock file is rejected (RowError.Err), besides ErrSKU,
// ErrQuantity, ErrStockBelowZero, ErrWrongCurrency and the price errors of
// core.ParsePrice.
var (
	ErrRowCells     = &core.Error{Code: core.EINVALID, Message: "the row has a different number of cells than the header (a price with a comma must be in quotes)"}
	ErrRowFormat    = &core.Error{Code: core.EINVALID, Message: "the row is not valid CSV (check the quotes)"}
	ErrDuplicateSKU = &core.Error{Code: core.EINVALID, Message: "this SKU appears more than once in the file"}
	ErrUnknownSKU   = &core.Error{Code: core.ENOTFOUND, Message: "no product of the shop has this SKU"}
	ErrImportStale  = &core.Error{Code: core.ECONFLICT, Message: "this row changed since the preview: export the stock and upload the file again"}
)

// stockColumn is a column of a stock file that the import reads.
type stockColumn int

const (
	colSKU stockColumn = iota
	colPrice
	colStock
)

// stockColumns maps header names, lower-cased, to the columns they name. on_hand is
// what WriteStockFile calls the stock, so an export reads back; the Russian names are
// what sellers type in their own spreadsheets.
var stockColumns = map[string]stockColumn{
	"sku": colSKU, "артикул": colSKU,
	"price": colPrice, "цена": colPrice,
	"stock": colStock, "on_hand": colStock, "quantity": colStock, "qty": colStock,
	"остаток": colStock, "количество": colStock,
}

// stockFileHeader is the header WriteStockFile writes.
var stockFileHeader = []string{"sku", "product", "variant", "price", "on_hand", "reserved", "available"}

// parseStockFile implements ParseStockFile.
func parseStockFile(r io.Reader, cur core.Currency) ([]ImportRow, []RowError, error) {
	if !cur.Valid() {
		return nil, nil, core.ErrCurrencyUnknown
	}
	data, err := io.ReadAll(io.LimitReader(r, maxStockFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read stock file: %w", err)
	}
	if len(data) > maxStockFileBytes {
		return nil, nil, ErrStockFileTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, nil, ErrStockFileEncoding
	}

	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = detectSeparator(data)
	cr.FieldsPerRecord = -1 // a short or long row is one rejected row, not a broken file
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, ErrStockFile
	}
	cols, err := stockHeader(header)
	if err != nil {
		return nil, nil, err
	}

	var (
		rows     []ImportRow
		rejected []RowError
		lines    = map[string][]int{} // lines of each SKU, to reject duplicates
	)
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if n >= MaxImportRows {
			return nil, nil, ErrStockFileTooLarge
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rejected = append(rejected, RowError{Line: pe.StartLine, Err: ErrRowFormat})
			continue
		}
		if err != nil {
			return nil, nil, ErrStockFile
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		row, err := stockRow(rec, cols, len(header), line, cur)
		if err != nil {
			rejected = append(rejected, RowError{Line: line, SKU: row.SKU, Err: err})
			continue
		}
		lines[row.SKU] = append(lines[row.SKU], line)
		rows = append(rows, row)
	}

	// Every row of a SKU that appears twice is rejected: which of them the seller
	// meant is a guess.
	kept := rows[:0]
	for _, row := range rows {
		if len(lines[row.SKU]) > 1 {
			rejected = append(rejected, RowError{Line: row.Line, SKU: row.SKU, Err: ErrDuplicateSKU})
			continue
		}
		kept = append(kept, row)
	}
	sortRowErrors(rejected)
	return kept, rejected, nil
}

// detectSeparator returns the separator of a CSV file from its first line: the one
// of ';', ',' and tab that occurs most there; ',' when none does.
func detectSeparator(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	best, bestCount := ',', 0
	for _, sep := range []rune{',', ';', '\t'} {
		if n := bytes.Count(first, []byte(string(sep))); n > bestCount {
			best, bestCount = sep, n
		}
	}
	return best
}

// stockHeader maps the columns the import reads to their index in header.
func stockHeader(header []string) (map[stockColumn]int, error) {
	cols := make(map[stockColumn]int, 3)
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		name = strings.ReplaceAll(name, " ", "_")
		c, ok := stockColumns[name]
		if !ok {
			continue
		}
		if _, dup := cols[c]; dup {
			return nil, ErrDuplicateColumn
		}
		cols[c] = i
	}
	if _, ok := cols[colSKU]; !ok {
		return nil, ErrNoSKUColumn
	}
	return cols, nil
}

// stockRow reads one record. It returns the row read so far with the error, so
// the error can name the SKU.
func stockRow(rec []string, cols map[stockColumn]int, width, line int, cur core.Currency) (ImportRow, error) {
	row := ImportRow{Line: line}
	if i := cols[colSKU]; i < len(rec) {
		row.SKU = strings.TrimSpace(rec[i])
	}
	if len(rec) != width {
		return row, ErrRowCells
	}
	if err := ValidateSKU(row.SKU); err != nil {
		return row, err
	}
	if i, ok := cols[colPrice]; ok {
		if cell := strings.TrimSpace(rec[i]); cell != "" {
			price, err := core.ParsePrice(cell, cur)
			if err != nil {
				return row, err
			}
			row.Price = &price
		}
	}
	if i, ok := cols[colStock]; ok {
		if cell := strings.TrimSpace(rec[i]); cell != "" {
			stock, err := ParseStock(cell)
			if err != nil {
				return row, err
			}
			row.Stock = &stock
		}
	}
	return row, nil
}

// blankRecord reports whether every cell of rec is empty: spreadsheets write such
// rows after the data (";;").
func blankRecord(rec []string) bool {
	for _, cell := range rec {
		if strings.TrimSpace(cell) != "" {
			return false
		}
	}
	return true
}

// sortRowErrors orders row errors by line, so the seller reads them top down.
func sortRowErrors(errs []RowError) {
	slices.SortStableFunc(errs, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
}

// writeStockFile implements WriteStockFile.
func writeStockFile(w io.Writer, rows []StockRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(stockFileHeader); err != nil {
		return fmt.Errorf("write stock file: %w", err)
	}
	for _, r := range rows {
		rec := []string{
			r.SKU,
			spreadsheetText(r.Product),
			spreadsheetText(r.Variant),
			r.Price.Decimal(),
			strconv.Itoa(r.OnHand),
			strconv.Itoa(r.Reserved),
			strconv.Itoa(r.Available),
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write stock file: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write stock file: %w", err)
	}
	return nil
}

// spreadsheetText keeps a spreadsheet from running free text as a formula (CSV
// injection): a title that starts with = + - or @ gets a leading apostrophe. Only
// the product and variant columns need it: the import ignores them, and SKUs and
// numbers cannot start a formula that reaches outside the sheet.
func spreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
