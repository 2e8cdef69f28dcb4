package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Products in the admin menu: the list, a product, a variant, archive and restore,
// categories, and the conversations that edit one field or add a variant.

const adminProductsPerPage = 8

func (b *Feature) onAdminProducts(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 3)
	if err != nil || a[2] < 0 {
		return telegram.ErrStaleButton
	}
	return b.showAdminProducts(ctx, r, core.ShopID(a[0]), a[1] == 1, int(a[2]))
}

// showAdminProducts shows a page of a shop's active or archived products.
func (b *Feature) showAdminProducts(ctx context.Context, r *telegram.Request, id core.ShopID, archived bool, page int) error {
	shop, _, err := b.k.StaffShop(ctx, r, id)
	if err != nil {
		return err
	}
	products, total, err := b.catalog.Products(ctx, catalog.ProductFilter{
		ShopID: id, Archived: archived, Limit: adminProductsPerPage, Offset: page * adminProductsPerPage,
	})
	if err != nil {
		return fmt.Errorf("list products: %w", err)
	}
	lang := r.Lang
	pages := telegram.PageCount(total, adminProductsPerPage)
	k := &telegram.Keyboard{}
	for _, p := range products {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_product", p.Title, telegram.ProductPrice(lang, p), stockOf(p)), verbAdminProduct, p.ID))
	}
	b.k.Pager(k, lang, page, pages, verbAdminProducts, id, boolArg(archived))
	k.Row(telegram.Button(b.k.Label(lang, "adm_btn_add_product"), verbAdminNewProduct, id))
	if archived {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_active_products"), verbAdminProducts, id, 0, 0))
	} else {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_archived_products"), verbAdminProducts, id, 1, 0))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, id))

	list := b.k.T(lang, "adm_products_active")
	if archived {
		list = b.k.T(lang, "adm_products_archived")
	}
	text := b.k.T(lang, "adm_products", shop.Name, list, total) // the pager says the page
	if total == 0 {
		text = b.k.T(lang, "adm_products_empty", shop.Name, list)
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
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
func (b *Feature) showAdminProduct(ctx context.Context, r *telegram.Request, id core.ProductID) error {
	p, shop, err := b.staffProduct(ctx, r, id)
	if err != nil {
		return err
	}
	lang := r.Lang
	lines := []string{"📦 <b>" + telegram.Escape(p.Title) + "</b>"}
	if p.Archived {
		lines[0] += " " + b.k.T(lang, "adm_archived_mark")
	}
	if p.Description != "" {
		lines = append(lines, telegram.Escape(telegram.Truncate(p.Description, 600)))
	}
	lines = append(lines, "")
	category := b.k.T(lang, "adm_category_none")
	if p.CategoryID != 0 {
		if name, err := b.categoryName(ctx, shop.ID, p.CategoryID); err != nil {
			return err
		} else if name != "" {
			category = telegram.Escape(name)
		}
	}
	lines = append(lines, b.k.T(lang, "adm_product_category", telegram.HTML(category)))
	lines = append(lines, b.k.T(lang, "adm_product_photos", len(p.Photos)))
	lines = append(lines, "", b.k.T(lang, "adm_product_variants"))
	k := &telegram.Keyboard{}
	for _, v := range p.Variants {
		lines = append(lines, b.variantLine(lang, v))
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_variant", b.variantLabel(lang, v), v.Available()), verbAdminVariant, v.ID))
	}
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_edit_title"), verbAdminEditProduct, p.ID, editTitle),
		telegram.Button(b.k.Label(lang, "adm_btn_edit_description"), verbAdminEditProduct, p.ID, editDescription),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_edit_photos"), verbAdminEditProduct, p.ID, editPhotos),
		telegram.Button(b.k.Label(lang, "adm_btn_edit_category"), verbAdminCategoryChoice, p.ID),
	)
	k.Row(telegram.Button(b.k.Label(lang, "adm_btn_add_variant"), verbAdminAddVariant, p.ID))
	if p.Archived {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_restore"), verbAdminArchive, p.ID, 0))
	} else {
		k.Row(
			telegram.Button(b.k.Label(lang, "adm_btn_archive"), verbAdminArchive, p.ID, 1),
			telegram.URLButton(b.k.Label(lang, "adm_btn_as_shopper"), b.k.StartURL(telegram.ProductLink(p.ID))),
		)
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbAdminProducts, shop.ID, boolArg(p.Archived), 0))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

// variantLine describes a variant's SKU, price and stock, as HTML.
func (b *Feature) variantLine(lang string, v catalog.Variant) string {
	return b.k.T(lang, "adm_variant_line", b.variantLabel(lang, v), v.SKU, telegram.FormatMoney(lang, v.Price), v.OnHand, v.Reserved)
}

// variantLabel is a variant's name, or a word for a product's only variant.
func (b *Feature) variantLabel(lang string, v catalog.Variant) string {
	if v.Name == "" {
		return b.k.T(lang, "adm_variant_single")
	}
	return v.Name
}

// categoryName returns the name of a shop's category, "" if it is gone.
func (b *Feature) categoryName(ctx context.Context, shop core.ShopID, id core.CategoryID) (string, error) {
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

func (b *Feature) onAdminArchive(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	p, _, err := b.staffProduct(ctx, r, core.ProductID(a[0]))
	if err != nil {
		return err
	}
	archive := a[1] == 1
	if _, err := b.catalog.SetArchived(ctx, r.UserID(), p.ID, archive); err != nil {
		return err
	}
	if archive {
		r.Answer(b.k.Label(r.Lang, "adm_archived"))
	} else {
		r.Answer(b.k.Label(r.Lang, "adm_restored"))
	}
	return b.showAdminProduct(ctx, r, p.ID)
}

func (b *Feature) onAdminCategories(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	cats, err := b.catalog.Categories(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	lines := []string{b.k.T(r.Lang, "adm_categories", shop.Name)}
	for _, c := range cats {
		lines = append(lines, "• "+telegram.Escape(c.Name))
	}
	if len(cats) == 0 {
		lines = append(lines, b.k.T(r.Lang, "adm_categories_empty"))
	}
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_new_category"), verbAdminNewCategory, shop.ID, 0))
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

// onAdminCategoryChoice shows the categories to choose a product's from.
func (b *Feature) onAdminCategoryChoice(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
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
	k := &telegram.Keyboard{}
	for _, c := range cats {
		label := c.Name
		if c.ID == p.CategoryID {
			label = "✅ " + label
		}
		k.Row(telegram.Button(label, verbAdminSetCategory, p.ID, c.ID))
	}
	none := b.k.Label(r.Lang, "adm_btn_no_category")
	if p.CategoryID == 0 {
		none = "✅ " + none
	}
	k.Row(telegram.Button(none, verbAdminSetCategory, p.ID, 0))
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_new_category"), verbAdminNewCategory, shop.ID, p.ID))
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), verbAdminProduct, p.ID))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "adm_choose_category", p.Title), Keyboard: k.Markup()})
}

