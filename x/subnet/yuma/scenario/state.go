package scenario

import (
	"fmt"
	"slices"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// State is a subnet's state before a scenario's first epoch: with it (and
// Epoch.Block and Emission) a scenario replays an epoch of a chain from the
// chain's own inputs. Nil fields keep the defaults: every UID registered and last
// updated at block 0, no permits, no weights, no bonds.
type State struct {
	// RegisteredAt is the block each UID's hotkey registered at.
	RegisteredAt []uint64
	// LastUpdate is the block of each UID's last weights.
	LastUpdate []uint64
	// ValidatorPermit are the permits the previous epoch handed out.
	ValidatorPermit []bool
	// Weights are the rows in place, sorted by UID; they keep LastUpdate.
	Weights []WeightsUpdate
	// Bonds are the rows the previous epoch stored (yuma.Output.Bonds), sorted by UID.
	Bonds []BondsUpdate
}

// BondsUpdate is the bonds row of one UID, sorted by target UID.
type BondsUpdate struct {
	UID   uint16
	Bonds []yuma.Bond
}

var stateNames = []string{"registered_at", "last_update", "validator_permit", "weights", "bonds"}

// parseState reads the optional "state" object.
func (sc *Spec) parseState(root *node) error {
	n := root.member("state")
	if n == nil {
		return nil
	}
	const path = "state"
	if err := expect(n, path, kindObject); err != nil {
		return err
	}
	if err := checkKeys(n, path, stateNames...); err != nil {
		return err
	}
	st := &sc.State
	var err error
	for i, key := range n.keys {
		v, kp := n.vals[i], field(path, key)
		switch key {
		case "registered_at":
			st.RegisteredAt, err = stakesAt(v, kp, sc.N)
		case "last_update":
			st.LastUpdate, err = stakesAt(v, kp, sc.N)
		case "validator_permit":
			st.ValidatorPermit, err = boolsAt(v, kp, sc.N)
		case "weights":
			st.Weights, err = weightsAt(v, kp, sc.N)
		case "bonds":
			st.Bonds, err = bondsAt(v, kp, sc.N)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func boolsAt(n *node, path string, uids int) ([]bool, error) {
	if err := expect(n, path, kindArray); err != nil {
		return nil, err
	}
	if len(n.elems) != uids {
		return nil, errAt(path, "has %d entries, want n=%d", len(n.elems), uids)
	}
	out := make([]bool, uids)
	for i, e := range n.elems {
		v, err := boolAt(e, index(path, i))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// bondsAt reads {"uid": [[target UID, bond], ...]}, bonds being decimals in [0, 1]
// read exactly (yuma.Fixed.String writes a bond so that it reads back unchanged).
func bondsAt(n *node, path string, uids int) ([]BondsUpdate, error) {
	if err := expect(n, path, kindObject); err != nil {
		return nil, err
	}
	out := make([]BondsUpdate, 0, len(n.keys))
	for i, key := range n.keys {
		kp := keyIndex(path, key)
		uid, err := uidKeyAt(key, kp, uids)
		if err != nil {
			return nil, err
		}
		row, err := bondRowAt(n.vals[i], kp, uids)
		if err != nil {
			return nil, err
		}
		out = append(out, BondsUpdate{UID: uid, Bonds: row})
	}
	slices.SortFunc(out, func(a, b BondsUpdate) int { return int(a.UID) - int(b.UID) })
	return out, nil
}

func bondRowAt(n *node, path string, uids int) ([]yuma.Bond, error) {
	if err := expect(n, path, kindArray); err != nil {
		return nil, err
	}
	row := make([]yuma.Bond, 0, len(n.elems))
	seen := make(map[uint16]bool, len(n.elems))
	for k, pair := range n.elems {
		pp := index(path, k)
		if pair.kind != kindArray || len(pair.elems) != 2 {
			return nil, errAt(pp, "must be a [target UID, bond] pair")
		}
		t, err := uidAt(pair.elems[0], index(pp, 0), uids)
		if err != nil {
			return nil, err
		}
		if seen[t] {
			return nil, errAt(pp, "duplicate target UID %d", t)
		}
		seen[t] = true
		v, err := fractionAt(pair.elems[1], index(pp, 1))
		if err != nil {
			return nil, err
		}
		row = append(row, yuma.Bond{UID: t, Value: v})
	}
	slices.SortFunc(row, cmpBond)
	return row, nil
}

// cmpBond orders bond entries by target UID.
func cmpBond(a, b yuma.Bond) int { return int(a.UID) - int(b.UID) }

// validate checks a state built in code the way parseState checks one read from JSON.
func (st *State) validate(uids int) error {
	for _, f := range []struct {
		name string
		len  int
		set  bool
	}{
		{"registered_at", len(st.RegisteredAt), st.RegisteredAt != nil},
		{"last_update", len(st.LastUpdate), st.LastUpdate != nil},
		{"validator_permit", len(st.ValidatorPermit), st.ValidatorPermit != nil},
	} {
		if f.set && f.len != uids {
			return errAt(field("state", f.name), "has %d entries, want n=%d", f.len, uids)
		}
	}
	if err := validateWeights(st.Weights, "state.weights", uids); err != nil {
		return err
	}
	for _, upd := range st.Bonds {
		kp := keyIndex("state.bonds", fmt.Sprint(upd.UID))
		if int(upd.UID) >= uids {
			return errAt(kp, "validator UID %d out of range (n=%d)", upd.UID, uids)
		}
		if err := yuma.CheckBondsRow(upd.Bonds, uids); err != nil {
			return errAt(kp, "%v", err)
		}
	}
	return nil
}

// apply writes the state into the simulator's input.
func (st *State) apply(in *yuma.Input) {
	if st.RegisteredAt != nil {
		in.RegisteredAt = slices.Clone(st.RegisteredAt)
	}
	if st.LastUpdate != nil {
		in.LastUpdate = slices.Clone(st.LastUpdate)
	}
	if st.ValidatorPermit != nil {
		in.ValidatorPermit = slices.Clone(st.ValidatorPermit)
	}
	for _, upd := range st.Weights {
		in.Weights[upd.UID] = upd.Weights
	}
	for _, upd := range st.Bonds {
		in.Bonds[upd.UID] = upd.Bonds
	}
}
