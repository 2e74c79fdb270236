package dashboard

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Fixture is a deterministic fake gateway for the dashboard's tests and
// demos: it serves every path of the JSON API (see api.go) with plausible
// data, the predict and receipt endpoints of the real API, and the pages
// themselves (Handler). Everything but the traffic figures, the receipts
// and what predict records is fixed at NewFixture; two fixtures made with
// the same arguments serve the same documents.
//
// It has three subnets: 1 "digits" (the given numbers of neurons,
// validators and epochs), 2 "textline" (at most 48 neurons, 8 validators
// and 12 epochs) and 3 "digits-staging" (at most 16 neurons, no epochs,
// not served). Validators are the first UIDs, with a validator permit; up
// to 32 miners, spread evenly over the other UIDs, serve (an axon and a
// model) and earn the incentive; the other miners have no axon.
type Fixture struct {
	// Config is what GET /v1/dashboard/config answers; Anonymous is
	// APIKey == "" when Handler is called.
	Config Config
	// Subnets by netuid, in netuid order.
	Subnets []*FixtureSubnet
	// Height is the chain height the documents are at.
	Height int64

	// APIKey, when set, is the key predict wants as "Authorization:
	// Bearer <key>" (else 401). Set it before Handler.
	APIKey string
	// ReceiptPolls is how many times GET /v1/receipts/{id} answers 202
	// (pending, Retry-After: 1) before the receipt; with 0 the predict
	// answer carries the receipt itself (tensorcosm_receipt). Default 1.
	ReceiptPolls int
	// InvalidReceipts makes every verification fail its commitment check.
	InvalidReceipts bool

	network Network // without traffic

	mu       sync.Mutex
	requests int // GET /v1/network calls, for the traffic figures
	predicts int
	last     FixturePredict
	receipts map[string]*fixtureReceipt
}

// FixtureSubnet is one subnet of a Fixture.
type FixtureSubnet struct {
	Summary   SubnetSummary
	Metagraph Metagraph
	Weights   Weights
	// Miners are the serving miners as the gateway would see them (empty
	// for an unserved subnet).
	Miners Miners

	epochs []fixtureEpoch
	// the documents as served, encoded once
	metagraphJSON, weightsJSON []byte
}

// fixtureEpoch is one recorded epoch with every neuron's results.
type fixtureEpoch struct {
	Epoch
	incentive, dividends []uint32
	emission             []string
}

// FixturePredict is the last request predict accepted.
type FixturePredict struct {
	Netuid        uint32
	ContentType   string
	Authorization string
	Body          []byte
	// Pixels are the digits payload's 64 values (digits subnets only).
	Pixels []float64
	// Answer is what was answered: digits' label, or textline's text.
	Answer string
}

type fixtureReceipt struct {
	polls   int
	receipt []byte
	verify  Verification
}

// Fixture constants.
const (
	fixtureHeight       = 250_037
	fixtureBlockUtensor = 1_000_000 // emission per block and subnet
	fixtureServing      = 32        // serving miners per subnet, at most
	fixtureReceipts     = 10_000    // receipts kept
	fixtureChainID      = "tensorcosm-fixture-1"
	bech32Chars         = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
)

// NewFixture builds a fixture whose subnet 1 has the given numbers of
// neurons (at least 1), validators (at most neurons) and recorded epochs.
func NewFixture(neurons, validators, epochs int) *Fixture {
	neurons = max(neurons, 1)
	validators = min(max(validators, 0), neurons)
	epochs = max(epochs, 0)
	f := &Fixture{Height: fixtureHeight, ReceiptPolls: 1, receipts: map[string]*fixtureReceipt{}}
	specs := []struct {
		netuid         uint32
		name, task     string
		n, v, e        int
		tempo, maxUIDs uint32
		served         bool
	}{
		{1, "digits", "digits-classification", neurons, validators, epochs, 100, uint32(max(4096, neurons)), true},
		{2, "textline", "textline", min(neurons, 48), min(validators, 8), min(epochs, 12), 120, 256, true},
		{3, "digits-staging", "digits-classification", min(neurons, 16), min(validators, 4), 0, 360, 64, false},
	}
	totalStake, totalEmitted := new(big.Int), new(big.Int)
	for _, sp := range specs {
		s := buildSubnet(sp.netuid, sp.name, sp.task, sp.n, sp.v, sp.e, sp.tempo, sp.maxUIDs, sp.served)
		f.Subnets = append(f.Subnets, s)
		for _, n := range s.Metagraph.Neurons {
			st, _ := new(big.Int).SetString(n.Stake, 10)
			totalStake.Add(totalStake, st)
		}
		lastDue := fixtureHeight / int64(sp.tempo) * int64(sp.tempo)
		totalEmitted.Add(totalEmitted, big.NewInt(lastDue*fixtureBlockUtensor))
		if sp.served {
			f.Config.Served = append(f.Config.Served, sp.netuid)
		}
	}
	f.Config.ChainID, f.Config.Version = fixtureChainID, "fixture"
	// a genesis supply of 210 billion TENSOR
	issuance := new(big.Int).Add(totalEmitted, new(big.Int).Mul(big.NewInt(210_000_000_000), big.NewInt(1_000_000)))
	f.network = Network{ChainID: fixtureChainID, Height: fixtureHeight, BlockTimeMS: 1002.5,
		LatestBlockTime: "2026-01-15T12:00:00Z", TotalStake: totalStake.String(), TotalIssuance: issuance.String(),
		TotalEmitted: totalEmitted.String()}
	for _, s := range f.Subnets {
		f.network.Subnets = append(f.network.Subnets, s.Summary)
	}
	return f
}

