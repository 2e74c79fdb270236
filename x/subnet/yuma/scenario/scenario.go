package scenario

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// Spec limits keep a simulation's time and output bounded: the output holds an
// n x n bonds matrix per epoch.
const (
	// MaxUIDs is the largest n a scenario may have.
	MaxUIDs = 4096
	// MaxCells bounds n*n*len(epochs), the number of bonds the output prints.
	MaxCells = 1 << 28
)

// Spec is a parsed simulator scenario (README.md, "Scenario format"). By default
// epoch k runs at block k+1, and every UID is registered at block 0 and starts without
// a permit, weights or bonds; State and Epoch.Block describe any other start,
// such as the state of a chain's subnet before one of its epochs.
type Spec struct {
	// N is the number of UIDs.
	N int
	// Stakes is the initial stake of each UID.
	Stakes []uint64
	// Emission is paid out by every epoch.
	Emission uint64
	// OwnerUID is the subnet owner's UID, or nil.
	OwnerUID *uint16
	// yuma.Params are the hyperparameters; Tempo is 1 unless the scenario sets it.
	Params yuma.Params
	// State is the subnet's state before the first epoch.
	State State
	// Epochs are the per-epoch changes.
	Epochs []Epoch
}

// Epoch is what changes at an epoch's block before the epoch runs. Changes apply
// in this order: registrations, stakes, weights.
type Epoch struct {
	// Weights replace the rows of the listed UIDs, sorted by UID; an empty row clears it.
	// Unlisted UIDs keep their previous row.
	Weights []WeightsUpdate
	// Register lists UIDs re-registered by a new hotkey at this block: their own
	// weights and bonds are cleared, weights set on them before now are ignored, and
	// bonds on them are reset.
	Register []uint16
	// Stakes, if not nil, are the stakes from this epoch on.
	Stakes []uint64
	// Block is the block the epoch runs at, after the previous epoch's; 0 means the
	// previous epoch's block plus one (block 1 for the first epoch).
	Block uint64
	// Emission, if not nil, is this epoch's emission instead of Spec.Emission.
	Emission *uint64
}

// WeightsUpdate is a new weight row for one UID (Parse sorts it by target UID).
type WeightsUpdate struct {
	UID     uint16
	Weights []yuma.Weight
}

// Parse reads a scenario in the JSON format of README.md. Errors name the JSON
// path of the offending value, e.g. `epochs[2].weights["7"][0]: target UID 9 out of
// range (n=8)`. Decimal parameters are parsed from the JSON text exactly.
func Parse(r io.Reader) (*Spec, error) {
	root, err := parseJSON(r)
	if err != nil {
		return nil, err
	}
	if err := expect(root, "scenario", kindObject); err != nil {
		return nil, err
	}
	if err := checkKeys(root, "", "n", "stakes", "emission", "owner_uid", "params", "state", "epochs"); err != nil {
		return nil, err
	}
	sc := &Spec{}
	for _, step := range []func(*node) error{sc.parseN, sc.parseStakes, sc.parseEmission, sc.parseOwner, sc.parseParams, sc.parseState, sc.parseEpochs} {
		if err := step(root); err != nil {
			return nil, err
		}
	}
	return sc, sc.Validate()
}

func required(root *node, key string) (*node, error) {
	n := root.member(key)
	if n == nil {
		return nil, errAt("", "missing field %q", key)
	}
	return n, nil
}

func (sc *Spec) parseN(root *node) error {
	n, err := required(root, "n")
	if err != nil {
		return err
	}
	v, err := uintAt(n, "n", MaxUIDs)
	if err == nil && v == 0 {
		err = errAt("n", "must be at least 1")
	}
	sc.N = int(v)
	return err
}

func (sc *Spec) parseStakes(root *node) error {
	n, err := required(root, "stakes")
	if err != nil {
		return err
	}
	sc.Stakes, err = stakesAt(n, "stakes", sc.N)
	return err
}

