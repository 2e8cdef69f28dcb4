package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Stock in the admin menu: adjusting one variant with a reason (a movement in the
// ledger each time), its last movements, and bulk import and export of a CSV file.

// Codes of the adjustment reasons in callback data.
const (
	stockKindReceipt    = "r"
	stockKindCorrection = "c"
	stockKindWriteOff   = "w"
)

var stockKinds = map[string]catalog.MovementKind{
	stockKindReceipt:    catalog.MoveReceipt,
	stockKindCorrection: catalog.MoveCorrection,
	stockKindWriteOff:   catalog.MoveWriteOff,
}

// Steps of the stock conversations.
const (
	stepStockAmount   = "k.amount"
	stepImportFile    = "i.file"
	stepImportConfirm = "i.confirm"
)

// stockDialog is an adjustment being entered.
type stockDialog struct {
	VariantID core.VariantID `json:"variant_id"`
	Kind      string         `json:"kind"` // a stock kind code
	Title     string         `json:"title"`
}

// onAdminAdjust asks how the stock of a variant changes: avk:<variant>:<kind code>.
func (b *Feature) onAdminAdjust(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, kind, err := telegram.IDAndCode(d, stockKindReceipt, stockKindCorrection, stockKindWriteOff)
	if err != nil {
		return err
	}
	v, p, _, err := b.staffVariant(ctx, r, core.VariantID(id))
	if err != nil {
		return err
	}
	data := stockDialog{VariantID: v.ID, Kind: kind, Title: telegram.ItemTitle(p.Title, v.Name)}
	if err := b.k.StartDialog(ctx, r, telegram.DialogStock, stepStockAmount, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.stockPrompt(r.Lang, data, v.OnHand))
}

func (b *Feature) stockPrompt(lang string, data stockDialog, onHand int) telegram.View {
	return b.AskView(lang, "adm_ask_adjust_"+string(stockKinds[data.Kind]), data.Title, onHand)
}

// stockStep reads "+5", "-2" or a new count, with an optional note after it, and
// adjusts the stock.
func (b *Feature) stockStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data stockDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	v, _, _, err := b.staffVariant(ctx, r, data.VariantID)
	if err != nil {
		if telegram.UserFacing(err) {
			if derr := b.k.EndDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	again := func(why string) error { return b.k.Reprompt(ctx, r, why, b.stockPrompt(r.Lang, data, v.OnHand)) }
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "adm_want_adjust"))
	}
	change, err := parseStockChange(in.Text)
	if err != nil {
		return again(b.k.T(r.Lang, "adm_adjust_format"))
	}
	delta := change.Delta
	if change.Set {
		delta = change.Count - v.OnHand
	}
	if delta == 0 {
		return again(b.k.T(r.Lang, "adm_adjust_nothing", v.OnHand))
	}
	kind := stockKinds[data.Kind]
	after, err := b.catalog.AdjustStock(ctx, r.UserID(), v.ID, delta, kind, change.Note)
	if telegram.UserFacing(err) && !errors.Is(err, catalog.ErrNotStaff) {
		return again(b.k.ErrorText(r.Lang, err))
	}
	if err != nil {
		return err
	}
	notice := b.k.T(r.Lang, "adm_adjusted", b.k.T(r.Lang, "adm_kind_"+string(kind)), v.OnHand, after.OnHand)
	return b.k.FinishDialog(ctx, r, telegram.DialogStock, notice, telegram.Screen(verbAdminVariant, v.ID))
}

// stockChange is a typed stock adjustment.
type stockChange struct {
	Delta int  // +5, -2
	Set   bool // the count was given without a sign: the new on-hand stock
	Count int
	Note  string
}

var errStockChange = errors.New("not a stock change")

