package user

import "testing"

func TestUser_Lang(t *testing.T) {
	tests := []struct {
		name string
		u    User
		want string
	}{
		{"Chosen", User{Language: "en", TelegramLang: "ru"}, "en"},
		{"FromTelegram", User{TelegramLang: "ru"}, "ru"},
		{"Neither", User{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.u.Lang(); got != tt.want {
				t.Errorf("Lang() = %q, want %q", got, tt.want)
			}
		})
	}
}