func stakesAt(n *node, path string, uids int) ([]uint64, error) {
	if err := expect(n, path, kindArray); err != nil {
		return nil, err
	}
	if len(n.elems) != uids {
		return nil, errAt(path, "has %d entries, want n=%d", len(n.elems), uids)
	}
	out := make([]uint64, uids)
	for i, e := range n.elems {
		v, err := uintAt(e, index(path, i), math.MaxUint64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (sc *Spec) parseEmission(root *node) error {
	n, err := required(root, "emission")
	if err != nil {
		return err
	}
	sc.Emission, err = uintAt(n, "emission", math.MaxUint64)
	return err
}

func (sc *Spec) parseOwner(root *node) error {
	n := root.member("owner_uid")
	if n == nil || n.kind == kindNull {
		return nil
	}
	v, err := uidAt(n, "owner_uid", sc.N)
	if err != nil {
		return err
	}
	sc.OwnerUID = &v
	return nil
}

// uidAt reads a UID below n.
func uidAt(n *node, path string, uids int) (uint16, error) {
	v, err := uintAt(n, path, math.MaxUint64)
	if err != nil {
		return 0, err
	}
	if v >= uint64(uids) {
		return 0, errAt(path, "UID %d out of range (n=%d)", v, uids)
	}
	return uint16(v), nil
}

func (sc *Spec) parseParams(root *node) error {
	sc.Params = yuma.DefaultParams()
	sc.Params.Tempo = 1
	n := root.member("params")
	if n == nil {
		return nil
	}
	if err := expect(n, "params", kindObject); err != nil {
		return err
	}
	if err := checkKeys(n, "params", paramNames...); err != nil {
		return err
	}
	for i, key := range n.keys {
		if err := setParam(&sc.Params, key, n.vals[i], field("params", key)); err != nil {
			return err
		}
	}
	if sc.Params.AlphaLow > sc.Params.AlphaHigh {
		return errAt("params", "alpha_low %s is above alpha_high %s", sc.Params.AlphaLow.Decimal(yuma.JSONPlaces), sc.Params.AlphaHigh.Decimal(yuma.JSONPlaces))
	}
	return nil
}

var paramNames = []string{"kappa", "bonds_moving_average", "bonds_penalty", "activity_cutoff",
	"max_allowed_validators", "tempo", "yuma3", "liquid_alpha", "alpha_low", "alpha_high", "alpha_sigmoid_steepness"}

// setParam assigns one scenario parameter by its JSON name.
func setParam(p *yuma.Params, key string, n *node, path string) error {
	var err error
	var v uint64
	var s int64
	switch key {
	case "kappa":
		p.Kappa, err = fractionAt(n, path)
	case "bonds_moving_average":
		p.BondsMovingAverage, err = uintAt(n, path, yuma.BondsMovingAverageScale)
	case "bonds_penalty":
		p.BondsPenalty, err = fractionAt(n, path)
	case "activity_cutoff":
		p.ActivityCutoff, err = uintAt(n, path, math.MaxUint64)
	case "max_allowed_validators":
		if v, err = uintAt(n, path, math.MaxUint16); err == nil && v == 0 {
			err = errAt(path, "must be at least 1")
		}
		p.MaxAllowedValidators = uint16(v)
	case "tempo":
		if p.Tempo, err = uintAt(n, path, math.MaxUint64); err == nil && p.Tempo == 0 {
			err = errAt(path, "must be at least 1")
		}
	case "yuma3":
		p.Yuma3, err = boolAt(n, path)
	case "liquid_alpha":
		p.LiquidAlpha, err = boolAt(n, path)
	case "alpha_low":
		p.AlphaLow, err = fractionAt(n, path)
	case "alpha_high":
		p.AlphaHigh, err = fractionAt(n, path)
	case "alpha_sigmoid_steepness":
		s, err = intAt(n, path, math.MinInt16, math.MaxInt16)
		p.AlphaSigmoidSteepness = int16(s)
	}
	return err
}

func (sc *Spec) parseEpochs(root *node) error {
	n, err := required(root, "epochs")
	if err != nil {
		return err
	}
	if err := expect(n, "epochs", kindArray); err != nil {
		return err
	}
	if cells := uint64(sc.N) * uint64(sc.N) * uint64(len(n.elems)); cells > MaxCells {
		return errAt("epochs", "n*n*len(epochs) = %d bonds to print, more than %d", cells, MaxCells)
	}
	sc.Epochs = make([]Epoch, len(n.elems))
	for k, e := range n.elems {
		if err := sc.Epochs[k].parse(e, index("epochs", k), sc.N); err != nil {
			return err
		}
	}
	return nil
}

func (ep *Epoch) parse(n *node, path string, uids int) error {
	if err := expect(n, path, kindObject); err != nil {
		return err
	}
	if err := checkKeys(n, path, "block", "emission", "weights", "register", "stakes"); err != nil {
		return err
	}
	var err error
	if b := n.member("block"); b != nil {
		if ep.Block, err = uintAt(b, field(path, "block"), math.MaxUint64); err == nil && ep.Block == 0 {
			err = errAt(field(path, "block"), "must be at least 1")
		}
		if err != nil {
			return err
		}
	}
	if e := n.member("emission"); e != nil {
		v, err := uintAt(e, field(path, "emission"), math.MaxUint64)
		if err != nil {
			return err
		}
		ep.Emission = &v
	}
	if w := n.member("weights"); w != nil {
		if ep.Weights, err = weightsAt(w, field(path, "weights"), uids); err != nil {
			return err
		}
	}
	if r := n.member("register"); r != nil {
		if ep.Register, err = registerAt(r, field(path, "register"), uids); err != nil {
			return err
		}
	}
	if s := n.member("stakes"); s != nil {
		ep.Stakes, err = stakesAt(s, field(path, "stakes"), uids)
	}
	return err
}

func weightsAt(n *node, path string, uids int) ([]WeightsUpdate, error) {
	if err := expect(n, path, kindObject); err != nil {
		return nil, err
	}
	out := make([]WeightsUpdate, 0, len(n.keys))
	for i, key := range n.keys {
		kp := keyIndex(path, key)
		uid, err := uidKeyAt(key, kp, uids)
		if err != nil {
			return nil, err
		}
		row, err := weightRowAt(n.vals[i], kp, uids)
		if err != nil {
			return nil, err
		}
		out = append(out, WeightsUpdate{UID: uid, Weights: row})
	}
	slices.SortFunc(out, func(a, b WeightsUpdate) int { return int(a.UID) - int(b.UID) })
	return out, nil
}

// uidKeyAt reads an object key naming a validator UID below n.
func uidKeyAt(key, path string, uids int) (uint16, error) {
	uid, err := strconv.ParseUint(key, 10, 16)
	if err != nil || strconv.FormatUint(uid, 10) != key {
		return 0, errAt(path, "key must be a UID written as a decimal integer")
	}
	if uid >= uint64(uids) {
		return 0, errAt(path, "validator UID %d out of range (n=%d)", uid, uids)
	}
	return uint16(uid), nil
}

func weightRowAt(n *node, path string, uids int) ([]yuma.Weight, error) {
	if err := expect(n, path, kindArray); err != nil {
		return nil, err
	}
	row := make([]yuma.Weight, 0, len(n.elems))
	seen := make(map[uint64]bool, len(n.elems))
	for k, pair := range n.elems {
		pp := index(path, k)
		if pair.kind != kindArray || len(pair.elems) != 2 {
			return nil, errAt(pp, "must be a [target UID, weight] pair")
		}
		t, err := uintAt(pair.elems[0], index(pp, 0), math.MaxUint64)
		if err != nil {
			return nil, err
		}
		if t >= uint64(uids) {
			return nil, errAt(pp, "target UID %d out of range (n=%d)", t, uids)
		}
		if seen[t] {
			return nil, errAt(pp, "duplicate target UID %d", t)
		}
		seen[t] = true
		w, err := uintAt(pair.elems[1], index(pp, 1), math.MaxUint16)
		if err != nil {
			return nil, err
		}
		row = append(row, yuma.Weight{UID: uint16(t), Value: uint16(w)})
	}
	slices.SortFunc(row, cmpWeight)
	return row, nil
}

func registerAt(n *node, path string, uids int) ([]uint16, error) {
	if err := expect(n, path, kindArray); err != nil {
		return nil, err
	}
	out := make([]uint16, 0, len(n.elems))
	for k, e := range n.elems {
		uid, err := uidAt(e, index(path, k), uids)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, uid) {
			return nil, errAt(index(path, k), "UID %d registered twice", uid)
		}
		out = append(out, uid)
	}
	return out, nil
}

// Validate checks a scenario built in code the way Parse checks one read from
// JSON, with the same JSON paths in its errors.
func (sc *Spec) Validate() error {
	if sc.N < 1 || sc.N > MaxUIDs {
		return errAt("n", "must be between 1 and %d, got %d", MaxUIDs, sc.N)
	}
	if len(sc.Stakes) != sc.N {
		return errAt("stakes", "has %d entries, want n=%d", len(sc.Stakes), sc.N)
	}
	if sc.OwnerUID != nil && int(*sc.OwnerUID) >= sc.N {
		return errAt("owner_uid", "UID %d out of range (n=%d)", *sc.OwnerUID, sc.N)
	}
	if err := sc.Params.Validate(); err != nil {
		return errAt("params", "%v", err)
	}
	if cells := uint64(sc.N) * uint64(sc.N) * uint64(len(sc.Epochs)); cells > MaxCells {
		return errAt("epochs", "n*n*len(epochs) = %d bonds to print, more than %d", cells, MaxCells)
	}
	if err := sc.State.validate(sc.N); err != nil {
		return err
	}
	var block uint64
	for k, ep := range sc.Epochs {
		path := index("epochs", k)
		if err := ep.validate(path, sc.N); err != nil {
			return err
		}
		next, ok := ep.block(block)
		if !ok {
			return errAt(field(path, "block"), "must be after the previous epoch's block %d", block)
		}
		block = next
	}
	return nil
}

// block returns the block the epoch runs at, given the previous epoch's (0 before the
// first), and false unless it comes after it.
func (ep *Epoch) block(prev uint64) (uint64, bool) {
	if ep.Block == 0 {
		return prev + 1, prev != math.MaxUint64
	}
	return ep.Block, ep.Block > prev
}

func (ep *Epoch) validate(path string, uids int) error {
	if ep.Stakes != nil && len(ep.Stakes) != uids {
		return errAt(field(path, "stakes"), "has %d entries, want n=%d", len(ep.Stakes), uids)
	}
	for k, u := range ep.Register {
		if int(u) >= uids {
			return errAt(index(field(path, "register"), k), "UID %d out of range (n=%d)", u, uids)
		}
	}
	return validateWeights(ep.Weights, field(path, "weights"), uids)
}

// cmpWeight orders weight entries by target UID.
func cmpWeight(a, b yuma.Weight) int { return int(a.UID) - int(b.UID) }

func validateWeights(rows []WeightsUpdate, path string, uids int) error {
	for _, upd := range rows {
		kp := keyIndex(path, fmt.Sprint(upd.UID))
		if int(upd.UID) >= uids {
			return errAt(kp, "validator UID %d out of range (n=%d)", upd.UID, uids)
		}
		if err := yuma.CheckWeightsRow(upd.Weights, uids); err != nil {
			return errAt(kp, "%v", err)
		}
	}
	return nil
}