// parseStockChange reads "+5", "-2", "−2" or "12" (the new count), optionally
// followed by a note: "+5 from the supplier". Signed numbers are 1 to
// catalog.MaxStock, counts 0 to catalog.MaxStock.
func parseStockChange(s string) (stockChange, error) {
	s = strings.TrimSpace(s)
	num, note, _ := strings.Cut(s, " ")
	if i := strings.IndexAny(num, "\n\t"); i >= 0 {
		num, note = num[:i], num[i+1:]+" "+note
	}
	var c stockChange
	sign := 0
	switch {
	case strings.HasPrefix(num, "+"):
		sign, num = 1, num[1:]
	case strings.HasPrefix(num, "-"):
		sign, num = -1, num[1:]
	case strings.HasPrefix(num, "−"):
		sign, num = -1, strings.TrimPrefix(num, "−")
	}
	if num == "" || len(num) > 7 {
		return stockChange{}, errStockChange
	}
	n := 0
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return stockChange{}, errStockChange
		}
		n = n*10 + int(num[i]-'0')
	}
	if n > catalog.MaxStock || sign != 0 && n == 0 {
		return stockChange{}, errStockChange
	}
	if sign == 0 {
		c.Set, c.Count = true, n
	} else {
		c.Delta = sign * n
	}
	c.Note = strings.TrimSpace(note)
	return c, nil
}

// movementsShown is how many movements the ledger screen shows.
const movementsShown = 10

func (b *Feature) onAdminMovements(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
	if err != nil {
		return err
	}
	v, p, _, err := b.staffVariant(ctx, r, core.VariantID(id))
	if err != nil {
		return err
	}
	ms, err := b.catalog.Movements(ctx, r.UserID(), v.ID, movementsShown)
	if err != nil {
		return err
	}
	lang := r.Lang
	lines := []string{b.k.T(lang, "adm_movements", telegram.ItemTitle(p.Title, v.Name), v.SKU)}
	if len(ms) == 0 {
		lines = append(lines, b.k.T(lang, "adm_movements_empty"))
	}
	names := map[core.UserID]string{}
	for _, m := range ms {
		line := b.k.T(lang, "adm_movement", m.CreatedAt.UTC().Format("02.01 15:04"),
			b.k.T(lang, "adm_kind_"+string(m.Kind)), m.OnHandBefore, m.OnHandAfter)
		if m.ReservedBefore != m.ReservedAfter {
			line += b.k.T(lang, "adm_movement_reserved", m.ReservedBefore, m.ReservedAfter)
		}
		if m.OrderID != 0 {
			line += b.k.T(lang, "adm_movement_order", m.OrderID)
		}
		if m.ActorID != 0 {
			name, ok := names[m.ActorID]
			if !ok {
				name = b.k.UserLabel(ctx, m.ActorID)
				names[m.ActorID] = name
			}
			line += b.k.T(lang, "adm_movement_by", name)
		}
		if m.Note != "" {
			line += b.k.T(lang, "adm_movement_note", m.Note)
		}
		lines = append(lines, line)
	}
	lines = append(lines, "", b.k.T(lang, "adm_movements_times"))
	k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "btn_back"), verbAdminVariant, v.ID))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

func (b *Feature) onAdminStock(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	k := &telegram.Keyboard{}
	k.Row(
		telegram.Button(b.k.Label(r.Lang, "adm_btn_export"), verbAdminExport, shop.ID),
		telegram.Button(b.k.Label(r.Lang, "adm_btn_import"), verbAdminImport, shop.ID),
	)
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "adm_stock_menu", shop.Name), Keyboard: k.Markup()})
}

// onAdminExport sends the shop's stock as a CSV document, which reads back as an
// import.
func (b *Feature) onAdminExport(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	rows, err := b.catalog.ExportStock(ctx, r.UserID(), shop.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.WriteStockFile(&buf, rows); err != nil {
		return fmt.Errorf("write stock file: %w", err)
	}
	name := fmt.Sprintf("stock-%d-%s.csv", shop.ID, b.clock.Now().UTC().Format("20060102-1504"))
	_, err = b.api.SendDocument(ctx, &telego.SendDocumentParams{
		ChatID:    tu.ID(r.ChatID),
		Document:  tu.FileFromBytes(buf.Bytes(), name),
		Caption:   b.k.T(r.Lang, "adm_export_caption", shop.Name, b.k.Count(r.Lang, "adm_n_variants", len(rows))),
		ParseMode: telego.ModeHTML,
	})
	if err != nil {
		return fmt.Errorf("send stock file: %w", err)
	}
	r.Answer(b.k.Label(r.Lang, "adm_exported"))
	return nil
}

// importDialog is an import waiting for its file or for the seller's confirmation.
type importDialog struct {
	ShopID core.ShopID `json:"shop_id"`
	// Nonce names the preview whose Apply button may apply Changes: a newer file
	// makes a new preview, and the older button no longer applies anything.
	Nonce   string                 `json:"nonce,omitempty"`
	Changes []catalog.ImportChange `json:"changes,omitempty"`
}

// onAdminImport waits for a stock file: asi:<shop>.
func (b *Feature) onAdminImport(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	if err := b.k.StartDialog(ctx, r, telegram.DialogImport, stepImportFile, importDialog{ShopID: shop.ID}); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.importPrompt(r.Lang))
}

