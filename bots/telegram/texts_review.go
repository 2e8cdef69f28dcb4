package telegram

// reviewTexts are the texts of reviews.
func reviewTexts() map[string]text {
	return map[string]text{
		"adm_btn_reviews": {RU: "⭐ Отзывы", EN: "⭐ Reviews"},
	}
}
