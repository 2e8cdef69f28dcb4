package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

// The add-product conversation: title -> description (or skip) -> photos (or skip)
// -> price -> one variant with its stock, or variants one by one (name, price,
// stock) -> category (or none) -> preview -> save.

// Steps of the add-product conversation.
const (
	stepProductTitle   = "p.title"
	stepProductDesc    = "p.desc"
	stepProductPhotos  = "p.photos"
	stepProductPrice   = "p.price"
	stepProductKind    = "p.kind"
	stepProductStock   = "p.stock"
	stepProductVName   = "p.vname"
	stepProductVPrice  = "p.vprice"
	stepProductVStock  = "p.vstock"
	stepProductCat     = "p.cat"
	stepProductPreview = "p.preview"
)

// Values of the add-product conversation's buttons.
const (
	buttonOneVariant   = "one"
	buttonManyVariants = "many"
	buttonSave         = "save"
	buttonCancel       = "cancel"
)

// productDraft is what the add-product conversation collected.
type productDraft struct {
	ShopID       core.ShopID     `json:"shop_id"`
	ShopName     string          `json:"shop_name"`
	Currency     core.Currency   `json:"currency"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description,omitempty"`
	Photos       []string        `json:"photos,omitempty"`
	Price        core.Money      `json:"price"`
	Variants     []draftVariant  `json:"variants,omitempty"`
	Pending      draftVariant    `json:"pending"` // the variant being entered
	CategoryID   core.CategoryID `json:"category_id,omitempty"`
	CategoryName string          `json:"category_name,omitempty"`
}

type draftVariant struct {
	Name  string     `json:"name,omitempty"`
	Price core.Money `json:"price"`
	Stock int        `json:"stock"`
}