func (b *Feature) importPrompt(lang string) telegram.View {
	return b.AskView(lang, "adm_ask_import_file")
}

// importStep takes a stock file (in either step: a new file replaces the preview)
// or the cancel button of a preview.
func (b *Feature) importStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data importDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	switch {
	case in.Doc != nil:
		return b.previewImport(ctx, r, st, data, in.Doc)
	case in.Button == telegram.ButtonCancel:
		if err := b.k.EndDialog(ctx, r); err != nil {
			return err
		}
		k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_stock_back"), verbAdminStock, data.ShopID))
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "adm_import_cancelled"), Keyboard: k.Markup()})
	}
	prompt := b.importPrompt(r.Lang)
	if st.Step == stepImportConfirm {
		prompt = b.AskView(r.Lang, "adm_import_waiting")
	}
	return b.k.Reprompt(ctx, r, b.k.WrongInput(r.Lang, in, "adm_want_file"), prompt)
}

// maxStockFileBytes bounds a downloaded stock file; ParseStockFile refuses larger.
const maxStockFileBytes = 4 << 20

// previewImport downloads and reads a stock file, plans the import and shows the
// preview with an Apply button.
func (b *Feature) previewImport(ctx context.Context, r *telegram.Request, st dialog.State, data importDialog, doc *telego.Document) error {
	shop, _, err := b.k.StaffShop(ctx, r, data.ShopID)
	if err != nil {
		return err
	}
	again := func(why string) error { return b.k.Reprompt(ctx, r, why, b.importPrompt(r.Lang)) }
	name := strings.ToLower(doc.FileName)
	if strings.HasSuffix(name, ".xlsx") || strings.HasSuffix(name, ".xls") || strings.Contains(doc.MimeType, "spreadsheetml") {
		return again(b.k.T(r.Lang, "adm_import_xlsx"))
	}
	if doc.FileSize > maxStockFileBytes {
		return again(b.k.T(r.Lang, "err_stock_file_too_large"))
	}
	raw, err := b.downloadFile(ctx, doc.FileID, maxStockFileBytes)
	if errors.Is(err, catalog.ErrStockFileTooLarge) {
		return again(b.k.T(r.Lang, "err_stock_file_too_large"))
	}
	if err != nil {
		return err
	}
	rows, rejected, err := catalog.ParseStockFile(bytes.NewReader(raw), shop.Currency)
	if err != nil {
		if telegram.UserFacing(err) {
			return again(b.k.ErrorText(r.Lang, err))
		}
		return err
	}
	plan, err := b.catalog.PlanImport(ctx, r.UserID(), shop.ID, rows, rejected)
	if err != nil {
		return err
	}
	data.Nonce, data.Changes = telegram.NewNonce(), plan.Changes
	if err := b.k.PutStep(ctx, r, st, stepImportConfirm, data); err != nil {
		return err
	}
	lang := r.Lang
	text := b.k.T(lang, "adm_import_preview", shop.Name, len(plan.Changes), len(plan.Rejected)) + "\n" +
		b.importLines(lang, plan)
	k := &telegram.Keyboard{}
	if len(plan.Changes) > 0 {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_apply_import", len(plan.Changes)), verbAdminImportConfirm, shop.ID, data.Nonce))
		text += "\n\n" + b.k.T(lang, "adm_import_confirm")
	} else {
		text += "\n\n" + b.k.T(lang, "adm_import_nothing")
	}
	k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_discard"), stepImportConfirm, telegram.ButtonCancel))
	_, err = b.k.SendView(ctx, r.ChatID, telegram.StampSteps(r, telegram.View{Text: text, Keyboard: k.Markup()}))
	return err
}