// Subnet returns the subnet netuid, nil if there is none.
func (f *Fixture) Subnet(netuid uint32) *FixtureSubnet {
	for _, s := range f.Subnets {
		if s.Summary.Netuid == netuid {
			return s
		}
	}
	return nil
}

// mix is splitmix64 over the arguments: the fixture's only randomness.
func mix(xs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h += 0x9e3779b97f4a7c15
		z := h
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		h = z ^ (z >> 31)
	}
	return h
}

// unit is a deterministic number in [0, 1).
func unit(xs ...uint64) float64 { return float64(mix(xs...)>>11) / (1 << 53) }

// fixtureKey is a 45-character "tensorcosm1…" key.
func fixtureKey(salt string, netuid uint32, n uint64) string {
	var b strings.Builder
	b.WriteString("tensorcosm1")
	h := mix(uint64(len(salt)), uint64(salt[0]), uint64(netuid), n)
	for i := 0; i < 34; i++ {
		if i%12 == 0 {
			h = mix(h, uint64(i))
		}
		b.WriteByte(bech32Chars[h&31])
		h >>= 5
	}
	return b.String()
}

// fixtureHash is a deterministic 32-byte value.
func fixtureHash(xs ...uint64) []byte {
	out := make([]byte, 0, 32)
	for i := uint64(0); i < 4; i++ {
		out = binary.LittleEndian.AppendUint64(out, mix(append(slices.Clone(xs), i)...))
	}
	return out
}

// u16 turns a fraction into a u16 fraction.
func u16(x float64) uint32 { return uint32(math.Round(min(max(x, 0), 1) * 65535)) }

