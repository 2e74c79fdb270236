// Package store keeps the gateway's API keys, their usage counts and the
// subnet epochs it recorded in SQLite (one replica) or PostgreSQL (several
// replicas sharing one database).
//
// Guarantees:
//   - A key's token ("tcg_<id>_<secret>") is returned once by CreateKey and
//     never stored: the database holds only sha256(secret), and LookupKey
//     compares digests in constant time, so a database dump cannot be turned
//     back into working tokens.
//   - At most one active key has a given name; a revoked key's name may be
//     used again.
//   - AddUsage is an atomic upsert that returns the key's request total for
//     the day over all subnets, counted by every replica on the same
//     database: concurrent calls each see a distinct total.
//   - An epoch is stored once per (netuid, height): PutEpoch inserts or does
//     nothing in one statement, so when replicas record it at once the first
//     record stays and exactly one of them is told it inserted.
//   - The schema comes from numbered SQL files embedded in the binary, shared
//     by both dialects and recorded in schema_migrations. Open applies the
//     missing ones in one transaction; on PostgreSQL a transaction-scoped
//     advisory lock makes replicas that start at once apply them only once.
//     A database migrated by a newer binary is refused rather than used.
package store
