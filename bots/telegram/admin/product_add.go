package admin

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
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
func (b *Feature) onAdminNewProduct(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	draft := productDraft{ShopID: shop.ID, ShopName: shop.Name, Currency: shop.Currency}
	if err := b.k.StartDialog(ctx, r, telegram.DialogProduct, stepProductTitle, draft); err != nil {
		return err
	}
	v, err := b.productPrompt(ctx, r.Lang, stepProductTitle, draft)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// productPrompt asks a step's question.
func (b *Feature) productPrompt(ctx context.Context, lang, step string, d productDraft) (telegram.View, error) {
	k := &telegram.Keyboard{}
	var text string
	switch step {
	case stepProductTitle:
		text = b.k.T(lang, "adm_ask_title", d.ShopName)
	case stepProductDesc:
		text = b.k.T(lang, "adm_ask_description", d.Title)
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_skip"), step, telegram.ButtonSkip))
	case stepProductPhotos:
		if len(d.Photos) == 0 {
			text = b.k.T(lang, "adm_ask_photos", catalog.MaxPhotos)
			k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_skip"), step, telegram.ButtonSkip))
		} else {
			text = b.k.T(lang, "adm_photo_added", len(d.Photos), catalog.MaxPhotos)
			k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_done"), step, telegram.ButtonDone))
		}
	case stepProductPrice:
		text = b.k.T(lang, "adm_ask_price", string(d.Currency), priceExample(d.Currency))
	case stepProductKind:
		text = b.k.T(lang, "adm_ask_kind", telegram.FormatMoney(lang, d.Price))
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_one_variant"), step, buttonOneVariant))
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_many_variants"), step, buttonManyVariants))
	case stepProductStock:
		text = b.k.T(lang, "adm_ask_stock")
	case stepProductVName:
		text = b.k.T(lang, "adm_ask_vname", len(d.Variants)+1)
		if len(d.Variants) > 0 {
			text = b.k.T(lang, "adm_variants_so_far", telegram.HTML(b.draftVariants(lang, d))) + "\n\n" + text
			k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_variants_done"), step, telegram.ButtonDone))
		}
	case stepProductVPrice:
		text = b.k.T(lang, "adm_ask_vprice", d.Pending.Name, string(d.Currency))
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_same_price", telegram.FormatMoney(lang, d.Price)), step, telegram.ButtonSkip))
	case stepProductVStock:
		text = b.k.T(lang, "adm_ask_vstock", d.Pending.Name)
	case stepProductCat:
		cats, err := b.catalog.Categories(ctx, d.ShopID)
		if err != nil {
			return telegram.View{}, fmt.Errorf("list categories: %w", err)
		}
		if len(cats) == 0 {
			text = b.k.T(lang, "adm_ask_first_category")
			k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_skip"), step, "0"))
			break
		}
		text = b.k.T(lang, "adm_ask_product_category")
		for _, c := range cats {
			k.Row(telegram.StepButton(c.Name, step, strconv.FormatInt(int64(c.ID), 10)))
		}
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_no_category"), step, "0"))
	case stepProductPreview:
		text = b.productPreview(lang, d)
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_save"), step, buttonSave))
		k.Row(telegram.StepButton(b.k.Label(lang, "adm_btn_discard"), step, telegram.ButtonCancel))
		return telegram.View{Text: text, Keyboard: k.Markup()}, nil
	}
	return telegram.View{Text: text + "\n\n" + b.k.T(lang, "adm_cancel_hint"), Keyboard: k.Markup()}, nil
}

// priceExample is how a price of cur is written, for the question.
func priceExample(cur core.Currency) string {
	if exp, _ := cur.Exponent(); exp == 0 {
		return "150"
	}
	return "1250 / 12,50"
}

// draftVariants lists the variants entered so far, as HTML.
func (b *Feature) draftVariants(lang string, d productDraft) string {
	var lines []string
	for _, v := range d.Variants {
		name := v.Name
		if name == "" {
			name = b.k.T(lang, "adm_variant_single")
		}
		lines = append(lines, b.k.T(lang, "adm_draft_variant", name, telegram.FormatMoney(lang, v.Price), v.Stock))
	}
	return strings.Join(lines, "\n")
}

// productPreview renders the product about to be saved.
func (b *Feature) productPreview(lang string, d productDraft) string {
	lines := []string{b.k.T(lang, "adm_preview"), "", "<b>" + telegram.Escape(d.Title) + "</b>"}
	if d.Description != "" {
		lines = append(lines, telegram.Escape(telegram.Truncate(d.Description, 600)))
	}
	lines = append(lines, "")
	category := b.k.T(lang, "adm_category_none")
	if d.CategoryID != 0 {
		category = telegram.Escape(d.CategoryName)
	}
	lines = append(lines,
		b.k.T(lang, "adm_product_category", telegram.HTML(category)),
		b.k.T(lang, "adm_product_photos", len(d.Photos)),
		"", b.k.T(lang, "adm_product_variants"),
		b.draftVariants(lang, d),
	)
	return strings.Join(lines, "\n")
}

// productStep handles one input of the add-product conversation.
func (b *Feature) productStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var d productDraft
	if ok, err := b.k.Decode(ctx, r, st, &d); !ok {
		return err
	}
	lang := r.Lang
	again, next := b.k.StepMoves(ctx, r, st, &d, func(step string) (telegram.View, error) {
		return b.productPrompt(ctx, lang, step, d)
	})

	switch st.Step {
	case stepProductTitle:
		title, why := b.k.ReadText(lang, in, telegram.TitleField)
		if why != "" {
			return again(why)
		}
		d.Title = title
		return next(stepProductDesc)

	case stepProductDesc:
		desc := ""
		if in.Button != telegram.ButtonSkip {
			var why string
			if desc, why = b.k.ReadText(lang, in, telegram.DescriptionField); why != "" {
				return again(why)
			}
		}
		d.Description = desc
		return next(stepProductPhotos)

	case stepProductPhotos:
		switch {
		case in.Photo != "":
			d.Photos = append(d.Photos, in.Photo)
			if len(d.Photos) >= catalog.MaxPhotos {
				return next(stepProductPrice)
			}
			return next(stepProductPhotos)
		case in.Button == telegram.ButtonSkip && len(d.Photos) == 0, in.Button == telegram.ButtonDone:
			return next(stepProductPrice)
		}
		return again(b.k.WrongInput(lang, in, "adm_want_photo"))

	case stepProductPrice:
		price, why := b.k.ReadPrice(lang, in, d.Currency)
		if why != "" {
			return again(why)
		}
		d.Price = price
		return next(stepProductKind)

	case stepProductKind:
		switch in.Button {
		case buttonOneVariant:
			return next(stepProductStock)
		case buttonManyVariants:
			d.Variants = nil
			return next(stepProductVName)
		}
		return again(b.k.WrongInput(lang, in, "adm_want_choice"))

	case stepProductStock:
		n, why := b.k.ReadCount(lang, in)
		if why != "" {
			return again(why)
		}
		d.Variants = []draftVariant{{Price: d.Price, Stock: n}}
		return next(stepProductCat)

	case stepProductVName:
		if in.Button == telegram.ButtonDone && len(d.Variants) > 0 {
			return next(stepProductCat)
		}
		var taken []string
		for _, v := range d.Variants {
			taken = append(taken, v.Name)
		}
		name, why := b.k.ReadVariantName(lang, in, taken)
		if why != "" {
			return again(why)
		}
		d.Pending = draftVariant{Name: name, Price: d.Price}
		return next(stepProductVPrice)

	case stepProductVPrice:
		price := d.Price
		if in.Button != telegram.ButtonSkip {
			var why string
			if price, why = b.k.ReadPrice(lang, in, d.Currency); why != "" {
				return again(why)
			}
		}
		d.Pending.Price = price
		return next(stepProductVStock)

	case stepProductVStock:
		n, why := b.k.ReadCount(lang, in)
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
		switch in.Button {
		case buttonSave:
			return b.saveProduct(ctx, r, d)
		case telegram.ButtonCancel:
			if err := b.k.EndDialog(ctx, r); err != nil {
				return err
			}
			k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "adm_btn_products_back"), verbAdminProducts, d.ShopID, 0, 0))
			return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "adm_product_discarded"), Keyboard: k.Markup()})
		}
		return again(b.k.WrongInput(lang, in, "adm_want_save"))
	}
	return b.k.EndDialog(ctx, r)
}