// onAdminNewProduct starts the add-product conversation: apn:<shop>.
func (b *Bot) onAdminNewProduct(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	draft := productDraft{ShopID: shop.ID, ShopName: shop.Name, Currency: shop.Currency}
	if err := b.startDialog(ctx, r, dialogProduct, stepProductTitle, draft); err != nil {
		return err
	}
	v, err := b.productPrompt(ctx, r.lang, stepProductTitle, draft)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// productPrompt asks a step's question.
func (b *Bot) productPrompt(ctx context.Context, lang, step string, d productDraft) (view, error) {
	k := &keyboard{}
	var text string
	switch step {
	case stepProductTitle:
		text = b.t(lang, "adm_ask_title", d.ShopName)
	case stepProductDesc:
		text = b.t(lang, "adm_ask_description", d.Title)
		k.row(stepButton(b.label(lang, "adm_btn_skip"), step, buttonSkip))
	case stepProductPhotos:
		if len(d.Photos) == 0 {
			text = b.t(lang, "adm_ask_photos", catalog.MaxPhotos)
			k.row(stepButton(b.label(lang, "adm_btn_skip"), step, buttonSkip))
		} else {
			text = b.t(lang, "adm_photo_added", len(d.Photos), catalog.MaxPhotos)
			k.row(stepButton(b.label(lang, "adm_btn_done"), step, buttonDone))
		}
	case stepProductPrice:
		text = b.t(lang, "adm_ask_price", string(d.Currency), priceExample(d.Currency))
	case stepProductKind:
		text = b.t(lang, "adm_ask_kind", formatMoney(lang, d.Price))
		k.row(stepButton(b.label(lang, "adm_btn_one_variant"), step, buttonOneVariant))
		k.row(stepButton(b.label(lang, "adm_btn_many_variants"), step, buttonManyVariants))
	case stepProductStock:
		text = b.t(lang, "adm_ask_stock")
	case stepProductVName:
		text = b.t(lang, "adm_ask_vname", len(d.Variants)+1)
		if len(d.Variants) > 0 {
			text = b.t(lang, "adm_variants_so_far", htmlText(b.draftVariants(lang, d))) + "\n\n" + text
			k.row(stepButton(b.label(lang, "adm_btn_variants_done"), step, buttonDone))
		}
	case stepProductVPrice:
		text = b.t(lang, "adm_ask_vprice", d.Pending.Name, string(d.Currency))
		k.row(stepButton(b.label(lang, "adm_btn_same_price", formatMoney(lang, d.Price)), step, buttonSkip))
	case stepProductVStock:
		text = b.t(lang, "adm_ask_vstock", d.Pending.Name)
	case stepProductCat:
		cats, err := b.catalog.Categories(ctx, d.ShopID)
		if err != nil {
			return view{}, fmt.Errorf("list categories: %w", err)
		}
		if len(cats) == 0 {
			text = b.t(lang, "adm_ask_first_category")
			k.row(stepButton(b.label(lang, "adm_btn_skip"), step, "0"))
			break
		}
		text = b.t(lang, "adm_ask_product_category")
		for _, c := range cats {
			k.row(stepButton(c.Name, step, strconv.FormatInt(int64(c.ID), 10)))
		}
		k.row(stepButton(b.label(lang, "adm_btn_no_category"), step, "0"))
	case stepProductPreview:
		text = b.productPreview(lang, d)
		k.row(stepButton(b.label(lang, "adm_btn_save"), step, buttonSave))
		k.row(stepButton(b.label(lang, "adm_btn_discard"), step, buttonCancel))
		return view{text: text, kb: k.markup()}, nil
	}
	return view{text: text + "\n\n" + b.t(lang, "adm_cancel_hint"), kb: k.markup()}, nil
}

// priceExample is how a price of cur is written, for the question.
func priceExample(cur core.Currency) string {
	if exp, _ := cur.Exponent(); exp == 0 {
		return "150"
	}
	return "1250 / 12,50"
}

// draftVariants lists the variants entered so far, as HTML.
func (b *Bot) draftVariants(lang string, d productDraft) string {
	var lines []string
	for _, v := range d.Variants {
		name := v.Name
		if name == "" {
			name = b.t(lang, "adm_variant_single")
		}
		lines = append(lines, b.t(lang, "adm_draft_variant", name, formatMoney(lang, v.Price), v.Stock))
	}
	return strings.Join(lines, "\n")
}

// productPreview renders the product about to be saved.
func (b *Bot) productPreview(lang string, d productDraft) string {
	lines := []string{b.t(lang, "adm_preview"), "", "<b>" + escape(d.Title) + "</b>"}
	if d.Description != "" {
		lines = append(lines, escape(truncate(d.Description, 600)))
	}
	lines = append(lines, "")
	category := b.t(lang, "adm_category_none")
	if d.CategoryID != 0 {
		category = escape(d.CategoryName)
	}
	lines = append(lines,
		b.t(lang, "adm_product_category", htmlText(category)),
		b.t(lang, "adm_product_photos", len(d.Photos)),
		"", b.t(lang, "adm_product_variants"),
		b.draftVariants(lang, d),
	)
	return strings.Join(lines, "\n")
}

// productStep handles one input of the add-product conversation.
func (b *Bot) productStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var d productDraft
	if ok, err := b.decode(ctx, r, st, &d); !ok {
		return err
	}
	lang := r.lang
	again, next := b.stepMoves(ctx, r, st, &d, func(step string) (view, error) {
		return b.productPrompt(ctx, lang, step, d)
	})

	switch st.Step {
	case stepProductTitle:
		title, why := b.readText(lang, in, titleField)
		if why != "" {
			return again(why)
		}
		d.Title = title
		return next(stepProductDesc)

	case stepProductDesc:
		desc := ""
		if in.button != buttonSkip {
			var why string
			if desc, why = b.readText(lang, in, descriptionField); why != "" {
				return again(why)
			}
		}
		d.Description = desc
		return next(stepProductPhotos)

	case stepProductPhotos:
		switch {
		case in.photo != "":
			d.Photos = append(d.Photos, in.photo)
			if len(d.Photos) >= catalog.MaxPhotos {
				return next(stepProductPrice)
			}
			return next(stepProductPhotos)
		case in.button == buttonSkip && len(d.Photos) == 0, in.button == buttonDone:
			return next(stepProductPrice)
		}
		return again(b.wrongInput(lang, in, "adm_want_photo"))

	case stepProductPrice:
		price, why := b.readPrice(lang, in, d.Currency)
		if why != "" {
			return again(why)
		}
		d.Price = price
		return next(stepProductKind)

	case stepProductKind:
		switch in.button {
		case buttonOneVariant:
			return next(stepProductStock)
		case buttonManyVariants:
			d.Variants = nil
			return next(stepProductVName)
		}
		return again(b.wrongInput(lang, in, "adm_want_choice"))

	case stepProductStock:
		n, why := b.readCount(lang, in)
		if why != "" {
			return again(why)
		}
		d.Variants = []draftVariant{{Price: d.Price, Stock: n}}
		return next(stepProductCat)

	case stepProductVName:
		if in.button == buttonDone && len(d.Variants) > 0 {
			return next(stepProductCat)
		}
		var taken []string
		for _, v := range d.Variants {
			taken = append(taken, v.Name)
		}
		name, why := b.readVariantName(lang, in, taken)
		if why != "" {
			return again(why)
		}
		d.Pending = draftVariant{Name: name, Price: d.Price}
		return next(stepProductVPrice)

	case stepProductVPrice:
		price := d.Price
		if in.button != buttonSkip {
			var why string
			if price, why = b.readPrice(lang, in, d.Currency); why != "" {
				return again(why)
			}
		}
		d.Pending.Price = price
		return next(stepProductVStock)

	case stepProductVStock:
		n, why := b.readCount(lang, in)
		if why != "" {
			return again(why)
		}
		d.Pending.Stock = n
		d.Variants = append(d.Variants, d.Pending)
		d.Pending = draftVariant{}
		if len(d.Variants) >= catalog.MaxVariants {
			return next(stepProductCat)
		}
		return next(stepProductVName)

	case stepProductCat:
		return b.productCategory(ctx, r, &d, in, again, next)

	case stepProductPreview:
		switch in.button {
		case buttonSave:
			return b.saveProduct(ctx, r, d)
		case buttonCancel:
			if err := b.endDialog(ctx, r); err != nil {
				return err
			}
			k := (&keyboard{}).row(button(b.label(lang, "adm_btn_products_back"), verbAdminProducts, d.ShopID, 0, 0))
			return b.show(ctx, r, view{text: b.t(lang, "adm_product_discarded"), kb: k.markup()})
		}
		return again(b.wrongInput(lang, in, "adm_want_save"))
	}
	return b.endDialog(ctx, r)
}

