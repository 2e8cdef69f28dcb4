package telegram

// reminderTexts are the texts of reminders.
func reminderTexts() map[string]text {
	return map[string]text{}
}
