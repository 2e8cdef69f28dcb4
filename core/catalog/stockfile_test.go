package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
)

// stockRowString renders a parsed row compactly for comparisons: "2:A:1250:7",
// with "-" for a value left unchanged.
func stockRowString(r ImportRow) string {
	price, stock := "-", "-"
	if r.Price != nil {
		price = fmt.Sprint(r.Price.Amount)
	}
	if r.Stock != nil {
		stock = fmt.Sprint(*r.Stock)
	}
	return fmt.Sprintf("%d:%s:%s:%s", r.Line, r.SKU, price, stock)
}

func TestParseStockFile(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		rows     []string
		rejected map[int]error // line -> reason
	}{
		{
			name: "Comma",
			file: "sku,price,stock\nA,12.50,7\nB,3,0\n",
			rows: []string{"2:A:1250:7", "3:B:300:0"},
		},
		{
			name: "SemicolonAnyOrderAnyCase",
			file: "Stock;SKU;Price\r\n7;A;12,50\r\n;B;1 250 ₽\r\n",
			rows: []string{"2:A:1250:7", "3:B:125000:-"},
		},
		{
			name: "Tab",
			file: "sku\tstock\nA\t3\n",
			rows: []string{"2:A:-:3"},
		},
		{
			name: "BOMAndRussianHeader",
			file: "\uFEFFАртикул;Цена;Остаток\nA;100;1\n",
			rows: []string{"2:A:10000:1"},
		},
		{
			name: "QuotedCommaPrice",
			file: "sku,price\nA,\"12,50\"\n",
			rows: []string{"2:A:1250:-"},
		},
		{
			name: "EmptyCellsUnchangedAndBlankRowsSkipped",
			file: "sku;price;stock\nA;;\n;;\n\nB;5;\n",
			rows: []string{"2:A:-:-", "5:B:500:-"},
		},
		{
			name:     "RowErrors",
			file:     "sku,price,stock\nA,abc,1\nB,1,-2\nC,0,1\nD,1,1.5\n,1,1\nE F,1,1\nG,1\nH,1,2,3\nI,1.999,1\nJ,$5,1\n",
			rejected: map[int]error{2: core.ErrPriceFormat, 3: ErrQuantity, 4: core.ErrPriceZero, 5: ErrQuantity, 6: ErrSKU, 7: ErrSKU, 8: ErrRowCells, 9: ErrRowCells, 10: core.ErrPriceTooPrecise, 11: core.ErrCurrencyMismatch},
		},
		{
			name:     "UnquotedCommaPriceShiftsCells",
			file:     "sku,price,stock\nA,12,50,7\n",
			rejected: map[int]error{2: ErrRowCells},
		},
		{
			name:     "DuplicateSKURejectsEveryRow",
			file:     "sku,stock\nA,1\nB,2\nA,3\n",
			rows:     []string{"3:B:-:2"},
			rejected: map[int]error{2: ErrDuplicateSKU, 4: ErrDuplicateSKU},
		},
		{
			name:     "BrokenQuotesRejectTheRowOnly",
			file:     "sku,stock\nA\"x,1\nB,2\n",
			rows:     []string{"3:B:-:2"},
			rejected: map[int]error{2: ErrRowFormat},
		},
		{
			name: "ExtraColumnsIgnored",
			file: "sku,product,variant,price,on_hand,reserved,available\nA,Sneakers,41,12.50,7,2,5\n",
			rows: []string{"2:A:1250:7"},
		},
		{
			name: "MultilineQuotedCellKeepsLineNumbers",
			file: "sku,note,stock\nA,\"two\nlines\",1\nB,x,2\n",
			rows: []string{"2:A:-:1", "4:B:-:2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rejected, err := ParseStockFile(strings.NewReader(tt.file), "RUB")
			if err != nil {
				t.Fatalf("ParseStockFile() error = %v", err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, stockRowString(r))
			}
			if strings.Join(got, " ") != strings.Join(tt.rows, " ") {
				t.Errorf("rows = %v, want %v", got, tt.rows)
			}
			if len(rejected) != len(tt.rejected) {
				t.Errorf("rejected = %+v, want %v", rejected, tt.rejected)
			}
			for i, r := range rejected {
				if i > 0 && rejected[i-1].Line > r.Line {
					t.Errorf("rejected rows are not in line order: %+v", rejected)
				}
				if want, ok := tt.rejected[r.Line]; !ok || !errors.Is(r.Err, want) {
					t.Errorf("line %d rejected with %v, want %v", r.Line, r.Err, want)
				}
				if core.ErrorCode(r.Err) != core.EINVALID {
					t.Errorf("line %d: reason %v is not an application error the bot can show", r.Line, r.Err)
				}
			}
		})
	}
}