func (b *Feature) onAdminSetCategory(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	p, _, err := b.staffProduct(ctx, r, core.ProductID(a[0]))
	if err != nil {
		return err
	}
	cat := core.CategoryID(a[1])
	if _, err := b.catalog.UpdateProduct(ctx, r.UserID(), p.ID, catalog.ProductUpdate{CategoryID: &cat}); err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "adm_saved"))
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
func (b *Feature) onAdminNewCategory(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	shop, _, err := b.k.StaffShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	data := categoryDialog{ShopID: shop.ID, ProductID: core.ProductID(a[1])}
	if data.ProductID != 0 {
		if _, _, err := b.staffProduct(ctx, r, data.ProductID); err != nil {
			return err
		}
	}
	if err := b.k.StartDialog(ctx, r, telegram.DialogCategory, stepCategoryName, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.AskView(r.Lang, "adm_ask_category"))
}

// categoryStep creates the category named, and gives it to the product if any.
func (b *Feature) categoryStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data categoryDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	prompt := b.AskView(r.Lang, "adm_ask_category")
	name, why := b.k.ReadText(r.Lang, in, telegram.CategoryField)
	if why != "" {
		return b.k.Reprompt(ctx, r, why, prompt)
	}
	c, err := b.catalog.CreateCategory(ctx, r.UserID(), data.ShopID, name)
	if errors.Is(err, catalog.ErrCategoryTaken) {
		return b.k.Reprompt(ctx, r, b.k.T(r.Lang, "err_category_taken"), prompt)
	}
	if err != nil {
		return err
	}
	if data.ProductID == 0 {
		return b.k.FinishDialog(ctx, r, telegram.DialogCategory, b.k.T(r.Lang, "adm_category_created", c.Name), telegram.Screen(verbAdminCategories, data.ShopID))
	}
	if _, err := b.catalog.UpdateProduct(ctx, r.UserID(), data.ProductID, catalog.ProductUpdate{CategoryID: &c.ID}); err != nil {
		return err
	}
	return b.k.FinishDialog(ctx, r, telegram.DialogCategory, b.k.T(r.Lang, "adm_category_created", c.Name), telegram.Screen(verbAdminProduct, data.ProductID))
}

