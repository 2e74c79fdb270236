// Package route chooses which miner serves a gateway request and drives
// the attempts: weighted choice refined by power of two choices on live
// latency and load, a circuit breaker per miner, retries on other miners
// within the caller's deadline, hedging after the observed p95, and
// k-way redundancy with a majority vote.
//
// The package is pure logic: it knows miners only by key, UID and weight,
// and calls them through a function the caller supplies, so it imports
// nothing from axon or net/http. Time comes from an injected clock, and a
// Router is safe for concurrent use. The algorithm, its defaults and the
// observer hooks are specified in gateway/route/README.md.
package route
