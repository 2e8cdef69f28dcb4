package telegram

// The seller's side: /sell opens a shop (sell.go); /admin opens the seller's menu,
// one message edited in place (admin_menu.go), with products (admin_products.go,
// admin_product_add.go), stock (admin_stock.go), orders (admin_orders.go),
// settings (admin_settings.go), staff (admin_staff.go) and, for platform
// operators, the list of shops to block (admin_operator.go). Conversations share
// the mechanics of admin_dialog.go.
//
// Callback data never decides who may do what: every handler reads the record it
// names, finds its shop, and asks the catalog for the person's role there before
// showing or changing anything, and the services check the role again.

// Callback verbs of the seller side (callback.go lists the shopper's). Arguments
// are record ids unless said otherwise.
const (
	verbAdminShops  = "as" // as:<page>: the shops the person works for
	verbAdminMenu   = "am" // am:<shop>: a shop's menu
	verbAdminButton = "ad" // ad:<step>:<value>: a button of a conversation step (admin_dialog.go)

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
	verbAdminOrders         = "aol"  // aol:<shop>:<group code>:<page>
	verbAdminShip           = "aos"  // aos:<order>: ask for a tracking note
	verbAdminReady          = "aor"  // aor:<order>
	verbAdminComplete       = "aoc"  // aoc:<order>
	verbAdminCancelAsk      = "aox"  // aox:<order>: the confirmation step
	verbAdminCancel         = "aoy"  // aoy:<order>
	verbAdminRefundAsk      = "arfa" // arfa:<order>:<payment>: confirm a card refund at the provider?
	verbAdminRefund         = "arfy" // arfy:<order>:<payment>: it is refunded
	verbAdminTotals         = "aot"  // aot:<shop>
	verbAdminSettings       = "ase"  // ase:<shop>
	verbAdminRename         = "asn"  // asn:<shop>
	verbAdminPayment        = "asp"  // asp:<shop>
	verbAdminReservation    = "asr"  // asr:<shop>
	verbAdminPickups        = "apt"  // apt:<shop>
	verbAdminAddPickup      = "apta" // apta:<shop>
	verbAdminRemovePickup   = "aptr" // aptr:<shop>:<pickup point>
	verbAdminShipping       = "ash"  // ash:<shop>
	verbAdminAddShipping    = "asha" // asha:<shop>
	verbAdminRemoveShipping = "ashr" // ashr:<shop>:<shipping option>
	verbAdminStaff          = "asf"  // asf:<shop>
	verbAdminInvite         = "asfi" // asfi:<shop>
	verbAdminRemoveAsk      = "asfr" // asfr:<shop>:<user>
	verbAdminRemoveStaff    = "asfy" // asfy:<shop>:<user>
	verbOperatorShops       = "aop"  // aop:<page>: every shop, for operators
	verbOperatorShop        = "aoq"  // aoq:<shop>
	verbOperatorBlock       = "aob"  // aob:<shop>:<1 block | 0 unblock>
)

// adminRoutes registers the seller side's commands, callback verbs and
// conversations.
func (b *Bot) adminRoutes(r *router) {
	r.command("sell", b.cmdSell, "cmd_sell")
	r.command("admin", b.cmdAdmin, "cmd_admin")
	r.command(inviteCommand, b.acceptInvite, "")

	for verb, fn := range map[string]callbackFunc{
		verbAdminShops:          b.onAdminShops,
		verbAdminMenu:           withID(b.showAdminMenu),
		verbAdminButton:         b.onDialogButton,
		verbAdminProducts:       b.onAdminProducts,
		verbAdminProduct:        withID(b.showAdminProduct),
		verbAdminNewProduct:     b.forStaff(b.onAdminNewProduct),
		verbAdminEditProduct:    b.onAdminEditProduct,
		verbAdminCategoryChoice: b.onAdminCategoryChoice,
		verbAdminSetCategory:    b.onAdminSetCategory,
		verbAdminArchive:        b.onAdminArchive,
		verbAdminVariant:        withID(b.showAdminVariant),
		verbAdminEditVariant:    b.onAdminEditVariant,
		verbAdminAddVariant:     b.onAdminAddVariant,
		verbAdminAdjust:         b.onAdminAdjust,
		verbAdminMovements:      b.onAdminMovements,
		verbAdminCategories:     b.forStaff(b.onAdminCategories),
		verbAdminNewCategory:    b.onAdminNewCategory,
		verbAdminStock:          b.forStaff(b.onAdminStock),
		verbAdminExport:         b.forStaff(b.onAdminExport),
		verbAdminImport:         b.forStaff(b.onAdminImport),
		verbAdminImportConfirm:  b.onAdminImportConfirm,
		verbAdminOrders:         b.onAdminOrders,
		verbAdminOrder:          withID(b.showAdminOrder),
		verbAdminOrderNew:       fresh(withID(b.showAdminOrder)),
		verbAdminShip:           b.forStaffOrder(b.onAdminShip),
		verbAdminReady:          b.fulfil("adm_ready_done", b.orders.MarkReadyForPickup),
		verbAdminComplete:       b.fulfil("adm_completed", b.orders.Complete),
		verbAdminCancelAsk:      b.forStaffOrder(b.onAdminCancelAsk),
		verbAdminCancel:         b.fulfil("adm_cancelled", b.cancelOrder),
		verbAdminRefundAsk:      b.onAdminRefundAsk,
		verbAdminRefund:         b.onAdminRefund,
		verbAdminTotals:         b.forStaff(b.onAdminTotals),
		verbAdminSettings:       b.forOwner(b.onAdminSettings),
		verbAdminRename:         b.forOwner(b.onAdminRename),
		verbAdminPayment:        b.forOwner(b.onAdminPayment),
		verbAdminReservation:    b.forOwner(b.onAdminReservation),
		verbAdminPickups:        withID(b.showPickups),
		verbAdminAddPickup:      b.forStaff(b.onAdminAddPickup),
		verbAdminRemovePickup:   b.onAdminRemovePickup,
		verbAdminShipping:       withID(b.showShipping),
		verbAdminAddShipping:    b.forStaff(b.onAdminAddShipping),
		verbAdminRemoveShipping: b.onAdminRemoveShipping,
		verbAdminStaff:          b.onAdminStaff,
		verbAdminInvite:         b.forOwner(b.onAdminInvite),
		verbAdminRemoveAsk:      b.onAdminRemoveAsk,
		verbAdminRemoveStaff:    b.onAdminRemoveStaff,
		verbOperatorShops:       b.onOperatorShops,
		verbOperatorShop:        withID(b.showOperatorShop),
		verbOperatorBlock:       b.onOperatorBlock,
	} {
		r.callback(verb, fn)
	}

	r.callback(verbAdminReminders, b.forOwner(b.onAdminReminders))
	r.callback(verbAdminCartReminder, b.onAdminCartReminder)
	r.callback(verbAdminReviewRequest, b.onAdminReviewRequest)

	for kind, step := range b.adminDialogs() {
		r.conversation(kind, step, b.dialogStep)
	}
	r.addTexts(adminTexts())
}