// AskView is a question of a conversation with the hint that /cancel stops it.
func (b *Feature) AskView(lang, key string, args ...any) telegram.View {
	return telegram.View{Text: b.k.T(lang, key, args...) + "\n\n" + b.k.T(lang, "adm_cancel_hint")}
}

// showAdminVariant shows a variant's price and stock with the ways to change them.
func (b *Feature) showAdminVariant(ctx context.Context, r *telegram.Request, id core.VariantID) error {
	v, p, _, err := b.staffVariant(ctx, r, id)
	if err != nil {
		return err
	}
	lang := r.Lang
	text := b.k.T(lang, "adm_variant", p.Title, b.variantLabel(lang, v), v.SKU, telegram.FormatMoney(lang, v.Price), v.OnHand, v.Reserved, v.Available())
	k := &telegram.Keyboard{}
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_receipt"), verbAdminAdjust, v.ID, stockKindReceipt),
		telegram.Button(b.k.Label(lang, "adm_btn_writeoff"), verbAdminAdjust, v.ID, stockKindWriteOff),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_correction"), verbAdminAdjust, v.ID, stockKindCorrection),
		telegram.Button(b.k.Label(lang, "adm_btn_movements"), verbAdminMovements, v.ID),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_edit_vname"), verbAdminEditVariant, v.ID, editVariantName),
		telegram.Button(b.k.Label(lang, "adm_btn_edit_vprice"), verbAdminEditVariant, v.ID, editVariantPrice),
	)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbAdminProduct, p.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
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

func (b *Feature) onAdminAddVariant(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
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
	if err := b.k.StartDialog(ctx, r, telegram.DialogVariant, step, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.variantPrompt(r.Lang, step, data))
}

func (b *Feature) variantPrompt(lang, step string, data variantDialog) telegram.View {
	switch step {
	case stepVariantFirst:
		return b.AskView(lang, "adm_ask_first_vname", data.Title)
	case stepVariantPrice:
		v := b.AskView(lang, "adm_ask_vprice", data.Name, string(data.Default.Currency))
		if data.Default.Amount > 0 {
			v.Keyboard = (&telegram.Keyboard{}).Row(telegram.StepButton(b.k.Label(lang, "adm_btn_same_price", telegram.FormatMoney(lang, data.Default)), step, telegram.ButtonSkip)).Markup()
		}
		return v
	case stepVariantStock:
		return b.AskView(lang, "adm_ask_vstock", data.Name)
	}
	return b.AskView(lang, "adm_ask_new_vname", data.Title)
}

