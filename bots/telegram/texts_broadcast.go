package telegram

// broadcastTexts are the texts of broadcasts.
func broadcastTexts() map[string]text {
	return map[string]text{
		"adm_btn_broadcasts": {RU: "📣 Рассылки", EN: "📣 Broadcasts"},
	}
}
