package telegram

import (
	"context"
	"errors"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Staff in the admin menu (the owner's): the list, a one-time invitation link for
// a manager, removing a manager. The link t.me/<bot>?start=inv_<token> arrives as
// "/start inv_<token>", which the shopper side's /start passes to acceptInvite.

func (b *Bot) onAdminStaff(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	return b.showStaff(ctx, r, core.ShopID(id), "")
}

// showStaff shows a shop's staff under an optional HTML note (the invitation).
func (b *Bot) showStaff(ctx context.Context, r *request, id core.ShopID, note string) error {
	shop, err := b.ownerShop(ctx, r, id)
	if err != nil {
		return err
	}
	staff, err := b.catalog.Staff(ctx, r.userID(), shop.ID)
	if err != nil {
		return err
	}
	lang := r.lang
	text := b.t(lang, "adm_staff", shop.Name)
	k := &keyboard{}
	for _, m := range staff {
		name := staffName(m)
		text += "\n" + b.t(lang, "adm_staff_line", name, b.t(lang, "adm_role_"+string(m.Role)))
		if m.Role == catalog.RoleManager {
			k.row(button(b.label(lang, "adm_btn_remove", name), verbAdminRemoveAsk, shop.ID, m.UserID))
		}
	}
	if note != "" {
		text += "\n\n" + note
	}
	k.row(button(b.label(lang, "adm_btn_invite"), verbAdminInvite, shop.ID))
	k.row(button(b.label(lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// staffName names a staff member: first name and @username.
func staffName(m catalog.StaffMember) string {
	name := m.FirstName
	if name == "" {
		name = "#" + formatID(m.UserID)
	}
	if m.Username != "" {
		name += " (@" + m.Username + ")"
	}
	return name
}

// onAdminInvite makes a one-time invitation link for a manager: asfi:<shop>.
func (b *Bot) onAdminInvite(ctx context.Context, r *request, shop catalog.Shop) error {
	inv, err := b.catalog.CreateInvite(ctx, r.userID(), shop.ID)
	if err != nil {
		return err
	}
	payload, err := inviteLink(inv.Token)
	if err != nil {
		return err
	}
	note := b.t(r.lang, "adm_invite", b.startURL(payload), inv.ExpiresAt.UTC().Format("2006-01-02 15:04"))
	return b.showStaff(ctx, r, shop.ID, note)
}

// onAdminRemoveAsk asks to confirm removing a manager: asfr:<shop>:<user>.
func (b *Bot) onAdminRemoveAsk(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	shop, err := b.ownerShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	user := core.UserID(a[1])
	k := &keyboard{}
	k.row(button(b.label(r.lang, "adm_btn_remove_yes"), verbAdminRemoveStaff, shop.ID, user))
	k.row(button(b.label(r.lang, "btn_back"), verbAdminStaff, shop.ID))
	return b.show(ctx, r, view{text: b.t(r.lang, "adm_remove_ask", b.userLabel(ctx, user), shop.Name), kb: k.markup()})
}

// onAdminRemoveStaff removes a manager: asfy:<shop>:<user>. Removing someone who is
// no longer staff (a second tap) is not an error.
func (b *Bot) onAdminRemoveStaff(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	shop, err := b.ownerShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	if err := b.catalog.RemoveStaff(ctx, r.userID(), shop.ID, core.UserID(a[1])); err != nil {
		return err
	}
	r.answer(b.label(r.lang, "adm_removed"))
	return b.showStaff(ctx, r, shop.ID, "")
}

// acceptInvite makes the person a manager of the shop that invited them, and shows
// them its menu. It is the hidden /invite command, which /start inv_<token> calls.
// A used, expired or unknown invitation is explained; accepting one's own link, or
// the same link twice, shows the menu again.
func (b *Bot) acceptInvite(ctx context.Context, r *request, token string) error {
	m, err := b.catalog.AcceptInvite(ctx, r.userID(), token)
	if errors.Is(err, catalog.ErrInviteInvalid) {
		return b.sendText(ctx, r.chatID, b.t(r.lang, "adm_invite_invalid"), nil)
	}
	if err != nil {
		return err
	}
	if err := b.sendText(ctx, r.chatID, b.t(r.lang, "adm_invite_accepted", m.Shop.Name, b.t(r.lang, "adm_role_"+string(m.Role))), nil); err != nil {
		return err
	}
	return b.showAdminMenu(ctx, r, m.Shop.ID)
}
