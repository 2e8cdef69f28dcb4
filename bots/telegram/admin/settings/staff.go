package settings

import (
	"context"
	"errors"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"

	admin "github.com/vitrina-shop/vitrina/bots/telegram/admin"
)

// Staff in the admin menu (the owner's): the list, a one-time invitation link for
// a manager, removing a manager. The link t.me/<bot>?start=inv_<token> arrives as
// "/start inv_<token>", which the shopper side's /start passes to acceptInvite.

func (b *Feature) onAdminStaff(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
	if err != nil {
		return err
	}
	return b.showStaff(ctx, r, core.ShopID(id), "")
}

// showStaff shows a shop's staff under an optional HTML note (the invitation).
func (b *Feature) showStaff(ctx context.Context, r *telegram.Request, id core.ShopID, note string) error {
	shop, err := b.k.OwnerShop(ctx, r, id)
	if err != nil {
		return err
	}
	staff, err := b.catalog.Staff(ctx, r.UserID(), shop.ID)
	if err != nil {
		return err
	}
	lang := r.Lang
	text := b.k.T(lang, "adm_staff", shop.Name)
	k := &telegram.Keyboard{}
	for _, m := range staff {
		name := staffName(m)
		text += "\n" + b.k.T(lang, "adm_staff_line", name, b.k.T(lang, "adm_role_"+string(m.Role)))
		if m.Role == catalog.RoleManager {
			k.Row(telegram.Button(b.k.Label(lang, "adm_btn_remove", name), admin.VerbAdminRemoveAsk, shop.ID, m.UserID))
		}
	}
	if note != "" {
		text += "\n\n" + note
	}
	k.Row(telegram.Button(b.k.Label(lang, "adm_btn_invite"), admin.VerbAdminInvite, shop.ID))
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// staffName names a staff member: first name and @username.
func staffName(m catalog.StaffMember) string {
	name := m.FirstName
	if name == "" {
		name = "#" + telegram.FormatID(m.UserID)
	}
	if m.Username != "" {
		name += " (@" + m.Username + ")"
	}
	return name
}

// onAdminInvite makes a one-time invitation link for a manager: asfi:<shop>.
func (b *Feature) onAdminInvite(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	inv, err := b.catalog.CreateInvite(ctx, r.UserID(), shop.ID)
	if err != nil {
		return err
	}
	payload, err := telegram.InviteLink(inv.Token)
	if err != nil {
		return err
	}
	note := b.k.T(r.Lang, "adm_invite", b.k.StartURL(payload), inv.ExpiresAt.UTC().Format("2006-01-02 15:04"))
	return b.showStaff(ctx, r, shop.ID, note)
}

// onAdminRemoveAsk asks to confirm removing a manager: asfr:<shop>:<user>.
func (b *Feature) onAdminRemoveAsk(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	shop, err := b.k.OwnerShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	user := core.UserID(a[1])
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_remove_yes"), admin.VerbAdminRemoveStaff, shop.ID, user))
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), admin.VerbAdminStaff, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "adm_remove_ask", b.k.UserLabel(ctx, user), shop.Name), Keyboard: k.Markup()})
}

// onAdminRemoveStaff removes a manager: asfy:<shop>:<user>. Removing someone who is
// no longer staff (a second tap) is not an error.
func (b *Feature) onAdminRemoveStaff(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	shop, err := b.k.OwnerShop(ctx, r, core.ShopID(a[0]))
	if err != nil {
		return err
	}
	if err := b.catalog.RemoveStaff(ctx, r.UserID(), shop.ID, core.UserID(a[1])); err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "adm_removed"))
	return b.showStaff(ctx, r, shop.ID, "")
}

// acceptInvite makes the person a manager of the shop that invited them, and shows
// them its menu. It is the hidden /invite command, which /start inv_<token> calls.
// A used, expired or unknown invitation is explained; accepting one's own link, or
// the same link twice, shows the menu again.
func (b *Feature) acceptInvite(ctx context.Context, r *telegram.Request, token string) error {
	m, err := b.catalog.AcceptInvite(ctx, r.UserID(), token)
	if errors.Is(err, catalog.ErrInviteInvalid) {
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "adm_invite_invalid"), nil)
	}
	if err != nil {
		return err
	}
	if err := b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "adm_invite_accepted", m.Shop.Name, b.k.T(r.Lang, "adm_role_"+string(m.Role))), nil); err != nil {
		return err
	}
	return b.a.ShowAdminMenu(ctx, r, m.Shop.ID)
}
