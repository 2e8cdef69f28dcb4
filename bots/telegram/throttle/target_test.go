package throttle

import (
	"testing"

	ta "github.com/mymmrac/telego/telegoapi"
)

func TestPaced(t *testing.T) {
	for _, method := range []string{
		"sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", "sendInvoice", "sendmessage",
		"copyMessage", "forwardMessage", "editMessageText", "editMessageCaption", "editMessageReplyMarkup",
		"editMessageMedia", "stopPoll",
	} {
		if !paced(method) {
			t.Errorf("%s not paced, want paced", method)
		}
	}
	for _, method := range []string{
		"answerCallbackQuery", "answerInlineQuery", "answerPreCheckoutQuery", "answerShippingQuery",
		"sendChatAction", "deleteMessage", "getMe", "setMyCommands", "getUpdates", "refundStarPayment", "",
	} {
		if paced(method) {
			t.Errorf("%s paced, want not", method)
		}
	}
}

func TestTargetOf(t *testing.T) {
	for _, tc := range []struct {
		body string
		want target
	}{
		{`{"chat_id":42,"text":"hi"}`, target{chat: 42, known: true}},
		{`{"text":"hi","reply_parameters":{"chat_id":7,"message_id":1},"chat_id":42}`, target{chat: 42, known: true}},
		{`{"chat_id":"42","text":"hi"}`, target{chat: 42, known: true}},
		{`{"chat_id":-1001234567890,"text":"hi"}`, target{chat: -1001234567890, group: true, known: true}},
		{`{"chat_id":"@shop_channel","text":"hi"}`, target{}},
		{`{"inline_message_id":"AAE","text":"hi"}`, target{}},
		{`not json`, target{}},
	} {
		_, got := targetOf(&ta.RequestData{ContentType: ta.ContentTypeJSON, BodyRaw: []byte(tc.body)})
		if got != tc.want {
			t.Errorf("targetOf(%s) = %+v, want %+v", tc.body, got, tc.want)
		}
	}
}

func TestMethodOf(t *testing.T) {
	if got := methodOf("http://127.0.0.1:8081/bot123:abc/sendMessage"); got != "sendMessage" {
		t.Errorf("methodOf = %q", got)
	}
}
