package neuron

import (
	"context"
	"fmt"

	"github.com/cosmos/cosmos-sdk/types/query"
)

// maxPages bounds AllPages, so a node that keeps handing out next keys
// cannot keep a daemon looping.
const maxPages = 10_000

// AllPages calls fetch for the first page of a paginated query and then
// for each next page (by next_key) until the last, for the queries that
// cap their page size (x/subnet's Weights, Bonds and Commits). fetch reads
// its page and returns the response's pagination.
func AllPages(ctx context.Context, fetch func(page *query.PageRequest) (*query.PageResponse, error)) error {
	var page *query.PageRequest
	for i := 0; i < maxPages; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := fetch(page)
		if err != nil {
			return err
		}
		if res == nil || len(res.NextKey) == 0 {
			return nil
		}
		page = &query.PageRequest{Key: res.NextKey}
	}
	return fmt.Errorf("more than %d pages", maxPages)
}
