package wpconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The lines around DB_HOST as the official wordpress image's
// wp-config-docker.php has them (and selfheal's image copies).
const officialConfig = `<?php
define( 'DB_NAME', getenv_docker('WORDPRESS_DB_NAME', 'wordpress') );
define( 'DB_USER', getenv_docker('WORDPRESS_DB_USER', 'example username') );
define( 'DB_PASSWORD', getenv_docker('WORDPRESS_DB_PASSWORD', 'example password') );
define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );
define( 'DB_CHARSET', getenv_docker('WORDPRESS_DB_CHARSET', 'utf8') );
`

// sed runs the real sed -i -E on path, as the fault does in the pod.
func sed(t *testing.T, expr, path string) {
	t.Helper()
	if out, err := exec.Command("sed", "-i", "-E", expr, path).CombinedOutput(); err != nil {
		t.Fatalf("sed %q: %v: %s", expr, err, out)
	}
}

func TestCorruptAndRestoreRoundTrip(t *testing.T) {
	for _, original := range []string{
		"define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );",
		"define('DB_HOST', 'db.example|with&odd\\chars:3306');",
	} {
		t.Run(original, func(t *testing.T) {
			cfg := strings.Replace(officialConfig, "define( 'DB_HOST', getenv_docker('WORDPRESS_DB_HOST', 'mysql') );", original, 1)
			path := filepath.Join(t.TempDir(), "wp-config.php")
			os.WriteFile(path, []byte(cfg), 0o644)

			sed(t, corruptExpr(), path)
			broken, _ := os.ReadFile(path)
			want := "define( 'DB_HOST', '127.0.0.1:1' ); // selfheal-fault"
			if strings.Count(string(broken), Marker) != 1 || !strings.Contains(string(broken), want+"\n") {
				t.Fatalf("after the fault:\n%s\nwant exactly one line %q", broken, want)
			}
			if strings.Contains(string(broken), original) {
				t.Fatal("the original DB_HOST line survived the fault")
			}
			if got := strings.Count(string(broken), "\n"); got != strings.Count(cfg, "\n") {
				t.Fatalf("the fault changed the number of lines: %d, want %d", got, strings.Count(cfg, "\n"))
			}

			sed(t, restoreExpr(original), path)
			restored, _ := os.ReadFile(path)
			if string(restored) != cfg {
				t.Fatalf("restore did not give the original file back:\n%s\nwant\n%s", restored, cfg)
			}
		})
	}
}
