package doctor

import (
	"strings"
	"testing"
)

func TestIsKeyShaped(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"sk_test_0123456789abcdef", true},
		{"sk_live_" + strings.Repeat("A", 40), true},
		{"sk_" + strings.Repeat("a", 16), true},
		{"sk_" + strings.Repeat("a", 15), false},
		{"sk_" + strings.Repeat("a", 200), true},
		{"sk_" + strings.Repeat("a", 201), false},
		{"pk_test_0123456789abcdef", false},
		{"sk_test_0123456789 abcdef", false},
		{"sk_test_0123456789-abcdef", false},
		{"sk_test_0123456789abcdé", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isKeyShaped(tt.key); got != tt.want {
			t.Errorf("isKeyShaped(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}