// variantStep collects a new variant's name, price and stock, then adds it.
func (b *Feature) variantStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data variantDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.variantPrompt(r.Lang, step, data), nil
	})
	switch st.Step {
	case stepVariantFirst:
		name, why := b.k.ReadText(r.Lang, in, telegram.VariantNameField)
		if why != "" {
			return again(why)
		}
		if _, err := b.catalog.UpdateVariant(ctx, r.UserID(), data.First, catalog.VariantUpdate{Name: &name}); err != nil {
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
		name, why := b.k.ReadVariantName(r.Lang, in, taken)
		if why != "" {
			return again(why)
		}
		data.Name = name
		return next(stepVariantPrice)
	case stepVariantPrice:
		price := data.Default
		if in.Button != telegram.ButtonSkip || data.Default.Amount == 0 {
			var why string
			if price, why = b.k.ReadPrice(r.Lang, in, data.Default.Currency); why != "" {
				return again(why)
			}
		}
		data.Price = price
		return next(stepVariantStock)
	case stepVariantStock:
		n, why := b.k.ReadCount(r.Lang, in)
		if why != "" {
			return again(why)
		}
		_, err := b.catalog.AddVariant(ctx, r.UserID(), data.ProductID, catalog.NewVariant{Name: data.Name, Price: data.Price, Stock: n})
		if err != nil {
			return err
		}
		return b.k.FinishDialog(ctx, r, telegram.DialogVariant, b.k.T(r.Lang, "adm_variant_added", data.Name), telegram.Screen(verbAdminProduct, data.ProductID))
	}
	return b.k.EndDialog(ctx, r)
}

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

func (b *Feature) onAdminEditProduct(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, field, err := telegram.IDAndCode(d, editTitle, editDescription, editPhotos)
	if err != nil {
		return err
	}
	p, _, err := b.staffProduct(ctx, r, core.ProductID(id))
	if err != nil {
		return err
	}
	return b.startEdit(ctx, r, field, editDialog{ProductID: p.ID, Name: p.Title})
}

func (b *Feature) onAdminEditVariant(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, field, err := telegram.IDAndCode(d, editVariantName, editVariantPrice)
	if err != nil {
		return err
	}
	v, p, shop, err := b.staffVariant(ctx, r, core.VariantID(id))
	if err != nil {
		return err
	}
	return b.startEdit(ctx, r, field, editDialog{ProductID: p.ID, VariantID: v.ID, Currency: shop.Currency, Name: telegram.ItemTitle(p.Title, v.Name)})
}

func (b *Feature) OnAdminRename(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	return b.startEdit(ctx, r, editShopName, editDialog{ShopID: shop.ID, Name: shop.Name})
}

func (b *Feature) OnAdminReservation(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	return b.startEdit(ctx, r, editReservation, editDialog{ShopID: shop.ID, Name: shop.Name})
}

// startEdit starts the conversation that changes a field.
func (b *Feature) startEdit(ctx context.Context, r *telegram.Request, field string, data editDialog) error {
	if err := b.k.StartDialog(ctx, r, telegram.DialogEdit, field, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.editPrompt(r.Lang, field, data))
}

// editPrompt asks for a field's new value.
func (b *Feature) editPrompt(lang, field string, data editDialog) telegram.View {
	name := data.Name
	var v telegram.View
	switch field {
	case editTitle:
		v = b.AskView(lang, "adm_ask_title_edit", name)
	case editDescription:
		v = b.AskView(lang, "adm_ask_description_edit", name)
		v.Keyboard = (&telegram.Keyboard{}).Row(telegram.StepButton(b.k.Label(lang, "adm_btn_clear_description"), field, buttonClear)).Markup()
	case editPhotos:
		v = b.AskView(lang, "adm_ask_photos_edit", name, len(data.Photos), catalog.MaxPhotos)
		k := &telegram.Keyboard{}
		if len(data.Photos) > 0 {
			k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_done"), field, telegram.ButtonDone))
		}
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_clear_photos"), field, buttonClear))
		v.Keyboard = k.Markup()
	case editVariantName:
		v = b.AskView(lang, "adm_ask_vname_edit", name)
	case editVariantPrice:
		v = b.AskView(lang, "adm_ask_vprice_edit", name, string(data.Currency))
	case editShopName:
		v = b.AskView(lang, "adm_ask_shop_name_edit", name)
	case editReservation:
		v = b.AskView(lang, "adm_ask_reservation")
	}
	return v
}