func buildSubnet(netuid uint32, name, task string, n, v, epochs int, tempo, maxUIDs uint32, served bool) *FixtureSubnet {
	s := &FixtureSubnet{}
	nu := uint64(netuid)
	// the serving miners are spread over the miners' UIDs
	serving := min(fixtureServing, n-v)
	stride := max(1, (n-v)/max(1, serving))
	isServing := func(uid int) bool { return uid >= v && (uid-v)%stride == 0 && (uid-v)/stride < serving }
	// quality of the serving miners; stake of every neuron
	quality := make([]float64, n)
	stakes := make([]uint64, n)
	for uid := 0; uid < n; uid++ {
		u := uint64(uid)
		if isServing(uid) {
			r := unit(nu, u, 1)
			quality[uid] = 0.15 + 0.85*r*r
		}
		if uid < v {
			// validators: up to 11 billion TENSOR, the first ones above 2^53 utensor
			base := uint64(1.1e16/(1+0.6*float64(uid))) + mix(nu, u, 2)%1_000_000_000_000
			stakes[uid] = base/10_000*10_000 + u
		} else {
			stakes[uid] = (1_000_000+mix(nu, u, 3)%900_000_000)*10_000 + u
		}
	}
	// epochs
	tempo64 := int64(tempo)
	lastDue := int64(fixtureHeight) / tempo64 * tempo64
	for k := 0; k < epochs; k++ {
		due := lastDue - int64(epochs-1-k)*tempo64
		e := fixtureEpoch{Epoch: Epoch{Epoch: uint64(due / tempo64), Height: due, DueHeight: due, Neurons: uint32(n)}}
		if k%7 == 3 {
			e.Height = due + 1 // deferred by the per-block work limit
		}
		ku := uint64(k)
		emission := int64(float64(tempo64*fixtureBlockUtensor) * (0.95 + 0.1*unit(nu, ku, 4)))
		owner := emission * 18 / 100
		toMiners := (emission - owner) / 2
		toValidators := emission - owner - toMiners
		e.Emission, e.OwnerCut = strconv.FormatInt(emission, 10), strconv.FormatInt(owner, 10)
		e.ToMiners, e.ToValidators = strconv.FormatInt(toMiners, 10), strconv.FormatInt(toValidators, 10)
		inc, div := make([]float64, n), make([]float64, n)
		var incSum, divSum float64
		for uid := 0; uid < n; uid++ {
			u := uint64(uid)
			if isServing(uid) {
				inc[uid] = quality[uid] * (1 + 0.35*math.Sin(0.45*float64(k)+float64(uid)))
				incSum += inc[uid]
			}
			if uid < v {
				div[uid] = float64(stakes[uid]) * (1 + 0.15*math.Sin(0.3*float64(k)+float64(uid)*0.7)) * (0.9 + 0.2*unit(nu, u, 5))
				divSum += div[uid]
			}
		}
		e.incentive, e.dividends, e.emission = make([]uint32, n), make([]uint32, n), make([]string, n)
		for uid := 0; uid < n; uid++ {
			var fi, fd float64
			if incSum > 0 {
				fi = inc[uid] / incSum
			}
			if divSum > 0 {
				fd = div[uid] / divSum
			}
			e.incentive[uid], e.dividends[uid] = u16(fi), u16(fd)
			e.emission[uid] = strconv.FormatInt(int64(float64(toMiners)*fi+float64(toValidators)*fd), 10)
		}
		s.epochs = append(s.epochs, e)
	}
	// the metagraph: the last epoch's results
	m := Metagraph{Netuid: netuid, Name: name, Task: task, Height: fixtureHeight, Neurons: make([]Neuron, n)}
	for uid := 0; uid < n; uid++ {
		u := uint64(uid)
		nr := Neuron{UID: uint32(uid), Hotkey: fixtureKey("hot", netuid, u), Coldkey: fixtureKey("cold", netuid, u/3),
			Stake: strconv.FormatUint(stakes[uid], 10), Emission: "0", Active: uid%97 != 96,
			ValidatorPermit: uid < v, LastUpdate: fixtureHeight - int64(mix(nu, u, 6)%600),
			Registered: 1000 + int64(uid)*17 + int64(mix(nu, u, 7)%17)}
		if len(s.epochs) > 0 {
			last := s.epochs[len(s.epochs)-1]
			nr.Incentive, nr.Dividends, nr.Emission = last.incentive[uid], last.dividends[uid], last.emission[uid]
		}
		switch {
		case uid < v:
			nr.ValidatorTrust = u16(0.85 + 0.15*unit(nu, u, 8))
			nr.Rank = u16(0.05 * unit(nu, u, 9))
		case isServing(uid):
			nr.Trust = u16(0.75 + 0.25*unit(nu, u, 10))
			nr.Consensus = u16(min(1, quality[uid]*(0.9+0.1*unit(nu, u, 11))))
			nr.Rank = nr.Incentive
			nr.Axon = fmt.Sprintf("10.%d.%d.%d:%d", netuid, uid/250, uid%250+1, 9000+uid)
			nr.TLS = true
			nr.ModelSHA256 = hex.EncodeToString(fixtureHash(nu, u, 12))
		default:
			nr.Trust = u16(0.2 * unit(nu, u, 13))
			nr.Consensus = u16(0.02 * unit(nu, u, 14))
		}
		m.Neurons[uid] = nr
	}
	s.Metagraph = m
	// weights: every validator over every miner
	s.Weights = Weights{Netuid: netuid, Height: fixtureHeight, Rows: []WeightRow{}}
	for vu := 0; vu < v; vu++ {
		raw := make([]float64, 0, n-v)
		top := 0.0
		for uid := v; uid < n; uid++ {
			w := 0.05 + 0.25*unit(nu, uint64(vu), uint64(uid), 15)*unit(nu, uint64(uid), 31)
			if isServing(uid) {
				w = quality[uid] * (0.8 + 0.4*unit(nu, uint64(vu), uint64(uid), 16))
			}
			raw = append(raw, w)
			top = max(top, w)
		}
		row := WeightRow{UID: uint32(vu), UIDs: make([]uint32, 0, len(raw)), Weights: make([]uint32, 0, len(raw))}
		for i, w := range raw {
			row.UIDs = append(row.UIDs, uint32(v+i))
			row.Weights = append(row.Weights, max(1, u16(w/top)))
		}
		s.Weights.Rows = append(s.Weights.Rows, row)
	}
	// miners: the gateway's view of the serving ones
	s.Miners = Miners{Netuid: netuid, Miners: []Miner{}}
	if served {
		for uid, i := v, 0; uid < n; uid++ {
			if !isServing(uid) {
				continue
			}
			u := uint64(uid)
			i++
			mn := Miner{UID: uint32(uid), Hotkey: m.Neurons[uid].Hotkey, Address: m.Neurons[uid].Axon, Breaker: "closed",
				LatencyMS: math.Round((8+40*unit(nu, u, 17))*100) / 100, InFlight: int(mix(nu, u, 18) % 3),
				Requests: 100 + mix(nu, u, 19)%5000}
			mn.Failures = mn.Requests / (20 + mix(nu, u, 20)%80)
			switch {
			case i%7 == 3:
				mn.Breaker, mn.InFlight, mn.Failures = "open", 0, mn.Failures+3
			case i%11 == 5:
				mn.Breaker, mn.InFlight = "half-open", 1
			}
			s.Miners.Miners = append(s.Miners.Miners, mn)
		}
	}
	nextEpoch := lastDue + tempo64
	s.Summary = SubnetSummary{Netuid: netuid, Name: name, Task: task, Tempo: tempo, NextEpochBlock: nextEpoch,
		PendingEmission: strconv.FormatInt((fixtureHeight-lastDue)*fixtureBlockUtensor, 10), Neurons: n,
		MaxNeurons: maxUIDs, Served: served}
	s.metagraphJSON = mustJSON(s.Metagraph)
	s.weightsJSON = mustJSON(s.Weights)
	return s
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// History is what GET …/history answers: the last limit epochs (all with
// limit <= 0) of the given UIDs; nil uids are the (up to) 16 UIDs with the
// most emission in the newest epoch, by UID, as the gateway chooses them.
func (s *FixtureSubnet) History(limit int, uids []uint32) History {
	h := History{Netuid: s.Metagraph.Netuid, UIDs: []uint32{}, Epochs: []Epoch{}}
	eps := s.epochs
	if limit > 0 && len(eps) > limit {
		eps = eps[len(eps)-limit:]
	}
	if uids == nil && len(eps) > 0 {
		last := eps[len(eps)-1]
		all := make([]uint32, len(last.emission))
		for i := range all {
			all[i] = uint32(i)
		}
		em := func(u uint32) int64 { x, _ := strconv.ParseInt(last.emission[u], 10, 64); return x }
		slices.SortStableFunc(all, func(a, b uint32) int {
			if c := cmp.Compare(em(b), em(a)); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		uids = slices.Clone(all[:min(16, len(all))])
		slices.Sort(uids)
	}
	if uids != nil {
		h.UIDs = uids
	}
	for _, e := range eps {
		out := e.Epoch
		out.Incentive, out.Dividends, out.UIDEmission = make([]uint32, len(h.UIDs)), make([]uint32, len(h.UIDs)), make([]string, len(h.UIDs))
		for j, u := range h.UIDs {
			out.UIDEmission[j] = "0"
			if int(u) < len(e.emission) {
				out.Incentive[j], out.Dividends[j], out.UIDEmission[j] = e.incentive[u], e.dividends[u], e.emission[u]
			}
		}
		h.Epochs = append(h.Epochs, out)
	}
	return h
}

// Traffic returns the traffic figures of the k-th GET /v1/network.
func (f *Fixture) Traffic(k int) Traffic {
	x := float64(k)
	rps := math.Max(0, 9+5*math.Sin(x*0.35)+2*math.Sin(x*1.3))
	rps = math.Round(rps*100) / 100
	return Traffic{WindowS: 60, Requests: int64(rps * 60), RequestsPerS: rps,
		P50MS: math.Round((32+6*math.Sin(x*0.5))*10) / 10, P99MS: math.Round((140+40*math.Sin(x*0.23))*10) / 10,
		ErrorRate: math.Round((0.012+0.01*math.Sin(x*0.8))*10000) / 10000}
}

// Network returns the k-th GET /v1/network document.
func (f *Fixture) Network(k int) Network {
	n := f.network
	n.Subnets = slices.Clone(n.Subnets)
	n.Traffic = f.Traffic(k)
	return n
}

// LastPredict returns the last request predict accepted.
func (f *Fixture) LastPredict() FixturePredict {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.last
	p.Body, p.Pixels = slices.Clone(p.Body), slices.Clone(p.Pixels)
	return p
}

// Handler serves the API and the pages.
func (f *Fixture) Handler() http.Handler {
	f.Config.Anonymous = f.APIKey == ""
	mux := http.NewServeMux()
	pages := Handler()
	mux.Handle("GET /{$}", pages)
	mux.Handle("GET /assets/", pages)
	mux.HandleFunc("GET "+PathConfig, func(w http.ResponseWriter, _ *http.Request) { writeFixtureJSON(w, 200, f.Config) })
	mux.HandleFunc("GET "+PathNetwork, func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		k := f.requests
		f.requests++
		f.mu.Unlock()
		writeFixtureJSON(w, 200, f.Network(k))
	})
	subnet := func(h func(http.ResponseWriter, *http.Request, *FixtureSubnet)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			n, err := strconv.ParseUint(r.PathValue("netuid"), 10, 32)
			s := f.Subnet(uint32(n))
			if err != nil || s == nil {
				fixtureError(w, http.StatusNotFound, "subnet %q does not exist", r.PathValue("netuid"))
				return
			}
			h(w, r, s)
		}
	}
	mux.HandleFunc("GET "+PathMetagraph, subnet(func(w http.ResponseWriter, _ *http.Request, s *FixtureSubnet) {
		writeRawJSON(w, 200, s.metagraphJSON)
	}))
	mux.HandleFunc("GET "+PathWeights, subnet(func(w http.ResponseWriter, _ *http.Request, s *FixtureSubnet) {
		writeRawJSON(w, 200, s.weightsJSON)
	}))
	mux.HandleFunc("GET "+PathHistory, subnet(f.serveHistory))
	mux.HandleFunc("GET "+PathMiners, subnet(func(w http.ResponseWriter, _ *http.Request, s *FixtureSubnet) {
		if !s.Summary.Served {
			fixtureError(w, http.StatusNotFound, "subnet %d is not served by this gateway", s.Summary.Netuid)
			return
		}
		writeFixtureJSON(w, 200, s.Miners)
	}))
	mux.HandleFunc("POST "+PathPredict, subnet(f.servePredict))
	mux.HandleFunc("GET "+PathReceipt, f.serveReceipt)
	mux.HandleFunc("GET "+PathVerify, f.serveVerify)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fixtureError(w, http.StatusNotFound, "no such path: %s %s", r.Method, r.URL.Path)
	})
	return mux
}