// productCategory takes the category step: a category's button, "none", or the
// name of a category, which is created unless the shop has it already. It sets
// d's category; next saves d.
func (b *Bot) productCategory(ctx context.Context, r *request, d *productDraft, in adminInput,
	again func(string) error, next func(string) error) error {
	cats, err := b.catalog.Categories(ctx, d.ShopID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	switch {
	case in.button != "":
		id, err := strconv.ParseInt(in.button, 10, 64)
		if err != nil {
			return again(b.wrongInput(r.lang, in, "adm_want_category"))
		}
		d.CategoryID, d.CategoryName = 0, ""
		for _, c := range cats {
			if int64(c.ID) == id {
				d.CategoryID, d.CategoryName = c.ID, c.Name
			}
		}
		if id != 0 && d.CategoryID == 0 {
			return again(b.t(r.lang, "err_category_not_found"))
		}
		return next(stepProductPreview)
	case in.text != "":
		if _, why := b.readText(r.lang, in, categoryField); why != "" {
			return again(why)
		}
		for _, c := range cats {
			if strings.EqualFold(c.Name, in.text) {
				d.CategoryID, d.CategoryName = c.ID, c.Name
				return next(stepProductPreview)
			}
		}
		c, err := b.catalog.CreateCategory(ctx, r.userID(), d.ShopID, in.text)
		if err != nil {
			return err
		}
		d.CategoryID, d.CategoryName = c.ID, c.Name
		return next(stepProductPreview)
	}
	return again(b.wrongInput(r.lang, in, "adm_want_category"))
}

// saveProduct creates the product and shows it.
func (b *Bot) saveProduct(ctx context.Context, r *request, d productDraft) error {
	n := catalog.NewProduct{
		ShopID: d.ShopID, CategoryID: d.CategoryID, Title: d.Title, Description: d.Description, Photos: d.Photos,
	}
	for _, v := range d.Variants {
		n.Variants = append(n.Variants, catalog.NewVariant{Name: v.Name, Price: v.Price, Stock: v.Stock})
	}
	p, err := b.catalog.CreateProduct(ctx, r.userID(), n)
	if err != nil {
		return err
	}
	return b.finishDialog(ctx, r, dialogProduct, b.t(r.lang, "adm_product_saved", p.Title), screen(verbAdminProduct, p.ID))
}