// Limits of an import's preview and report, so they fit one message.
const (
	importChangesShown  = 25
	importRejectedShown = 15
)

// importLines lists a plan's changes and rejected rows, as HTML.
func (b *Feature) importLines(lang string, plan catalog.ImportPlan) string {
	var lines []string
	for i, c := range plan.Changes {
		if i == importChangesShown {
			lines = append(lines, b.k.T(lang, "adm_import_more", len(plan.Changes)-i))
			break
		}
		var parts []string
		if c.OldPrice != c.NewPrice {
			parts = append(parts, b.k.T(lang, "adm_import_price", telegram.FormatMoney(lang, c.OldPrice), telegram.FormatMoney(lang, c.NewPrice)))
		}
		if c.OldStock != c.NewStock {
			parts = append(parts, b.k.T(lang, "adm_import_stock", c.OldStock, c.NewStock))
		}
		lines = append(lines, b.k.T(lang, "adm_import_change", c.SKU, c.Title, telegram.HTML(strings.Join(parts, ", "))))
	}
	if len(plan.Rejected) > 0 {
		lines = append(lines, "", b.k.T(lang, "adm_import_rejected"))
	}
	for i, e := range plan.Rejected {
		if i == importRejectedShown {
			lines = append(lines, b.k.T(lang, "adm_import_more", len(plan.Rejected)-i))
			break
		}
		sku := e.SKU
		if sku == "" {
			sku = "—"
		}
		lines = append(lines, b.k.T(lang, "adm_import_reject", e.Line, sku, telegram.HTML(b.k.ErrorText(lang, e.Err))))
	}
	return strings.Join(lines, "\n")
}

// onAdminImportConfirm applies the previewed import: aic:<shop>:<nonce>. The plan
// is the one the conversation keeps for that preview; once applied, or replaced by
// a newer file, the button applies nothing. ApplyImport itself skips values already
// at their new value, so a retried update changes nothing twice either.
func (b *Feature) onAdminImportConfirm(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(2); err != nil {
		return telegram.ErrStaleButton
	}
	shopID, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	shop, _, err := b.k.StaffShop(ctx, r, core.ShopID(shopID))
	if err != nil {
		return err
	}
	st, ok, err := b.dialogs.Get(ctx, r.UserID(), r.ChatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	var data importDialog
	if ok && st.Kind == telegram.DialogImport && st.Step == stepImportConfirm {
		if err := telegram.DialogData(st, &data); err != nil {
			ok = false
		}
	}
	if !ok || st.Kind != telegram.DialogImport || data.Nonce != d.Str(1) || data.ShopID != shop.ID {
		r.Alert(b.k.Label(r.Lang, "adm_import_over"))
		return nil
	}
	result, err := b.catalog.ApplyImport(ctx, r.UserID(), catalog.ImportPlan{ShopID: shop.ID, Changes: data.Changes})
	if err != nil {
		return err
	}
	if err := b.k.EndDialog(ctx, r); err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "adm_import_applied_short", len(result.Changes)))
	text := b.k.T(r.Lang, "adm_import_applied", shop.Name, len(result.Changes), len(result.Rejected)) + "\n" + b.importLines(r.Lang, result)
	k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_stock_back"), verbAdminStock, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// downloadFile fetches a file the user sent, through getFile and the API server's
// file URL (Telegram's, a self-hosted Bot API server's, or the sandbox's). More
// than limit bytes is catalog.ErrStockFileTooLarge.
func (b *Feature) downloadFile(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	f, err := b.api.GetFile(ctx, &telego.GetFileParams{FileID: fileID})
	if telegram.APIErrorCode(err) == 400 && strings.Contains(telegram.APIErrorDescription(err), "too big") {
		return nil, catalog.ErrStockFileTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("get file: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.FileDownloadURL(f.FilePath), nil)
	if err != nil {
		return nil, fmt.Errorf("download file: %v", redactURL(err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", redactURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download file: HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download file: %w", redactURL(err))
	}
	if int64(len(raw)) > limit {
		return nil, catalog.ErrStockFileTooLarge
	}
	return raw, nil
}

// redactURL drops the URL from an HTTP client error: a file URL holds the bot's
// token, which must never reach a log.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
