package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

// Products in the admin menu: the list, a product, a variant, archive and restore,
// categories, and the conversations that edit one field or add a variant.

const adminProductsPerPage = 8

// Limits of the catalog, checked in conversations so they can ask again at once.
const (
	maxTitle       = 128
	maxDescription = 1000
	maxVariantName = 64
	maxCategory    = 64
	maxPlaceName   = 64
	maxAddress     = 256
	maxHours       = 128
)

func (b *Bot) onAdminProducts(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 3)
	if err != nil || a[2] < 0 {
		return errStaleButton
	}
	return b.showAdminProducts(ctx, r, core.ShopID(a[0]), a[1] == 1, int(a[2]))
}

// showAdminProducts shows a page of a shop's active or archived products.
func (b *Bot) showAdminProducts(ctx context.Context, r *request, id core.ShopID, archived bool, page int) error {
	shop, _, err := b.staffShop(ctx, r, id)
	if err != nil {
		return err
	}
	products, total, err := b.catalog.Products(ctx, catalog.ProductFilter{
		ShopID: id, Archived: archived, Limit: adminProductsPerPage, Offset: page * adminProductsPerPage,
	})
	if err != nil {
		return fmt.Errorf("list products: %w", err)
	}
	lang := r.lang
	pages := pageCount(total, adminProductsPerPage)
	k := &keyboard{}
	for _, p := range products {
		k.row(button(b.label(lang, "adm_btn_product", p.Title, b.productPrice(lang, p), stockOf(p)), verbAdminProduct, p.ID))
	}
	b.pager(k, lang, page, pages, verbAdminProducts, id, boolArg(archived))
	k.row(button(b.label(lang, "adm_btn_add_product"), verbAdminNewProduct, id))
	if archived {
		k.row(button(b.label(lang, "adm_btn_active_products"), verbAdminProducts, id, 0, 0))
	} else {
		k.row(button(b.label(lang, "adm_btn_archived_products"), verbAdminProducts, id, 1, 0))
	}
	k.row(button(b.label(lang, "btn_back"), verbAdminMenu, id))

	list := b.t(lang, "adm_products_active")
	if archived {
		list = b.t(lang, "adm_products_archived")
	}
	text := b.t(lang, "adm_products", shop.Name, list, total) // the pager says the page
	if total == 0 {
		text = b.t(lang, "adm_products_empty", shop.Name, list)
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// stockOf is how many pieces of a product can be bought now.
func stockOf(p catalog.Product) int {
	n := 0
	for _, v := range p.Variants {
		n += max(v.Available(), 0)
	}
	return n
}

func boolArg(v bool) int {
	if v {
		return 1
	}
	return 0
}

// showAdminProduct shows a product to its shop's staff, with what they can change.
func (b *Bot) showAdminProduct(ctx context.Context, r *request, id core.ProductID) error {
	p, shop, err := b.staffProduct(ctx, r, id)
	if err != nil {
		return err
	}
	lang := r.lang
	lines := []string{"📦 <b>" + escape(p.Title) + "</b>"}
	if p.Archived {
		lines[0] += " " + b.t(lang, "adm_archived_mark")
	}
	if p.Description != "" {
		lines = append(lines, escape(truncate(p.Description, 600)))
	}
	lines = append(lines, "")
	category := b.t(lang, "adm_category_none")
	if p.CategoryID != 0 {
		if name, err := b.categoryName(ctx, shop.ID, p.CategoryID); err != nil {
			return err
		} else if name != "" {
			category = escape(name)
		}
	}
	lines = append(lines, b.t(lang, "adm_product_category", htmlText(category)))
	lines = append(lines, b.t(lang, "adm_product_photos", len(p.Photos)))
	lines = append(lines, "", b.t(lang, "adm_product_variants"))
	k := &keyboard{}
	for _, v := range p.Variants {
		lines = append(lines, b.variantLine(lang, v))
		k.row(button(b.label(lang, "adm_btn_variant", b.variantLabel(lang, v), v.Available()), verbAdminVariant, v.ID))
	}
	k.row(
		button(b.label(lang, "adm_btn_edit_title"), verbAdminEditProduct, p.ID, editTitle),
		button(b.label(lang, "adm_btn_edit_description"), verbAdminEditProduct, p.ID, editDescription),
	)
	k.row(
		button(b.label(lang, "adm_btn_edit_photos"), verbAdminEditProduct, p.ID, editPhotos),
		button(b.label(lang, "adm_btn_edit_category"), verbAdminCategoryChoice, p.ID),
	)
	k.row(button(b.label(lang, "adm_btn_add_variant"), verbAdminAddVariant, p.ID))
	if p.Archived {
		k.row(button(b.label(lang, "adm_btn_restore"), verbAdminArchive, p.ID, 0))
	} else {
		k.row(
			button(b.label(lang, "adm_btn_archive"), verbAdminArchive, p.ID, 1),
			urlButton(b.label(lang, "adm_btn_as_shopper"), b.startURL(productLink(p.ID))),
		)
	}
	k.row(button(b.label(lang, "btn_back"), verbAdminProducts, shop.ID, boolArg(p.Archived), 0))
	return b.show(ctx, r, view{text: strings.Join(lines, "\n"), kb: k.markup()})
}

// variantLine describes a variant's SKU, price and stock, as HTML.
func (b *Bot) variantLine(lang string, v catalog.Variant) string {
	return b.t(lang, "adm_variant_line", b.variantLabel(lang, v), v.SKU, formatMoney(lang, v.Price), v.OnHand, v.Reserved)
}

// variantLabel is a variant's name, or a word for a product's only variant.
func (b *Bot) variantLabel(lang string, v catalog.Variant) string {
	if v.Name == "" {
		return b.t(lang, "adm_variant_single")
	}
	return v.Name
}

// categoryName returns the name of a shop's category, "" if it is gone.
func (b *Bot) categoryName(ctx context.Context, shop core.ShopID, id core.CategoryID) (string, error) {
	cats, err := b.catalog.Categories(ctx, shop)
	if err != nil {
		return "", fmt.Errorf("list categories: %w", err)
	}
	for _, c := range cats {
		if c.ID == id {
			return c.Name, nil
		}
	}
	return "", nil
}

func (b *Bot) onAdminArchive(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	p, _, err := b.staffProduct(ctx, r, core.ProductID(a[0]))
	if err != nil {
		return err
	}
	archive := a[1] == 1
	if _, err := b.catalog.SetArchived(ctx, r.userID(), p.ID, archive); err != nil {
		return err
	}
	if archive {
		r.answer(b.label(r.lang, "adm_archived"))
	} else {
		r.answer(b.label(r.lang, "adm_restored"))
	}
	return b.showAdminProduct(ctx, r, p.ID)
}

// --- categories ---

func (b *Bot) onAdminCategories(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	cats, err := b.catalog.Categories(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	lines := []string{b.t(r.lang, "adm_categories", shop.Name)}
	for _, c := range cats {
		lines = append(lines, "• "+escape(c.Name))
	}
	if len(cats) == 0 {
		lines = append(lines, b.t(r.lang, "adm_categories_empty"))
	}
	k := &keyboard{}
	k.row(button(b.label(r.lang, "adm_btn_new_category"), verbAdminNewCategory, shop.ID, 0))
	k.row(button(b.label(r.lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: strings.Join(lines, "\n"), kb: k.markup()})
}

// onAdminCategoryChoice shows the categories to choose a product's from.
func (b *Bot) onAdminCategoryChoice(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	p, shop, err := b.staffProduct(ctx, r, core.ProductID(id))
	if err != nil {
		return err
	}
	cats, err := b.catalog.Categories(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	k := &keyboard{}
	for _, c := range cats {
		label := c.Name
		if c.ID == p.CategoryID {
			label = "✅ " + label
		}
		k.row(button(label, verbAdminSetCategory, p.ID, c.ID))
	}
	none := b.label(r.lang, "adm_btn_no_category")
	if p.CategoryID == 0 {
		none = "✅ " + none
	}
	k.row(button(none, verbAdminSetCategory, p.ID, 0))
	k.row(button(b.label(r.lang, "adm_btn_new_category"), verbAdminNewCategory, shop.ID, p.ID))
	k.row(button(b.label(r.lang, "btn_back"), verbAdminProduct, p.ID))
	return b.show(ctx, r, view{text: b.t(r.lang, "adm_choose_category", p.Title), kb: k.markup()})
}

func (b *Bot) onAdminSetCategory(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	p, _, err := b.staffProduct(ctx, r, core.ProductID(a[0]))
	if err != nil {
		return err
	}
	cat := core.CategoryID(a[1])
	if _, err := b.catalog.UpdateProduct(ctx, r.userID(), p.ID, catalog.ProductUpdate{CategoryID: &cat}); err != nil {
		return err
	}
	r.answer(b.label(r.lang, "adm_saved"))
	return b.showAdminProduct(ctx, r, p.ID)
}

// Steps of the new-category conversation.
const stepCategoryName = "c.name"

// categoryDialog is a new category, for a product when ProductID is set.
type categoryDialog struct {
	ShopID    core.ShopID    `json:"shop_id"`
	ProductID core.ProductID `json:"product_id,omitempty"`
}

// onAdminNewCategory asks the name of a new category: acn:<shop>:<product or 0>.
func (b *Bot) onAdminNewCategory(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	shop, _, err := b.staffShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	data := categoryDialog{ShopID: shop.ID, ProductID: core.ProductID(a[1])}
	if data.ProductID != 0 {
		if _, _, err := b.staffProduct(ctx, r, data.ProductID); err != nil {
			return err
		}
	}
	if err := b.startDialog(ctx, r, dialogCategory, stepCategoryName, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.askView(r.lang, "adm_ask_category"))
}

// categoryStep creates the category named, and gives it to the product if any.
func (b *Bot) categoryStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data categoryDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	prompt := b.askView(r.lang, "adm_ask_category")
	name, why := b.readText(r.lang, in, categoryField)
	if why != "" {
		return b.reprompt(ctx, r, why, prompt)
	}
	c, err := b.catalog.CreateCategory(ctx, r.userID(), data.ShopID, name)
	if errors.Is(err, catalog.ErrCategoryTaken) {
		return b.reprompt(ctx, r, b.t(r.lang, "err_category_taken"), prompt)
	}
	if err != nil {
		return err
	}
	if data.ProductID == 0 {
		return b.finishDialog(ctx, r, dialogCategory, b.t(r.lang, "adm_category_created", c.Name), screen(verbAdminCategories, data.ShopID))
	}
	if _, err := b.catalog.UpdateProduct(ctx, r.userID(), data.ProductID, catalog.ProductUpdate{CategoryID: &c.ID}); err != nil {
		return err
	}
	return b.finishDialog(ctx, r, dialogCategory, b.t(r.lang, "adm_category_created", c.Name), screen(verbAdminProduct, data.ProductID))
}

// askView is a question of a conversation with the hint that /cancel stops it.
func (b *Bot) askView(lang, key string, args ...any) view {
	return view{text: b.t(lang, key, args...) + "\n\n" + b.t(lang, "adm_cancel_hint")}
}

// --- variants ---

// showAdminVariant shows a variant's price and stock with the ways to change them.
func (b *Bot) showAdminVariant(ctx context.Context, r *request, id core.VariantID) error {
	v, p, _, err := b.staffVariant(ctx, r, id)
	if err != nil {
		return err
	}
	lang := r.lang
	text := b.t(lang, "adm_variant", p.Title, b.variantLabel(lang, v), v.SKU, formatMoney(lang, v.Price), v.OnHand, v.Reserved, v.Available())
	k := &keyboard{}
	k.row(
		button(b.label(lang, "adm_btn_receipt"), verbAdminAdjust, v.ID, stockKindReceipt),
		button(b.label(lang, "adm_btn_writeoff"), verbAdminAdjust, v.ID, stockKindWriteOff),
	)
	k.row(
		button(b.label(lang, "adm_btn_correction"), verbAdminAdjust, v.ID, stockKindCorrection),
		button(b.label(lang, "adm_btn_movements"), verbAdminMovements, v.ID),
	)
	k.row(
		button(b.label(lang, "adm_btn_edit_vname"), verbAdminEditVariant, v.ID, editVariantName),
		button(b.label(lang, "adm_btn_edit_vprice"), verbAdminEditVariant, v.ID, editVariantPrice),
	)
	k.row(button(b.label(lang, "btn_back"), verbAdminProduct, p.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// Steps of the add-variant conversation.
const (
	stepVariantFirst = "v.first" // the name of the product's only variant, which has none yet
	stepVariantName  = "v.name"
	stepVariantPrice = "v.price"
	stepVariantStock = "v.stock"
)

// variantDialog is a variant being added to a product.
type variantDialog struct {
	ProductID core.ProductID `json:"product_id"`
	Title     string         `json:"title"`
	Default   core.Money     `json:"default"` // the price offered: the product's first variant's
	Name      string         `json:"name,omitempty"`
	Price     core.Money     `json:"price"`
	// First is the product's only variant when it has no name: variants of a
	// product with several are told apart by name, so it gets one first.
	First core.VariantID `json:"first,omitempty"`
}

func (b *Bot) onAdminAddVariant(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	p, shop, err := b.staffProduct(ctx, r, core.ProductID(id))
	if err != nil {
		return err
	}
	data := variantDialog{ProductID: p.ID, Title: p.Title, Default: core.Money{Currency: shop.Currency}}
	step := stepVariantName
	if len(p.Variants) > 0 {
		data.Default = p.Variants[0].Price
	}
	if len(p.Variants) == 1 && p.Variants[0].Name == "" {
		data.First, step = p.Variants[0].ID, stepVariantFirst
	}
	if err := b.startDialog(ctx, r, dialogVariant, step, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.variantPrompt(r.lang, step, data))
}

func (b *Bot) variantPrompt(lang, step string, data variantDialog) view {
	switch step {
	case stepVariantFirst:
		return b.askView(lang, "adm_ask_first_vname", data.Title)
	case stepVariantPrice:
		v := b.askView(lang, "adm_ask_vprice", data.Name, string(data.Default.Currency))
		if data.Default.Amount > 0 {
			v.kb = (&keyboard{}).row(stepButton(b.label(lang, "adm_btn_same_price", formatMoney(lang, data.Default)), step, buttonSkip)).markup()
		}
		return v
	case stepVariantStock:
		return b.askView(lang, "adm_ask_vstock", data.Name)
	}
	return b.askView(lang, "adm_ask_new_vname", data.Title)
}

// variantStep collects a new variant's name, price and stock, then adds it.
func (b *Bot) variantStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data variantDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.stepMoves(ctx, r, st, &data, func(step string) (view, error) {
		return b.variantPrompt(r.lang, step, data), nil
	})
	switch st.Step {
	case stepVariantFirst:
		name, why := b.readText(r.lang, in, variantNameField)
		if why != "" {
			return again(why)
		}
		if _, err := b.catalog.UpdateVariant(ctx, r.userID(), data.First, catalog.VariantUpdate{Name: &name}); err != nil {
			return err
		}
		return next(stepVariantName)
	case stepVariantName:
		p, _, err := b.staffProduct(ctx, r, data.ProductID)
		if err != nil {
			return err
		}
		var taken []string
		for _, v := range p.Variants {
			taken = append(taken, v.Name)
		}
		name, why := b.readVariantName(r.lang, in, taken)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepVariantPrice)
	case stepVariantPrice:
		price := data.Default
		if in.button != buttonSkip || data.Default.Amount == 0 {
			var why string
			if price, why = b.readPrice(r.lang, in, data.Default.Currency); why != "" {
				return again(why)
			}
		}
		data.Price = price
		return next(stepVariantStock)
	case stepVariantStock:
		n, why := b.readCount(r.lang, in)
		if why != "" {
			return again(why)
		}
		_, err := b.catalog.AddVariant(ctx, r.userID(), data.ProductID, catalog.NewVariant{Name: data.Name, Price: data.Price, Stock: n})
		if err != nil {
			return err
		}
		return b.finishDialog(ctx, r, dialogVariant, b.t(r.lang, "adm_variant_added", data.Name), screen(verbAdminProduct, data.ProductID))
	}
	return b.endDialog(ctx, r)
}

// priceProblem explains why a typed price was refused, in lang: the reason, and
// for too many decimals how many the currency has.
func (b *Bot) priceProblem(lang string, err error, cur core.Currency) string {
	why := b.errorText(lang, err)
	if errors.Is(err, core.ErrPriceTooPrecise) {
		if exp, _ := cur.Exponent(); exp == 0 {
			why += " " + b.t(lang, "adm_price_whole", string(cur))
		} else {
			why += " " + b.t(lang, "adm_price_decimals", string(cur), exp)
		}
	}
	return why
}

// --- editing one field ---

// Fields the edit conversation changes; each is also its step.
const (
	editTitle        = "e.title"
	editDescription  = "e.desc"
	editPhotos       = "e.photos"
	editVariantName  = "e.vname"
	editVariantPrice = "e.vprice"
	editShopName     = "e.sname"
	editReservation  = "e.ttl"
)

// Values of the edit conversation's buttons.
const buttonClear = "clear"

// editDialog is the field being changed and what it belongs to.
type editDialog struct {
	ProductID core.ProductID `json:"product_id,omitempty"`
	VariantID core.VariantID `json:"variant_id,omitempty"`
	ShopID    core.ShopID    `json:"shop_id,omitempty"`
	Currency  core.Currency  `json:"currency,omitempty"`
	Name      string         `json:"name"`             // what the field belongs to, for the question
	Photos    []string       `json:"photos,omitempty"` // collected so far
}

func (b *Bot) onAdminEditProduct(ctx context.Context, r *request, d callbackData) error {
	id, field, err := idAndCode(d, editTitle, editDescription, editPhotos)
	if err != nil {
		return err
	}
	p, _, err := b.staffProduct(ctx, r, core.ProductID(id))
	if err != nil {
		return err
	}
	return b.startEdit(ctx, r, field, editDialog{ProductID: p.ID, Name: p.Title})
}

func (b *Bot) onAdminEditVariant(ctx context.Context, r *request, d callbackData) error {
	id, field, err := idAndCode(d, editVariantName, editVariantPrice)
	if err != nil {
		return err
	}
	v, p, shop, err := b.staffVariant(ctx, r, core.VariantID(id))
	if err != nil {
		return err
	}
	return b.startEdit(ctx, r, field, editDialog{ProductID: p.ID, VariantID: v.ID, Currency: shop.Currency, Name: itemTitle(p.Title, v.Name)})
}

func (b *Bot) onAdminRename(ctx context.Context, r *request, shop catalog.Shop) error {
	return b.startEdit(ctx, r, editShopName, editDialog{ShopID: shop.ID, Name: shop.Name})
}

func (b *Bot) onAdminReservation(ctx context.Context, r *request, shop catalog.Shop) error {
	return b.startEdit(ctx, r, editReservation, editDialog{ShopID: shop.ID, Name: shop.Name})
}

// startEdit starts the conversation that changes a field.
func (b *Bot) startEdit(ctx context.Context, r *request, field string, data editDialog) error {
	if err := b.startDialog(ctx, r, dialogEdit, field, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.editPrompt(r.lang, field, data))
}

// editPrompt asks for a field's new value.
func (b *Bot) editPrompt(lang, field string, data editDialog) view {
	name := data.Name
	var v view
	switch field {
	case editTitle:
		v = b.askView(lang, "adm_ask_title_edit", name)
	case editDescription:
		v = b.askView(lang, "adm_ask_description_edit", name)
		v.kb = (&keyboard{}).row(stepButton(b.label(lang, "adm_btn_clear_description"), field, buttonClear)).markup()
	case editPhotos:
		v = b.askView(lang, "adm_ask_photos_edit", name, len(data.Photos), catalog.MaxPhotos)
		k := &keyboard{}
		if len(data.Photos) > 0 {
			k.row(stepButton(b.label(lang, "adm_btn_done"), field, buttonDone))
		}
		k.row(stepButton(b.label(lang, "adm_btn_clear_photos"), field, buttonClear))
		v.kb = k.markup()
	case editVariantName:
		v = b.askView(lang, "adm_ask_vname_edit", name)
	case editVariantPrice:
		v = b.askView(lang, "adm_ask_vprice_edit", name, string(data.Currency))
	case editShopName:
		v = b.askView(lang, "adm_ask_shop_name_edit", name)
	case editReservation:
		v = b.askView(lang, "adm_ask_reservation")
	}
	return v
}

// editStep takes a field's new value and saves it.
func (b *Bot) editStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data editDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	lang := r.lang
	again, next := b.stepMoves(ctx, r, st, &data, func(step string) (view, error) {
		return b.editPrompt(lang, step, data), nil
	})
	saved := func(next string) error { return b.finishDialog(ctx, r, dialogEdit, b.t(lang, "adm_saved"), next) }
	product := func(u catalog.ProductUpdate) error {
		if _, err := b.catalog.UpdateProduct(ctx, r.userID(), data.ProductID, u); err != nil {
			return err
		}
		return saved(screen(verbAdminProduct, data.ProductID))
	}
	variant := func(u catalog.VariantUpdate) error {
		if _, err := b.catalog.UpdateVariant(ctx, r.userID(), data.VariantID, u); err != nil {
			return err
		}
		return saved(screen(verbAdminVariant, data.VariantID))
	}
	settings := func(set catalog.ShopSettings) error {
		if _, err := b.catalog.UpdateSettings(ctx, r.userID(), data.ShopID, set); err != nil {
			return err
		}
		return saved(screen(verbAdminSettings, data.ShopID))
	}

	switch st.Step {
	case editTitle:
		title, why := b.readText(lang, in, titleField)
		if why != "" {
			return again(why)
		}
		return product(catalog.ProductUpdate{Title: &title})
	case editDescription:
		desc := ""
		if in.button != buttonClear {
			var why string
			if desc, why = b.readText(lang, in, descriptionField); why != "" {
				return again(why)
			}
		}
		return product(catalog.ProductUpdate{Description: &desc})
	case editPhotos:
		switch {
		case in.photo != "":
			data.Photos = append(data.Photos, in.photo)
			if len(data.Photos) >= catalog.MaxPhotos {
				return product(catalog.ProductUpdate{Photos: &data.Photos})
			}
			return next(editPhotos)
		case in.button == buttonDone && len(data.Photos) > 0:
			return product(catalog.ProductUpdate{Photos: &data.Photos})
		case in.button == buttonClear:
			none := []string{}
			return product(catalog.ProductUpdate{Photos: &none})
		}
		return again(b.wrongInput(lang, in, "adm_want_photo"))
	case editVariantName:
		_, p, _, err := b.staffVariant(ctx, r, data.VariantID)
		if err != nil {
			return err
		}
		var taken []string // the other variants' names: a variant may keep its own
		for _, v := range p.Variants {
			if v.ID != data.VariantID {
				taken = append(taken, v.Name)
			}
		}
		name, why := b.readVariantName(lang, in, taken)
		if why != "" {
			return again(why)
		}
		return variant(catalog.VariantUpdate{Name: &name})
	case editVariantPrice:
		price, why := b.readPrice(lang, in, data.Currency)
		if why != "" {
			return again(why)
		}
		return variant(catalog.VariantUpdate{Price: &price})
	case editShopName:
		name, why := b.readText(lang, in, shopNameField)
		if why != "" {
			return again(why)
		}
		return settings(catalog.ShopSettings{Name: &name})
	case editReservation:
		if in.text == "" {
			return again(b.wrongInput(lang, in, "adm_want_minutes"))
		}
		mins, err := parseQuantity(in.text, 1, int(catalog.MaxReservationTTL/time.Minute))
		if err != nil {
			return again(b.t(lang, "err_reservation_ttl"))
		}
		ttl := time.Duration(mins) * time.Minute
		return settings(catalog.ShopSettings{ReservationTTL: &ttl})
	}
	return b.endDialog(ctx, r)
}
