package pgtest_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tensorcosm/tensorcosm/testutil/pgtest"
)

// TestStart checks that the server accepts connections on loopback, that the
// database exists and is writable, and that two servers can run at once.
func TestStart(t *testing.T) {
	dsnA, dsnB := pgtest.Start(t), pgtest.Start(t)
	if dsnA == dsnB {
		t.Fatalf("two servers got the same DSN %q", dsnA)
	}
	for _, dsn := range []string{dsnA, dsnB} {
		if !strings.Contains(dsn, "@127.0.0.1:") {
			t.Errorf("DSN %q is not on 127.0.0.1", dsn)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		var name, addr string
		if err := db.QueryRowContext(ctx, "SELECT current_database(), host(inet_server_addr())").Scan(&name, &addr); err != nil {
			t.Fatalf("query %s: %v", dsn, err)
		}
		if name != pgtest.Database || addr != "127.0.0.1" {
			t.Errorf("connected to database %q at %s, want %q at 127.0.0.1", name, addr, pgtest.Database)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

func TestBinDir(t *testing.T) {
	dir, err := pgtest.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(dir, "/bin") {
		t.Errorf("BinDir() = %q, want a .../bin directory", dir)
	}
}
