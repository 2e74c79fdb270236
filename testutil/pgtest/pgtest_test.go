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

	// NewDatabase: a second, empty database on server A.
	dsnC := pgtest.NewDatabase(t, dsnA)
	db, err := sql.Open("pgx", dsnC)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	var tables int
	if err := db.QueryRow("SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE tablename = 't')").Scan(&name, &tables); err != nil {
		t.Fatalf("query %s: %v", dsnC, err)
	}
	if name == pgtest.Database || tables != 0 {
		t.Errorf("NewDatabase gave database %q with %d tables named t, want a fresh, empty one", name, tables)
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
