package kubetest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

func TestUntil(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Duration // of the caller's context
		doneAt   int           // the look that reports done; 0 for never
		cutShort bool          // the third look runs into the deadline
		failing  bool          // the second look fails
		want     []string      // in the error; none for success
	}{
		{"done at once", time.Minute, 1, false, false, nil},
		{"done at the third look", time.Minute, 3, false, false, nil},
		{"never done", 700 * time.Millisecond, 0, false, false,
			[]string{"replicas: gave up after", "the caller's deadline ended", "last saw: look "}},
		{"a look cut short by the deadline keeps the one before", 700 * time.Millisecond, 0, true, false,
			[]string{"last saw: look 2:", "context deadline exceeded"}},
		{"a failed look is reported after the last good one", 1500 * time.Millisecond, 0, true, true,
			[]string{"last saw: look 1; then a look failed: connection refused:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			looks := 0
			err := kubetest.Until(ctx, "replicas", func(ctx context.Context) (bool, string, error) {
				looks++
				switch {
				case tt.cutShort && looks == 3:
					<-ctx.Done() // a List that runs into the deadline
					return false, "", fmt.Errorf("interrupted: %w", ctx.Err())
				case tt.failing && looks == 2:
					return false, "", errors.New("connection refused")
				}
				return looks == tt.doneAt, fmt.Sprintf("look %d", looks), nil
			})
			if tt.want == nil {
				if err != nil || looks != tt.doneAt {
					t.Errorf("err = %v after %d looks, want none after %d", err, looks, tt.doneAt)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "interrupted") {
				t.Errorf("error %q reports the look cut short", err)
			}
		})
	}
}