func writeFixtureJSON(w http.ResponseWriter, status int, v any) { writeRawJSON(w, status, mustJSON(v)) }

func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func fixtureError(w http.ResponseWriter, status int, format string, args ...any) {
	writeFixtureJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (f *Fixture) serveHistory(w http.ResponseWriter, r *http.Request, s *FixtureSubnet) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fixtureError(w, http.StatusBadRequest, "limit %q: want 1 to 1000", v)
			return
		}
		limit = n
	}
	var uids []uint32
	if v := q.Get("uids"); v != "" {
		for _, p := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 32)
			if err != nil {
				fixtureError(w, http.StatusBadRequest, "uids: %q is not a UID", p)
				return
			}
			if !slices.Contains(uids, uint32(n)) {
				uids = append(uids, uint32(n))
			}
		}
		if len(uids) > 256 {
			fixtureError(w, http.StatusBadRequest, "uids: at most 256")
			return
		}
	}
	writeFixtureJSON(w, 200, s.History(limit, uids))
}

// digitsCentroids are the mean images of the digits data set (UCI
// optdigits as scikit-learn ships it), rounded: the fixture's "model" is
// the nearest of them.
var digitsCentroids = [10][64]float64{
	{0, 0, 4, 13, 11, 3, 0, 0, 0, 1, 13, 13, 11, 11, 1, 0, 0, 4, 14, 5, 2, 12, 4, 0, 0, 5, 13, 2, 0, 9, 6, 0, 0, 6, 12, 1, 0, 9, 7, 0, 0, 3, 13, 2, 2, 11, 6, 0, 0, 1, 13, 10, 10, 13, 2, 0, 0, 0, 4, 14, 13, 5, 0, 0},
	{0, 0, 2, 9, 10, 6, 1, 0, 0, 0, 4, 13, 14, 8, 1, 0, 0, 1, 7, 15, 14, 7, 1, 0, 0, 2, 9, 14, 14, 6, 0, 0, 0, 1, 7, 12, 14, 6, 0, 0, 0, 0, 5, 10, 13, 6, 0, 0, 0, 0, 5, 11, 14, 8, 2, 1, 0, 0, 2, 9, 13, 9, 3, 1},
	{0, 1, 10, 14, 10, 2, 0, 0, 0, 5, 14, 12, 13, 6, 0, 0, 0, 5, 8, 5, 12, 6, 0, 0, 0, 1, 2, 5, 12, 4, 0, 0, 0, 0, 1, 9, 10, 2, 0, 0, 0, 1, 5, 12, 7, 2, 1, 0, 0, 1, 11, 14, 12, 11, 7, 1, 0, 1, 10, 14, 13, 12, 8, 2},
	{0, 1, 8, 14, 14, 7, 1, 0, 0, 4, 13, 9, 11, 12, 2, 0, 0, 2, 4, 3, 12, 9, 1, 0, 0, 0, 1, 9, 14, 6, 0, 0, 0, 0, 1, 6, 12, 11, 2, 0, 0, 0, 1, 1, 4, 12, 6, 0, 0, 1, 7, 6, 8, 13, 6, 0, 0, 1, 9, 15, 14, 9, 1, 0},
	{0, 0, 0, 7, 11, 2, 0, 0, 0, 0, 3, 13, 8, 2, 1, 0, 0, 1, 10, 11, 5, 6, 4, 0, 0, 5, 14, 6, 7, 11, 6, 0, 0, 9, 15, 10, 13, 14, 5, 0, 0, 6, 11, 12, 15, 10, 2, 0, 0, 1, 3, 8, 13, 4, 0, 0, 0, 0, 1, 8, 12, 2, 0, 0},
	{0, 1, 10, 13, 14, 12, 4, 0, 0, 4, 15, 12, 8, 6, 2, 0, 0, 6, 14, 6, 2, 1, 0, 0, 0, 5, 14, 12, 9, 4, 0, 0, 0, 2, 8, 8, 9, 8, 2, 0, 0, 0, 1, 4, 7, 8, 2, 0, 0, 1, 6, 8, 11, 7, 1, 0, 0, 1, 11, 15, 9, 3, 0, 0},
	{0, 0, 1, 11, 10, 1, 0, 0, 0, 0, 7, 15, 6, 1, 0, 0, 0, 1, 13, 10, 1, 0, 0, 0, 0, 2, 14, 8, 4, 2, 0, 0, 0, 4, 15, 13, 12, 10, 3, 0, 0, 2, 15, 11, 6, 10, 9, 0, 0, 0, 10, 13, 6, 11, 11, 1, 0, 0, 1, 11, 15, 13, 4, 0},
	{0, 0, 5, 13, 14, 11, 5, 1, 0, 1, 11, 12, 11, 12, 5, 1, 0, 1, 5, 2, 7, 11, 3, 0, 0, 1, 4, 6, 12, 12, 5, 0, 0, 1, 9, 13, 15, 11, 4, 0, 0, 1, 5, 12, 11, 4, 1, 0, 0, 0, 3, 12, 6, 0, 0, 0, 0, 0, 6, 12, 2, 0, 0, 0},
	{0, 0, 5, 12, 12, 6, 1, 0, 0, 2, 12, 11, 9, 12, 3, 0, 0, 3, 12, 7, 8, 12, 2, 0, 0, 1, 9, 13, 13, 7, 1, 0, 0, 0, 7, 14, 13, 4, 0, 0, 0, 1, 11, 9, 9, 8, 1, 0, 0, 1, 11, 8, 8, 10, 2, 0, 0, 0, 5, 13, 13, 7, 1, 0},
	{0, 0, 6, 12, 11, 6, 2, 0, 0, 2, 13, 10, 10, 11, 3, 0, 0, 4, 12, 6, 8, 14, 3, 0, 0, 2, 10, 12, 13, 14, 4, 0, 0, 0, 3, 5, 5, 12, 5, 0, 0, 0, 1, 1, 2, 10, 6, 0, 0, 1, 6, 5, 6, 11, 5, 0, 0, 0, 6, 12, 13, 9, 2, 0},
}

