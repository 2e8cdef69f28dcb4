package teams

import "github.com/vitrina-shop/vitrina/bots/telegram"

// texts are the texts of team buys.
func texts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"adm_btn_teams":        {RU: "👥 Цены для команд", EN: "👥 Team prices"},
		"tm_fact":              {RU: "👥 Командой из %d — по %s (команда собирается %d ч)", EN: "👥 As a team of %d: %s each (the team has %d h to fill)"},
		"tm_btn_start":         {RU: "👥 Собрать команду из %d — дешевле", EN: "👥 Start a team of %d: cheaper"},
		"tm_ask_pickup":        {RU: "Где заберёте товар?", EN: "Where will you collect it?"},
		"tm_ask_variant":       {RU: "Какой вариант берёт команда?", EN: "Which variant does the team buy?"},
		"tm_btn_variant":       {RU: "%s · %s", EN: "%s · %s"},
		"tm_started":           {RU: "👥 Команда создана! Оплатите своё место — счёт ниже — и позовите друзей по ссылке.", EN: "👥 Your team is started! Pay for your place (the invoice is below) and invite friends with the link."},
		"tm_joined":            {RU: "👥 Вы в команде! Оплатите своё место — счёт ниже.", EN: "👥 You are in the team! Pay for your place: the invoice is below."},
		"tm_card":              {RU: "👥 <b>Командная покупка</b>\n%s — <b>%s</b> вместо %s, если наберётся %d человек.", EN: "👥 <b>Team buy</b>\n%s: <b>%s</b> instead of %s, once %d people are in."},
		"tm_card_forming":      {RU: "Оплатили: %d из %d. Команда собирается до %s МСК; не соберётся — деньги вернутся всем.", EN: "Paid: %d of %d. The team fills until %s MSK; if it does not, everyone's money comes back."},
		"tm_card_filled":       {RU: "🎉 Команда собрана: заказы участников оформлены.", EN: "🎉 The team is complete: the members' orders go ahead."},
		"tm_card_failed":       {RU: "😔 Команда не собралась вовремя: оплаты возвращены.", EN: "😔 The team did not fill in time: payments are refunded."},
		"tm_btn_join":          {RU: "👥 Присоединиться за %s", EN: "👥 Join for %s"},
		"tm_btn_share":         {RU: "📤 Позвать друзей", EN: "📤 Invite friends"},
		"tm_share_text":        {RU: "Берём вместе: %s по %s — присоединяйся!", EN: "Let's buy together: %s at %s each. Join in!"},
		"tm_btn_refresh":       {RU: "🔄 Обновить", EN: "🔄 Refresh"},
		"tm_btn_card":          {RU: "👥 Команда", EN: "👥 The team"},
		"tm_filled":            {RU: "🎉 Команда собрана! «%s» по командной цене — заказ №%d оформлен.", EN: "🎉 The team is complete! %s at the team price: order #%d goes ahead."},
		"tm_failed":            {RU: "😔 Команда на «%s» не собралась вовремя. Оплата вернётся.", EN: "😔 The team for %s did not fill in time. Your payment comes back."},
		"tm_failed_unpaid":     {RU: "😔 Команда на «%s» не собралась вовремя. Платить ничего не нужно.", EN: "😔 The team for %s did not fill in time. There is nothing to pay."},
		"tm_shop":              {RU: "👥 Цены для команд «%s»\n\nПокупатель собирает команду из 2–5 человек за сутки и получает скидку; не собралась — деньги возвращаются. Выберите товар.", EN: "👥 Team prices of %s\n\nA shopper gathers a team of 2-5 people within a day and gets a discount; if it does not fill, the money comes back. Pick a product."},
		"tm_btn_product_offer": {RU: "%s · 👥 %d, −%d %%", EN: "%s · 👥 %d, −%d %%"},
		"tm_ask_size":          {RU: "«%s»: сколько человек в команде?", EN: "%s: how many people make a team?"},
		"tm_ask_discount":      {RU: "«%s», команда из %d: какая скидка?", EN: "%s, a team of %d: what discount?"},
		"tm_offer_saved":       {RU: "✅ «%s»: команда из %d, скидка %d %%.", EN: "✅ %s: a team of %d, %d %% off."},
		"tm_err_no_offer":      {RU: "У этого товара нет командной цены.", EN: "This product has no team price."},
		"tm_err_not_found":     {RU: "Такой команды нет.", EN: "There is no such team."},
		"tm_err_closed":        {RU: "Эта команда уже не набирает участников.", EN: "This team no longer takes members."},
		"tm_err_full":          {RU: "В команде уже нет мест.", EN: "The team is full."},
		"tm_err_member":        {RU: "Вы уже в этой команде.", EN: "You are in this team already."},
		"tm_err_variant":       {RU: "Такого варианта у товара нет.", EN: "The product has no such variant."},
		"tm_err_offer":         {RU: "Команда — от 2 до 5 человек, скидка 1–90 %.", EN: "A team is 2-5 people, the discount 1-90 %."},
	}
}
