package neuron

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"
)

func TestAllPages(t *testing.T) {
	t.Run("follows next keys to the last page", func(t *testing.T) {
		var keys []string
		err := AllPages(context.Background(), func(p *query.PageRequest) (*query.PageResponse, error) {
			if p == nil {
				keys = append(keys, "")
				return &query.PageResponse{NextKey: []byte("b")}, nil
			}
			keys = append(keys, string(p.Key))
			if string(p.Key) == "b" {
				return &query.PageResponse{NextKey: []byte("c")}, nil
			}
			return &query.PageResponse{}, nil
		})
		if err != nil || strings.Join(keys, ",") != ",b,c" {
			t.Fatalf("pages %q, err %v: want first, b, c", keys, err)
		}
	})
	t.Run("stops at an error", func(t *testing.T) {
		boom := errors.New("boom")
		calls := 0
		err := AllPages(context.Background(), func(*query.PageRequest) (*query.PageResponse, error) {
			calls++
			return nil, boom
		})
		if !errors.Is(err, boom) || calls != 1 {
			t.Fatalf("err %v after %d calls", err, calls)
		}
	})
	t.Run("gives up on endless next keys", func(t *testing.T) {
		err := AllPages(context.Background(), func(*query.PageRequest) (*query.PageResponse, error) {
			return &query.PageResponse{NextKey: []byte("again")}, nil
		})
		if err == nil || !strings.Contains(err.Error(), "pages") {
			t.Fatalf("err %v: want a page limit error", err)
		}
	})
}
