package inbox

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/mymmrac/telego"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		update   string
		wantKind string
		wantChat int64
	}{
		{"Message", `{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":-100,"type":"group"}}}`, "message", -100},
		{"EditedMessage", `{"update_id":1,"edited_message":{"message_id":1,"date":0,"chat":{"id":5,"type":"private"}}}`, "edited_message", 5},
		{"ChannelPost", `{"update_id":1,"channel_post":{"message_id":1,"date":0,"chat":{"id":-1001,"type":"channel"}}}`, "channel_post", -1001},
		{"CallbackInChat", `{"update_id":1,"callback_query":{"id":"q","from":{"id":7,"is_bot":false,"first_name":"A"},"chat_instance":"c","message":{"message_id":3,"date":1,"chat":{"id":-55,"type":"supergroup"}}}}`, "callback_query", -55},
		{"CallbackInaccessibleMessage", `{"update_id":1,"callback_query":{"id":"q","from":{"id":7,"is_bot":false,"first_name":"A"},"chat_instance":"c","message":{"message_id":3,"date":0,"chat":{"id":-56,"type":"group"}}}}`, "callback_query", -56},
		{"CallbackInline", `{"update_id":1,"callback_query":{"id":"q","from":{"id":7,"is_bot":false,"first_name":"A"},"chat_instance":"c","inline_message_id":"im"}}`, "callback_query", 7},
		{"InlineQuery", `{"update_id":1,"inline_query":{"id":"q","from":{"id":8,"is_bot":false,"first_name":"A"},"query":"x","offset":""}}`, "inline_query", 8},
		{"ShippingQuery", `{"update_id":1,"shipping_query":{"id":"q","from":{"id":9,"is_bot":false,"first_name":"A"},"invoice_payload":"p","shipping_address":{"country_code":"RU","state":"","city":"M","street_line1":"s","street_line2":"","post_code":"1"}}}`, "shipping_query", math.MinInt64 + 9},
		{"PreCheckoutQuery", `{"update_id":1,"pre_checkout_query":{"id":"q","from":{"id":10,"is_bot":false,"first_name":"A"},"currency":"XTR","total_amount":5,"invoice_payload":"p"}}`, "pre_checkout_query", math.MinInt64 + 10},
		{"MyChatMember", `{"update_id":1,"my_chat_member":{"chat":{"id":-200,"type":"channel"},"from":{"id":11,"is_bot":false,"first_name":"A"},"date":0,"old_chat_member":{"status":"left","user":{"id":1,"is_bot":true,"first_name":"B"}},"new_chat_member":{"status":"left","user":{"id":1,"is_bot":true,"first_name":"B"}}}}`, "my_chat_member", -200},
		{"Poll", `{"update_id":1,"poll":{"id":"p","question":"q","options":[],"total_voter_count":0,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}}`, "poll", 0},
		{"Empty", `{"update_id":1}`, "unknown", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var u telego.Update
			if err := json.Unmarshal([]byte(tt.update), &u); err != nil {
				t.Fatalf("decode: %v", err)
			}
			kind, chat := route(u)
			if kind != tt.wantKind || chat != tt.wantChat {
				t.Errorf("route = %q, %d; want %q, %d", kind, chat, tt.wantKind, tt.wantChat)
			}
		})
	}
}