// productCategory takes the category step: a category's button, "none", or the
// name of a category, which is created unless the shop has it already. It sets
// d's category; next saves d.
func (b *Feature) productCategory(ctx context.Context, r *telegram.Request, d *productDraft, in telegram.Input,
	again func(string) error, next func(string) error) error {
	cats, err := b.catalog.Categories(ctx, d.ShopID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	switch {
	case in.Button != "":
		id, err := strconv.ParseInt(in.Button, 10, 64)
		if err != nil {
			return again(b.k.WrongInput(r.Lang, in, "adm_want_category"))
		}
		d.CategoryID, d.CategoryName = 0, ""
		for _, c := range cats {
			if int64(c.ID) == id {
				d.CategoryID, d.CategoryName = c.ID, c.Name
			}
		}
		if id != 0 && d.CategoryID == 0 {
			return again(b.k.T(r.Lang, "err_category_not_found"))
		}
		return next(stepProductPreview)
	case in.Text != "":
		if _, why := b.k.ReadText(r.Lang, in, telegram.CategoryField); why != "" {
			return again(why)
		}
		for _, c := range cats {
			if strings.EqualFold(c.Name, in.Text) {
				d.CategoryID, d.CategoryName = c.ID, c.Name
				return next(stepProductPreview)
			}
		}
		c, err := b.catalog.CreateCategory(ctx, r.UserID(), d.ShopID, in.Text)
		if err != nil {
			return err
		}
		d.CategoryID, d.CategoryName = c.ID, c.Name
		return next(stepProductPreview)
	}
	return again(b.k.WrongInput(r.Lang, in, "adm_want_category"))
}

// saveProduct creates the product and shows it.
func (b *Feature) saveProduct(ctx context.Context, r *telegram.Request, d productDraft) error {
	n := catalog.NewProduct{
		ShopID: d.ShopID, CategoryID: d.CategoryID, Title: d.Title, Description: d.Description, Photos: d.Photos,
	}
	for _, v := range d.Variants {
		n.Variants = append(n.Variants, catalog.NewVariant{Name: v.Name, Price: v.Price, Stock: v.Stock})
	}
	p, err := b.catalog.CreateProduct(ctx, r.UserID(), n)
	if err != nil {
		return err
	}
	return b.k.FinishDialog(ctx, r, telegram.DialogProduct, b.k.T(r.Lang, "adm_product_saved", p.Title), telegram.Screen(verbAdminProduct, p.ID))
}
