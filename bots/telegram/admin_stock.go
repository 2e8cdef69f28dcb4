package telegram

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
func (b *Bot) onAdminAdjust(ctx context.Context, r *request, d callbackData) error {
	id, kind, err := idAndCode(d, stockKindReceipt, stockKindCorrection, stockKindWriteOff)
	if err != nil {
		return err
	}
	v, p, _, err := b.staffVariant(ctx, r, core.VariantID(id))
	if err != nil {
		return err
	}
	data := stockDialog{VariantID: v.ID, Kind: kind, Title: itemTitle(p.Title, v.Name)}
	if err := b.startDialog(ctx, r, dialogStock, stepStockAmount, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.stockPrompt(r.lang, data, v.OnHand))
}

func (b *Bot) stockPrompt(lang string, data stockDialog, onHand int) view {
	return b.askView(lang, "adm_ask_adjust_"+string(stockKinds[data.Kind]), data.Title, onHand)
}

// stockStep reads "+5", "-2" or a new count, with an optional note after it, and
// adjusts the stock.
func (b *Bot) stockStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data stockDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	v, _, _, err := b.staffVariant(ctx, r, data.VariantID)
	if err != nil {
		if userFacing(err) {
			if derr := b.endDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	again := func(why string) error { return b.reprompt(ctx, r, why, b.stockPrompt(r.lang, data, v.OnHand)) }
	if in.text == "" {
		return again(b.wrongInput(r.lang, in, "adm_want_adjust"))
	}
	change, err := parseStockChange(in.text)
	if err != nil {
		return again(b.t(r.lang, "adm_adjust_format"))
	}
	delta := change.Delta
	if change.Set {
		delta = change.Count - v.OnHand
	}
	if delta == 0 {
		return again(b.t(r.lang, "adm_adjust_nothing", v.OnHand))
	}
	kind := stockKinds[data.Kind]
	after, err := b.catalog.AdjustStock(ctx, r.userID(), v.ID, delta, kind, change.Note)
	if userFacing(err) && !errors.Is(err, catalog.ErrNotStaff) {
		return again(b.errorText(r.lang, err))
	}
	if err != nil {
		return err
	}
	notice := b.t(r.lang, "adm_adjusted", b.t(r.lang, "adm_kind_"+string(kind)), v.OnHand, after.OnHand)
	return b.finishDialog(ctx, r, dialogStock, notice, screen(verbAdminVariant, v.ID))
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

func (b *Bot) onAdminMovements(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	v, p, _, err := b.staffVariant(ctx, r, core.VariantID(id))
	if err != nil {
		return err
	}
	ms, err := b.catalog.Movements(ctx, r.userID(), v.ID, movementsShown)
	if err != nil {
		return err
	}
	lang := r.lang
	lines := []string{b.t(lang, "adm_movements", itemTitle(p.Title, v.Name), v.SKU)}
	if len(ms) == 0 {
		lines = append(lines, b.t(lang, "adm_movements_empty"))
	}
	names := map[core.UserID]string{}
	for _, m := range ms {
		line := b.t(lang, "adm_movement", m.CreatedAt.UTC().Format("02.01 15:04"),
			b.t(lang, "adm_kind_"+string(m.Kind)), m.OnHandBefore, m.OnHandAfter)
		if m.ReservedBefore != m.ReservedAfter {
			line += b.t(lang, "adm_movement_reserved", m.ReservedBefore, m.ReservedAfter)
		}
		if m.OrderID != 0 {
			line += b.t(lang, "adm_movement_order", m.OrderID)
		}
		if m.ActorID != 0 {
			name, ok := names[m.ActorID]
			if !ok {
				name = b.userLabel(ctx, m.ActorID)
				names[m.ActorID] = name
			}
			line += b.t(lang, "adm_movement_by", name)
		}
		if m.Note != "" {
			line += b.t(lang, "adm_movement_note", m.Note)
		}
		lines = append(lines, line)
	}
	lines = append(lines, "", b.t(lang, "adm_movements_times"))
	k := (&keyboard{}).row(button(b.label(lang, "btn_back"), verbAdminVariant, v.ID))
	return b.show(ctx, r, view{text: strings.Join(lines, "\n"), kb: k.markup()})
}

// --- bulk import and export ---

func (b *Bot) onAdminStock(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	k := &keyboard{}
	k.row(
		button(b.label(r.lang, "adm_btn_export"), verbAdminExport, shop.ID),
		button(b.label(r.lang, "adm_btn_import"), verbAdminImport, shop.ID),
	)
	k.row(button(b.label(r.lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: b.t(r.lang, "adm_stock_menu", shop.Name), kb: k.markup()})
}

// onAdminExport sends the shop's stock as a CSV document, which reads back as an
// import.
func (b *Bot) onAdminExport(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	rows, err := b.catalog.ExportStock(ctx, r.userID(), shop.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.WriteStockFile(&buf, rows); err != nil {
		return fmt.Errorf("write stock file: %w", err)
	}
	name := fmt.Sprintf("stock-%d-%s.csv", shop.ID, b.clock.Now().UTC().Format("20060102-1504"))
	_, err = b.api.SendDocument(ctx, &telego.SendDocumentParams{
		ChatID:    tu.ID(r.chatID),
		Document:  tu.FileFromBytes(buf.Bytes(), name),
		Caption:   b.t(r.lang, "adm_export_caption", shop.Name, b.count(r.lang, "adm_n_variants", len(rows))),
		ParseMode: telego.ModeHTML,
	})
	if err != nil {
		return fmt.Errorf("send stock file: %w", err)
	}
	r.answer(b.label(r.lang, "adm_exported"))
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
func (b *Bot) onAdminImport(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	if err := b.startDialog(ctx, r, dialogImport, stepImportFile, importDialog{ShopID: shop.ID}); err != nil {
		return err
	}
	return b.show(ctx, r, b.importPrompt(r.lang))
}

func (b *Bot) importPrompt(lang string) view {
	return b.askView(lang, "adm_ask_import_file")
}

// importStep takes a stock file (in either step: a new file replaces the preview)
// or the cancel button of a preview.
func (b *Bot) importStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data importDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	switch {
	case in.doc != nil:
		return b.previewImport(ctx, r, st, data, in.doc)
	case in.button == buttonCancel:
		if err := b.endDialog(ctx, r); err != nil {
			return err
		}
		k := (&keyboard{}).row(button(b.label(r.lang, "adm_btn_stock_back"), verbAdminStock, data.ShopID))
		return b.show(ctx, r, view{text: b.t(r.lang, "adm_import_cancelled"), kb: k.markup()})
	}
	prompt := b.importPrompt(r.lang)
	if st.Step == stepImportConfirm {
		prompt = b.askView(r.lang, "adm_import_waiting")
	}
	return b.reprompt(ctx, r, b.wrongInput(r.lang, in, "adm_want_file"), prompt)
}

// maxStockFileBytes bounds a downloaded stock file; ParseStockFile refuses larger.
const maxStockFileBytes = 4 << 20

// previewImport downloads and reads a stock file, plans the import and shows the
// preview with an Apply button.
func (b *Bot) previewImport(ctx context.Context, r *request, st dialog.State, data importDialog, doc *telego.Document) error {
	shop, _, err := b.staffShop(ctx, r, data.ShopID)
	if err != nil {
		return err
	}
	again := func(why string) error { return b.reprompt(ctx, r, why, b.importPrompt(r.lang)) }
	name := strings.ToLower(doc.FileName)
	if strings.HasSuffix(name, ".xlsx") || strings.HasSuffix(name, ".xls") || strings.Contains(doc.MimeType, "spreadsheetml") {
		return again(b.t(r.lang, "adm_import_xlsx"))
	}
	if doc.FileSize > maxStockFileBytes {
		return again(b.t(r.lang, "err_stock_file_too_large"))
	}
	raw, err := b.downloadFile(ctx, doc.FileID, maxStockFileBytes)
	if errors.Is(err, catalog.ErrStockFileTooLarge) {
		return again(b.t(r.lang, "err_stock_file_too_large"))
	}
	if err != nil {
		return err
	}
	rows, rejected, err := catalog.ParseStockFile(bytes.NewReader(raw), shop.Currency)
	if err != nil {
		if userFacing(err) {
			return again(b.errorText(r.lang, err))
		}
		return err
	}
	plan, err := b.catalog.PlanImport(ctx, r.userID(), shop.ID, rows, rejected)
	if err != nil {
		return err
	}
	data.Nonce, data.Changes = newNonce(), plan.Changes
	if err := b.putStep(ctx, r, st, stepImportConfirm, data); err != nil {
		return err
	}
	lang := r.lang
	text := b.t(lang, "adm_import_preview", shop.Name, len(plan.Changes), len(plan.Rejected)) + "\n" +
		b.importLines(lang, plan)
	k := &keyboard{}
	if len(plan.Changes) > 0 {
		k.row(button(b.label(lang, "adm_btn_apply_import", len(plan.Changes)), verbAdminImportConfirm, shop.ID, data.Nonce))
		text += "\n\n" + b.t(lang, "adm_import_confirm")
	} else {
		text += "\n\n" + b.t(lang, "adm_import_nothing")
	}
	k.row(stepButton(b.label(lang, "adm_btn_discard"), stepImportConfirm, buttonCancel))
	_, err = b.sendView(ctx, r.chatID, stampSteps(r, view{text: text, kb: k.markup()}))
	return err
}

// Limits of an import's preview and report, so they fit one message.
const (
	importChangesShown  = 25
	importRejectedShown = 15
)

// importLines lists a plan's changes and rejected rows, as HTML.
func (b *Bot) importLines(lang string, plan catalog.ImportPlan) string {
	var lines []string
	for i, c := range plan.Changes {
		if i == importChangesShown {
			lines = append(lines, b.t(lang, "adm_import_more", len(plan.Changes)-i))
			break
		}
		var parts []string
		if c.OldPrice != c.NewPrice {
			parts = append(parts, b.t(lang, "adm_import_price", formatMoney(lang, c.OldPrice), formatMoney(lang, c.NewPrice)))
		}
		if c.OldStock != c.NewStock {
			parts = append(parts, b.t(lang, "adm_import_stock", c.OldStock, c.NewStock))
		}
		lines = append(lines, b.t(lang, "adm_import_change", c.SKU, c.Title, htmlText(strings.Join(parts, ", "))))
	}
	if len(plan.Rejected) > 0 {
		lines = append(lines, "", b.t(lang, "adm_import_rejected"))
	}
	for i, e := range plan.Rejected {
		if i == importRejectedShown {
			lines = append(lines, b.t(lang, "adm_import_more", len(plan.Rejected)-i))
			break
		}
		sku := e.SKU
		if sku == "" {
			sku = "—"
		}
		lines = append(lines, b.t(lang, "adm_import_reject", e.Line, sku, htmlText(b.errorText(lang, e.Err))))
	}
	return strings.Join(lines, "\n")
}

// onAdminImportConfirm applies the previewed import: aic:<shop>:<nonce>. The plan
// is the one the conversation keeps for that preview; once applied, or replaced by
// a newer file, the button applies nothing. ApplyImport itself skips values already
// at their new value, so a retried update changes nothing twice either.
func (b *Bot) onAdminImportConfirm(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(2); err != nil {
		return errStaleButton
	}
	shopID, err := d.Int(0)
	if err != nil {
		return errStaleButton
	}
	shop, _, err := b.staffShop(ctx, r, core.ShopID(shopID))
	if err != nil {
		return err
	}
	st, ok, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	var data importDialog
	if ok && st.Kind == dialogImport && st.Step == stepImportConfirm {
		if err := dialogData(st, &data); err != nil {
			ok = false
		}
	}
	if !ok || st.Kind != dialogImport || data.Nonce != d.Str(1) || data.ShopID != shop.ID {
		r.alert(b.label(r.lang, "adm_import_over"))
		return nil
	}
	result, err := b.catalog.ApplyImport(ctx, r.userID(), catalog.ImportPlan{ShopID: shop.ID, Changes: data.Changes})
	if err != nil {
		return err
	}
	if err := b.endDialog(ctx, r); err != nil {
		return err
	}
	r.answer(b.label(r.lang, "adm_import_applied_short", len(result.Changes)))
	text := b.t(r.lang, "adm_import_applied", shop.Name, len(result.Changes), len(result.Rejected)) + "\n" + b.importLines(r.lang, result)
	k := (&keyboard{}).row(button(b.label(r.lang, "adm_btn_stock_back"), verbAdminStock, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// downloadFile fetches a file the user sent, through getFile and the API server's
// file URL (Telegram's, a self-hosted Bot API server's, or the sandbox's). More
// than limit bytes is catalog.ErrStockFileTooLarge.
func (b *Bot) downloadFile(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	f, err := b.api.GetFile(ctx, &telego.GetFileParams{FileID: fileID})
	if apiErrorCode(err) == 400 && strings.Contains(apiErrorDescription(err), "too big") {
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
