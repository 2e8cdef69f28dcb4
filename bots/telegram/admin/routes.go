package admin

import telegram "github.com/vitrina-shop/vitrina/bots/telegram"

// Callback verbs of the seller's menu and its parts (telegram's callback.go lists
// the shared ones). Arguments
// are record ids unless said otherwise.
const (
	VerbAdminShops          = "as"   // as:<page>: the shops the person works for
	verbAdminProducts       = "apl"  // apl:<shop>:<archived 0|1>:<page>
	verbAdminProduct        = "ap"   // ap:<product>
	verbAdminNewProduct     = "apn"  // apn:<shop>: the add-product conversation
	verbAdminEditProduct    = "ape"  // ape:<product>:<field>: edit a field (editTitle, ...)
	verbAdminCategoryChoice = "apk"  // apk:<product>: choose the product's category
	verbAdminSetCategory    = "apc"  // apc:<product>:<category, 0 for none>
	verbAdminArchive        = "apa"  // apa:<product>:<1 archive | 0 restore>
	verbAdminVariant        = "av"   // av:<variant>
	verbAdminEditVariant    = "ave"  // ave:<variant>:<field>
	verbAdminAddVariant     = "avn"  // avn:<product>
	verbAdminAdjust         = "avk"  // avk:<variant>:<kind code>: adjust stock (stockKindCodes)
	verbAdminMovements      = "avm"  // avm:<variant>: the last movements of the ledger
	verbAdminCategories     = "acl"  // acl:<shop>
	verbAdminNewCategory    = "acn"  // acn:<shop>:<product to give it to, or 0>
	verbAdminStock          = "ast"  // ast:<shop>: import and export
	verbAdminExport         = "asx"  // asx:<shop>
	verbAdminImport         = "asi"  // asi:<shop>: wait for a stock file
	verbAdminImportConfirm  = "aic"  // aic:<shop>:<nonce>: apply the previewed import
	VerbAdminOrders         = "aol"  // aol:<shop>:<group code>:<page>
	VerbAdminShip           = "aos"  // aos:<order>: ask for a tracking note
	VerbAdminReady          = "aor"  // aor:<order>
	VerbAdminComplete       = "aoc"  // aoc:<order>
	VerbAdminCancelAsk      = "aox"  // aox:<order>: the confirmation step
	VerbAdminCancel         = "aoy"  // aoy:<order>
	VerbAdminRefund         = "arfy" // arfy:<order>:<payment>: it is refunded
	VerbAdminTotals         = "aot"  // aot:<shop>
	VerbAdminSettings       = "ase"  // ase:<shop>
	VerbAdminRename         = "asn"  // asn:<shop>
	VerbAdminPayment        = "asp"  // asp:<shop>
	VerbAdminReservation    = "asr"  // asr:<shop>
	VerbAdminPickups        = "apt"  // apt:<shop>
	VerbAdminAddPickup      = "apta" // apta:<shop>
	VerbAdminRemovePickup   = "aptr" // aptr:<shop>:<pickup point>
	VerbAdminShipping       = "ash"  // ash:<shop>
	VerbAdminAddShipping    = "asha" // asha:<shop>
	VerbAdminRemoveShipping = "ashr" // ashr:<shop>:<shipping option>
	VerbAdminStaff          = "asf"  // asf:<shop>
	VerbAdminInvite         = "asfi" // asfi:<shop>
	VerbAdminRemoveAsk      = "asfr" // asfr:<shop>:<user>
	VerbAdminRemoveStaff    = "asfy" // asfy:<shop>:<user>
	VerbOperatorShop        = "aoq"  // aoq:<shop>
	VerbOperatorBlock       = "aob"  // aob:<shop>:<1 block | 0 unblock>
)

// adminRoutes registers the seller side's commands, callback verbs and
// conversations.
func (b *Feature) adminRoutes(r *telegram.Router) {
	r.Command("admin", b.cmdAdmin, "cmd_admin")

	for verb, fn := range map[string]telegram.CallbackFunc{
		VerbAdminShops:           b.onAdminShops,
		telegram.VerbAdminMenu:   telegram.WithID(b.ShowAdminMenu),
		telegram.VerbAdminButton: b.k.OnDialogButton,
		verbAdminProducts:        b.onAdminProducts,
		verbAdminProduct:         telegram.WithID(b.showAdminProduct),
		verbAdminNewProduct:      b.k.ForStaff(b.onAdminNewProduct),
		verbAdminEditProduct:     b.onAdminEditProduct,
		verbAdminCategoryChoice:  b.onAdminCategoryChoice,
		verbAdminSetCategory:     b.onAdminSetCategory,
		verbAdminArchive:         b.onAdminArchive,
		verbAdminVariant:         telegram.WithID(b.showAdminVariant),
		verbAdminEditVariant:     b.onAdminEditVariant,
		verbAdminAddVariant:      b.onAdminAddVariant,
		verbAdminAdjust:          b.onAdminAdjust,
		verbAdminMovements:       b.onAdminMovements,
		verbAdminCategories:      b.k.ForStaff(b.onAdminCategories),
		verbAdminNewCategory:     b.onAdminNewCategory,
		verbAdminStock:           b.k.ForStaff(b.onAdminStock),
		verbAdminExport:          b.k.ForStaff(b.onAdminExport),
		verbAdminImport:          b.k.ForStaff(b.onAdminImport),
		verbAdminImportConfirm:   b.onAdminImportConfirm,
	} {
		r.Callback(verb, fn)
	}

	for kind, step := range b.adminDialogs() {
		r.Conversation(kind, step, b.k.DialogStep)
	}
	r.AddTexts(adminTexts())
}

// Codes of the order lists in callback data.
const (
	OrderGroupPaid = "p"
)

// Callback verbs of reminders and back-in-stock alerts.
const (
	// The owner's reminder settings: ns:<shop>; the abandoned-cart delay in hours
	// (0: off) nc:<shop>:<hours>; the review request delay in days (0: off)
	// nv:<shop>:<days>.
	VerbAdminReminders     = "ns"
	VerbAdminCartReminder  = "nc"
	VerbAdminReviewRequest = "nv"
)

// adminDialogs lists the seller side's conversations.
func (b *Feature) adminDialogs() map[string]telegram.StepFunc {
	return map[string]telegram.StepFunc{
		telegram.DialogProduct:  b.productStep,
		telegram.DialogEdit:     b.editStep,
		telegram.DialogVariant:  b.variantStep,
		telegram.DialogCategory: b.categoryStep,
		telegram.DialogStock:    b.stockStep,
		telegram.DialogImport:   b.importStep,
	}
}