func TestParseStockFile_WholeFileErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want error
	}{
		{"Empty", "", ErrStockFile},
		{"NoSKUColumn", "price,stock\n1,2\n", ErrNoSKUColumn},
		{"DuplicateColumn", "sku,stock,on_hand\nA,1,2\n", ErrDuplicateColumn},
		{"NotUTF8", "sku,stock\n\xcf\xf0\xe8\xe2\xe5\xf2,1\n", ErrStockFileEncoding},
		{"TooManyRows", "sku,stock\n" + strings.Repeat("A,1\n", MaxImportRows+1), ErrStockFileTooLarge},
		{"TooManyBytes", "sku,stock\n" + strings.Repeat("x", maxStockFileBytes), ErrStockFileTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rejected, err := ParseStockFile(strings.NewReader(tt.file), "RUB")
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseStockFile() error = %v, want %v", err, tt.want)
			}
			if rows != nil || rejected != nil {
				t.Errorf("a failed file returned rows %v and rejections %v", rows, rejected)
			}
		})
	}
	if _, _, err := ParseStockFile(strings.NewReader("sku\n"), "ZZZ"); !errors.Is(err, core.ErrCurrencyUnknown) {
		t.Errorf("unknown currency: error = %v", err)
	}
}

func TestWriteStockFile_RoundTrip(t *testing.T) {
	for _, cur := range []core.Currency{"RUB", core.Stars, "JPY"} {
		t.Run(string(cur), func(t *testing.T) {
			in := []StockRow{
				{SKU: "A-1", Product: `Sneakers "Air", white`, Variant: "41", Price: core.Money{Amount: 1250, Currency: cur}, OnHand: 7, Reserved: 2, Available: 5},
				{SKU: "P42-1", Product: "=HYPERLINK(\"x\")", Variant: "", Price: core.Money{Amount: 1, Currency: cur}, OnHand: 0},
				{SKU: "кеды.1", Product: "Кеды\nновые", Variant: "-red", Price: core.Money{Amount: core.MaxAmount, Currency: cur}, OnHand: MaxStock, Reserved: MaxStock},
			}
			var buf bytes.Buffer
			if err := WriteStockFile(&buf, in); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(buf.String(), "sku,product,variant,price,on_hand,reserved,available\n") {
				t.Errorf("header: %q", buf.String())
			}
			if strings.Contains(buf.String(), ",=HYPERLINK") || strings.Contains(buf.String(), "\"=HYPERLINK") {
				t.Errorf("a formula reached the file: %q", buf.String())
			}
			rows, rejected, err := ParseStockFile(&buf, cur)
			if err != nil || len(rejected) != 0 {
				t.Fatalf("ParseStockFile() = %v, %+v", err, rejected)
			}
			if len(rows) != len(in) {
				t.Fatalf("read %d rows, want %d", len(rows), len(in))
			}
			for i, r := range rows {
				if r.SKU != in[i].SKU || r.Price == nil || *r.Price != in[i].Price || r.Stock == nil || *r.Stock != in[i].OnHand {
					t.Errorf("row %d = %s, want %+v", i, stockRowString(r), in[i])
				}
			}
		})
	}
}

// FuzzParseStockFile feeds arbitrary files to the parser: it must not panic, and
// every row it accepts must be one an import can apply.
func FuzzParseStockFile(f *testing.F) {
	seeds := []string{
		"sku,price,stock\nA,12.50,7\n",
		"Stock;SKU;Price\r\n7;A;12,50\r\n;B;1 250 ₽\r\n",
		"\uFEFFартикул\tцена\tостаток\nA\t1\t2\n",
		"sku,price\nA,\"12,50\"\nA,1\n",
		"sku,stock\nA\"x,1\nB,2\n\"C,3",
		"sku,product,variant,price,on_hand,reserved,available\nA,\"x\ny\",41,12.50,7,2,5\n",
		"sku\n\n\n,,,\n",
		"price\n1\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		rows, rejected, err := ParseStockFile(strings.NewReader(file), "RUB")
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID || rows != nil || rejected != nil {
				t.Fatalf("whole-file error %v with rows %v, rejections %v", err, rows, rejected)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Line < 2 {
				t.Errorf("row %s: line before the data", stockRowString(r))
			}
			if err := ValidateSKU(r.SKU); err != nil {
				t.Errorf("row %s: invalid SKU accepted", stockRowString(r))
			}
			if seen[r.SKU] {
				t.Errorf("SKU %q accepted twice", r.SKU)
			}
			seen[r.SKU] = true
			if r.Price != nil && (r.Price.Currency != "RUB" || r.Price.Amount <= 0 || r.Price.Amount > core.MaxAmount) {
				t.Errorf("row %s: invalid price %v accepted", stockRowString(r), *r.Price)
			}
			if r.Stock != nil && (*r.Stock < 0 || *r.Stock > MaxStock) {
				t.Errorf("row %s: invalid stock accepted", stockRowString(r))
			}
		}
		for _, r := range rejected {
			if r.Err == nil || r.Line < 1 {
				t.Errorf("rejection without a reason or line: %+v", r)
			}
			if core.ErrorCode(r.Err) != core.EINVALID {
				t.Errorf("line %d: reason %v is not an application error", r.Line, r.Err)
			}
		}
	})
}
