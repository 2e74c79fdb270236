package types

import "github.com/cosmos/cosmos-sdk/types/query"

const (
	// DefaultRowsPageLimit is the page size of Query/Weights, Bonds and
	// Commits when the request gives none: 64 bonds rows of a 4096-UID
	// subnet are about 3 MB, under gRPC clients' default 4 MiB.
	DefaultRowsPageLimit = 64
	// MaxRowsPageLimit is the largest page those queries return; a larger
	// limit is lowered to it, so one call cannot make the node build a
	// whole subnet's rows (139 MB for 4096 x 4096) at once.
	MaxRowsPageLimit = 128
)

// RowsPage returns p with the default limit when it has none and the limit
// capped at MaxRowsPageLimit. p is not modified.
func RowsPage(p *query.PageRequest) *query.PageRequest {
	page := query.PageRequest{}
	if p != nil {
		page = *p
	}
	if page.Limit == 0 {
		page.Limit = DefaultRowsPageLimit
	}
	page.Limit = min(page.Limit, MaxRowsPageLimit)
	return &page
}
