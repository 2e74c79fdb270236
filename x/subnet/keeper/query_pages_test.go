package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestRowQueriesPage: Query/Weights, Bonds and Commits return pages of
// types.DefaultRowsPageLimit rows by default, follow next_key to the end
// without repeating or skipping a row, cap a larger limit at
// types.MaxRowsPageLimit, and never return another subnet's rows. Before,
// one call returned every row of the subnet (139 MB for 4096 x 4096).
func TestRowQueriesPage(t *testing.T) {
	const rows = 300
	e := newEnv(t)
	for _, netuid := range []uint32{1, 2} {
		for uid := uint32(0); uid < rows; uid++ {
			key := collections.Join(netuid, uid)
			if err := e.Keeper.Weights.Set(e.Ctx, key, types.WeightsRow{Entries: []types.WeightEntry{{Uid: uid, Value: 1}}}); err != nil {
				t.Fatal(err)
			}
			if err := e.Keeper.Bonds.Set(e.Ctx, key, types.BondsRow{Entries: []types.BondEntry{{Uid: uid, Value: 1}}}); err != nil {
				t.Fatal(err)
			}
			if err := e.Keeper.WeightCommits.Set(e.Ctx, key, types.WeightCommits{Commits: []types.WeightCommit{{Hash: make([]byte, 32)}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	queries := map[string]func(*query.PageRequest) ([]uint32, *query.PageResponse){
		"weights": func(p *query.PageRequest) ([]uint32, *query.PageResponse) {
			res, err := e.Queries.Weights(e.Ctx, &types.QueryWeightsRequest{Netuid: 2, Pagination: p})
			if err != nil {
				t.Fatal(err)
			}
			var uids []uint32
			for _, r := range res.Weights {
				uids = append(uids, checkNetuid(t, r.Netuid, r.Uid))
			}
			return uids, res.Pagination
		},
		"bonds": func(p *query.PageRequest) ([]uint32, *query.PageResponse) {
			res, err := e.Queries.Bonds(e.Ctx, &types.QueryBondsRequest{Netuid: 2, Pagination: p})
			if err != nil {
				t.Fatal(err)
			}
			var uids []uint32
			for _, r := range res.Bonds {
				uids = append(uids, checkNetuid(t, r.Netuid, r.Uid))
			}
			return uids, res.Pagination
		},
		"commits": func(p *query.PageRequest) ([]uint32, *query.PageResponse) {
			res, err := e.Queries.Commits(e.Ctx, &types.QueryCommitsRequest{Netuid: 2, Pagination: p})
			if err != nil {
				t.Fatal(err)
			}
			var uids []uint32
			for _, r := range res.Commits {
				uids = append(uids, checkNetuid(t, r.Netuid, r.Uid))
			}
			return uids, res.Pagination
		},
	}
	for _, name := range []string{"weights", "bonds", "commits"} {
		get := queries[name]
		t.Run(name+": default page, then next_key to the end", func(t *testing.T) {
			var all []uint32
			var page *query.PageRequest
			var sizes []int
			for {
				uids, res := get(page)
				all, sizes = append(all, uids...), append(sizes, len(uids))
				if len(res.NextKey) == 0 {
					break
				}
				page = &query.PageRequest{Key: res.NextKey}
			}
			if sizes[0] != types.DefaultRowsPageLimit || len(sizes) != (rows+types.DefaultRowsPageLimit-1)/types.DefaultRowsPageLimit {
				t.Fatalf("page sizes %v, want pages of %d", sizes, types.DefaultRowsPageLimit)
			}
			for i, uid := range all {
				if uid != uint32(i) {
					t.Fatalf("row %d is uid %d: rows skipped or repeated (%d rows)", i, uid, len(all))
				}
			}
			if len(all) != rows {
				t.Fatalf("%d rows, want %d", len(all), rows)
			}
		})
		t.Run(name+": a limit above the max is capped", func(t *testing.T) {
			uids, res := get(&query.PageRequest{Limit: 1_000_000})
			if len(uids) != types.MaxRowsPageLimit || len(res.NextKey) == 0 {
				t.Fatalf("%d rows (next key %x), want %d and a next key", len(uids), res.NextKey, types.MaxRowsPageLimit)
			}
		})
		t.Run(name+": a smaller limit is kept", func(t *testing.T) {
			if uids, _ := get(&query.PageRequest{Limit: 5, Offset: 10}); len(uids) != 5 || uids[0] != 10 {
				t.Fatalf("rows %v, want uids 10..14", uids)
			}
		})
	}
}

func checkNetuid(t *testing.T, netuid, uid uint32) uint32 {
	t.Helper()
	if netuid != 2 {
		t.Fatalf("a row of subnet %d in subnet 2's page", netuid)
	}
	return uid
}