// editStep takes a field's new value and saves it.
func (b *Feature) editStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data editDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	lang := r.Lang
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.editPrompt(lang, step, data), nil
	})
	saved := func(next string) error {
		return b.k.FinishDialog(ctx, r, telegram.DialogEdit, b.k.T(lang, "adm_saved"), next)
	}
	product := func(u catalog.ProductUpdate) error {
		if _, err := b.catalog.UpdateProduct(ctx, r.UserID(), data.ProductID, u); err != nil {
			return err
		}
		return saved(telegram.Screen(verbAdminProduct, data.ProductID))
	}
	variant := func(u catalog.VariantUpdate) error {
		if _, err := b.catalog.UpdateVariant(ctx, r.UserID(), data.VariantID, u); err != nil {
			return err
		}
		return saved(telegram.Screen(verbAdminVariant, data.VariantID))
	}
	settings := func(set catalog.ShopSettings) error {
		if _, err := b.catalog.UpdateSettings(ctx, r.UserID(), data.ShopID, set); err != nil {
			return err
		}
		return saved(telegram.Screen(VerbAdminSettings, data.ShopID))
	}

	switch st.Step {
	case editTitle:
		title, why := b.k.ReadText(lang, in, telegram.TitleField)
		if why != "" {
			return again(why)
		}
		return product(catalog.ProductUpdate{Title: &title})
	case editDescription:
		desc := ""
		if in.Button != buttonClear {
			var why string
			if desc, why = b.k.ReadText(lang, in, telegram.DescriptionField); why != "" {
				return again(why)
			}
		}
		return product(catalog.ProductUpdate{Description: &desc})
	case editPhotos:
		switch {
		case in.Photo != "":
			data.Photos = append(data.Photos, in.Photo)
			if len(data.Photos) >= catalog.MaxPhotos {
				return product(catalog.ProductUpdate{Photos: &data.Photos})
			}
			return next(editPhotos)
		case in.Button == telegram.ButtonDone && len(data.Photos) > 0:
			return product(catalog.ProductUpdate{Photos: &data.Photos})
		case in.Button == buttonClear:
			none := []string{}
			return product(catalog.ProductUpdate{Photos: &none})
		}
		return again(b.k.WrongInput(lang, in, "adm_want_photo"))
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
		name, why := b.k.ReadVariantName(lang, in, taken)
		if why != "" {
			return again(why)
		}
		return variant(catalog.VariantUpdate{Name: &name})
	case editVariantPrice:
		price, why := b.k.ReadPrice(lang, in, data.Currency)
		if why != "" {
			return again(why)
		}
		return variant(catalog.VariantUpdate{Price: &price})
	case editShopName:
		name, why := b.k.ReadText(lang, in, telegram.ShopNameField)
		if why != "" {
			return again(why)
		}
		return settings(catalog.ShopSettings{Name: &name})
	case editReservation:
		if in.Text == "" {
			return again(b.k.WrongInput(lang, in, "adm_want_minutes"))
		}
		mins, err := telegram.ParseQuantity(in.Text, 1, int(catalog.MaxReservationTTL/time.Minute))
		if err != nil {
			return again(b.k.T(lang, "err_reservation_ttl"))
		}
		ttl := time.Duration(mins) * time.Minute
		return settings(catalog.ShopSettings{ReservationTTL: &ttl})
	}
	return b.k.EndDialog(ctx, r)
}