// ClassifyDigit is the fixture's digits "model": the nearest centroid,
// with probabilities a softmax of the negative squared distances.
func ClassifyDigit(pixels []float64) (int, []float64) {
	d := make([]float64, 10)
	best := 0
	for c := range digitsCentroids {
		for i, p := range pixels {
			x := p - digitsCentroids[c][i]
			d[c] += x * x
		}
		if d[c] < d[best] {
			best = c
		}
	}
	probs := make([]float64, 10)
	var sum float64
	for c := range d {
		probs[c] = math.Exp(-(d[c] - d[best]) / 400)
		sum += probs[c]
	}
	for c := range probs {
		probs[c] = math.Round(probs[c]/sum*1e6) / 1e6
	}
	return best, probs
}

// decodeDigits checks a digits payload as strictly as the task codec does
// for one image: {"pixels": [64 numbers from 0 to 16]}.
func decodeDigits(body []byte) ([]float64, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p struct {
		Pixels *[]float64 `json:"pixels"`
	}
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("bad payload: want {\"pixels\": [64 numbers from 0 to 16]}: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("bad payload: data after the JSON object")
	}
	if p.Pixels == nil {
		return nil, fmt.Errorf("bad payload: pixels: missing")
	}
	px := *p.Pixels
	if len(px) != 64 {
		return nil, fmt.Errorf("bad payload: image 0 has %d pixels, want 64", len(px))
	}
	for i, v := range px {
		if !(v >= 0 && v <= 16) {
			return nil, fmt.Errorf("bad payload: image 0 pixel %d is %v, want 0 to 16", i, v)
		}
	}
	return px, nil
}

// decodeLineImage checks a textline image as the task codec does.
func decodeLineImage(contentType string, data []byte) error {
	want := ""
	switch ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0])); ct {
	case "image/png":
		want = "png"
	case "image/jpeg", "image/jpg":
		want = "jpeg"
	case "":
	default:
		return fmt.Errorf("bad payload: content type %q, want image/png or image/jpeg", contentType)
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("bad payload: not a PNG or JPEG image: %v", err)
	}
	if (got != "png" && got != "jpeg") || (want != "" && got != want) {
		return fmt.Errorf("bad payload: image is %s, want %s", got, cmpOr(want, "png or jpeg"))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 8192 || cfg.Height > 8192 {
		return fmt.Errorf("bad payload: image is %dx%d, want 1..8192 pixels a side", cfg.Width, cfg.Height)
	}
	if got == "png" {
		_, err = png.Decode(bytes.NewReader(data))
	} else {
		_, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return fmt.Errorf("bad payload: decode %s: %v", got, err)
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (f *Fixture) servePredict(w http.ResponseWriter, r *http.Request, s *FixtureSubnet) {
	if !s.Summary.Served {
		fixtureError(w, http.StatusNotFound, "subnet %d is not served by this gateway", s.Summary.Netuid)
		return
	}
	auth := r.Header.Get("Authorization")
	if f.APIKey != "" {
		key, ok := strings.CutPrefix(auth, "Bearer ")
		switch {
		case auth == "":
			fixtureError(w, http.StatusUnauthorized, "no API key: send Authorization: Bearer <key>")
			return
		case !ok || key != f.APIKey:
			fixtureError(w, http.StatusUnauthorized, "unknown API key")
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20+1))
	if err != nil {
		fixtureError(w, http.StatusBadRequest, "reading the body: %v", err)
		return
	}
	if len(body) > 8<<20 {
		fixtureError(w, http.StatusRequestEntityTooLarge, "body over 8388608 bytes")
		return
	}
	ct := r.Header.Get("Content-Type")
	isImage := strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "image/")
	rec := FixturePredict{Netuid: s.Summary.Netuid, ContentType: ct, Authorization: auth, Body: body}
	var answer any
	switch s.Summary.Task {
	case "digits-classification":
		if isImage {
			fixtureError(w, http.StatusUnsupportedMediaType, "subnet %d (digits): images are not supported: send {\"pixels\": [...]}", s.Summary.Netuid)
			return
		}
		px, err := decodeDigits(body)
		if err != nil {
			fixtureError(w, http.StatusBadRequest, "%v", err)
			return
		}
		label, probs := ClassifyDigit(px)
		rec.Pixels, rec.Answer = px, strconv.Itoa(label)
		answer = map[string]any{"label": label, "probabilities": probs}
	default: // textline
		data := body
		if !isImage {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			var p struct {
				Image string `json:"image"`
			}
			if err := dec.Decode(&p); err != nil || p.Image == "" {
				fixtureError(w, http.StatusBadRequest, "bad payload: want {\"image\": base64 PNG or JPEG} or an image/png or image/jpeg body")
				return
			}
			if data, err = base64.StdEncoding.DecodeString(p.Image); err != nil {
				fixtureError(w, http.StatusBadRequest, "bad payload: image is not base64: %v", err)
				return
			}
			ct = ""
		}
		if err := decodeLineImage(ct, data); err != nil {
			fixtureError(w, http.StatusBadRequest, "%v", err)
			return
		}
		rec.Answer = "fixture"
		answer = map[string]any{"text": "fixture", "confidences": []float64{0.99, 0.97, 0.98, 0.95, 0.99, 0.96, 0.98}}
	}

	f.mu.Lock()
	f.predicts++
	k := f.predicts
	f.last = rec
	// the answering miner: a serving one with its breaker not open
	var cands []Miner
	for _, m := range s.Miners.Miners {
		if m.Breaker != "open" {
			cands = append(cands, m)
		}
	}
	var miner Neuron
	if len(cands) > 0 {
		miner = s.Metagraph.Neurons[cands[k%len(cands)].UID]
	} else {
		miner = s.Metagraph.Neurons[0]
	}
	id := hex.EncodeToString(fixtureHash(uint64(k), 21)[:12])
	receipt, verification := f.makeReceipt(s, miner, uint64(k))
	if len(f.receipts) >= fixtureReceipts {
		clear(f.receipts) // a demo running for days forgets old receipts
	}
	f.receipts[id] = &fixtureReceipt{receipt: receipt, verify: verification}
	polls := f.ReceiptPolls
	f.mu.Unlock()

	prov := map[string]any{
		"tensorcosm_miner_hotkey": miner.Hotkey, "tensorcosm_miner_uid": miner.UID,
		"tensorcosm_model_sha256": miner.ModelSHA256, "tensorcosm_block_height": verification.BlockHeight,
		"tensorcosm_receipt_url": "/v1/receipts/" + id, "tensorcosm_agreement": 1, "tensorcosm_redundancy": 1,
		"tensorcosm_attempts": 1,
	}
	if polls <= 0 {
		prov["tensorcosm_receipt"] = base64.StdEncoding.EncodeToString(receipt)
	}
	w.Header().Set("Tensorcosm-Miner-Hotkey", miner.Hotkey)
	w.Header().Set("Tensorcosm-Miner-Uid", strconv.FormatUint(uint64(miner.UID), 10))
	w.Header().Set("Tensorcosm-Receipt-Url", "/v1/receipts/"+id)
	writeFixtureJSON(w, 200, map[string]any{"netuid": s.Summary.Netuid, "model": s.Summary.Name,
		"answers": []any{answer}, "provenance": prov})
}

// makeReceipt builds a receipt as protojson writes it (camelCase names,
// 64-bit integers as strings, bytes in base64) and its verification.
func (f *Fixture) makeReceipt(s *FixtureSubnet, miner Neuron, k uint64) ([]byte, Verification) {
	model, _ := hex.DecodeString(miner.ModelSHA256)
	height := f.Height - 2
	leafCount, index := 4+k%5, k%4
	root := fixtureHash(k, 22)
	path := []string{}
	for i := uint64(0); i < 3; i++ {
		path = append(path, base64.StdEncoding.EncodeToString(fixtureHash(k, 23, i)))
	}
	b64 := base64.StdEncoding.EncodeToString
	rc := map[string]any{
		"leaf": map[string]any{
			"requestHash": b64(fixtureHash(k, 24)), "responseHash": b64(fixtureHash(k, 25)),
			"modelSha256": b64(model), "blockHeight": strconv.FormatInt(height, 10),
			"sessionId": b64(fixtureHash(k, 26)[:16]), "sequence": strconv.FormatUint(k, 10),
		},
		"index": strconv.FormatUint(index, 10),
		"path":  path,
		"root": map[string]any{
			"minerHotkey": miner.Hotkey, "minerPubkey": b64(append([]byte{2}, fixtureHash(uint64(miner.UID), 27)...)),
			"netuid": s.Summary.Netuid, "batch": strconv.FormatUint(100+k, 10), "leafCount": strconv.FormatUint(leafCount, 10),
			"root": b64(root), "signature": b64(append(fixtureHash(k, 28), fixtureHash(k, 29)...)),
		},
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		panic(err)
	}
	v := Verification{Valid: true, MinerHotkey: miner.Hotkey, Netuid: s.Summary.Netuid, BlockHeight: height,
		ModelSHA256: miner.ModelSHA256, ChainModel: miner.ModelSHA256, Signature: "ok", Commitment: "ok",
		Root: hex.EncodeToString(root), LeafCount: leafCount, Index: index}
	if f.InvalidReceipts {
		v.Valid, v.Commitment = false, "failed"
		v.ChainModel = hex.EncodeToString(fixtureHash(uint64(miner.UID), 30))
		v.Error = fmt.Sprintf("the leaf's model %s is not the miner's commitment %s at height %d", v.ModelSHA256, v.ChainModel, height)
	}
	return append(b, '\n'), v
}

func (f *Fixture) receipt(w http.ResponseWriter, r *http.Request) *fixtureReceipt {
	f.mu.Lock()
	defer f.mu.Unlock()
	rc := f.receipts[r.PathValue("id")]
	if rc == nil {
		fixtureError(w, http.StatusNotFound, "unknown receipt %q", r.PathValue("id"))
	}
	return rc
}

func (f *Fixture) serveReceipt(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rc := f.receipts[r.PathValue("id")]
	pending := rc != nil && rc.polls < f.ReceiptPolls
	if pending {
		rc.polls++
	}
	f.mu.Unlock()
	switch {
	case rc == nil:
		fixtureError(w, http.StatusNotFound, "unknown receipt %q", r.PathValue("id"))
	case pending:
		w.Header().Set("Retry-After", "1")
		writeFixtureJSON(w, http.StatusAccepted, map[string]string{"status": "pending"})
	default:
		writeRawJSON(w, 200, rc.receipt)
	}
}

func (f *Fixture) serveVerify(w http.ResponseWriter, r *http.Request) {
	if rc := f.receipt(w, r); rc != nil {
		writeFixtureJSON(w, 200, rc.verify)
	}
}
