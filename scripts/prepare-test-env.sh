#!/usr/bin/env bash
# Makes sure what `npm test` needs is there before any test starts: MariaDB/MySQL on 127.0.0.1:3306, Redis on
# 127.0.0.1:6379 and Debian's Chromium at /usr/bin/chromium (the browser tests drive it; no browser is downloaded).
# Run by `npm test` (its pretest step) and so by `.ci/run`.
#
# When something is missing and this runs as root on Debian (apt-get present), it starts the installed services and
# installs Chromium from Debian. Otherwise, or with AVA_TEST_PREPARE=0, it prints one message naming what is missing
# and the command to run, and exits 1 before any test starts.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/prepare-test-env.sh [--help]

Checks what `npm test` needs: MariaDB/MySQL on 127.0.0.1:3306, Redis on 127.0.0.1:6379 and Chromium at
/usr/bin/chromium. As root on Debian it starts MariaDB/Redis if they are installed but down and installs Chromium
with apt-get; otherwise it names what is missing and the command to run, and exits 1.

Environment:
  AVA_TEST_PREPARE=0   never start or install anything; only check and report.
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "prepare-test-env: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
esac

CHROMIUM=/usr/bin/chromium

port_open() { # port: is something accepting TCP connections on 127.0.0.1:port?
  node -e "require('net').connect($1,'127.0.0.1').on('connect',function(){this.end();process.exit(0)}).on('error',()=>process.exit(1))" >/dev/null 2>&1
}
mysql_up() { port_open 3306; }
redis_up() { # a real PONG, not just an open port
  node -e "
    const s = require('net').connect(6379, '127.0.0.1');
    let got = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { got += d; if (got.includes('\r\n')) { s.end(); process.exit(got.startsWith('+PONG') ? 0 : 1); } });
    s.on('error', () => process.exit(1));
    setTimeout(() => process.exit(1), 2000);
  " >/dev/null 2>&1
}
chromium_ok() { [ -x "$CHROMIUM" ]; }

wait_for() { # name, check
  for _ in $(seq 1 60); do
    if "$2"; then return 0; fi
    sleep 1
  done
  echo "prepare-test-env: $1 did not come up" >&2
  return 1
}

can_prepare() {
  [ "${AVA_TEST_PREPARE:-1}" != "0" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1
}

missing=()
mysql_up || missing+=(mysql)
redis_up || missing+=(redis)
chromium_ok || missing+=(chromium)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "prepare-test-env: MariaDB, Redis and Chromium are ready"
  exit 0
fi

if can_prepare; then
  for m in "${missing[@]}"; do
    case "$m" in
      mysql)
        if [ -x /usr/sbin/mariadbd ]; then
          echo "prepare-test-env: starting MariaDB"
          start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
          wait_for MariaDB mysql_up || exit 1
        fi
        ;;
      redis)
        if command -v redis-server >/dev/null 2>&1; then
          echo "prepare-test-env: starting Redis"
          redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
          wait_for Redis redis_up || exit 1
        fi
        ;;
      chromium)
        echo "prepare-test-env: installing Chromium from Debian (apt-get install chromium); this takes a minute"
        log=$(mktemp)
        if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$log" 2>&1; then
          tail -n 20 "$log" >&2
          rm -f "$log"
          echo "prepare-test-env: apt-get install chromium failed (output above)" >&2
          exit 1
        fi
        rm -f "$log"
        ;;
    esac
  done
  missing=()
  mysql_up || missing+=(mysql)
  redis_up || missing+=(redis)
  chromium_ok || missing+=(chromium)
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "prepare-test-env: MariaDB, Redis and Chromium are ready"
    exit 0
  fi
fi

# One message: what is missing, and the command that provides it.
what=()
fix=()
for m in "${missing[@]}"; do
  case "$m" in
    mysql)
      what+=("MariaDB/MySQL on 127.0.0.1:3306 (user root, no password)")
      fix+=("start MariaDB (Debian: sudo apt-get install mariadb-server && sudo service mariadb start)")
      ;;
    redis)
      what+=("Redis on 127.0.0.1:6379")
      fix+=("start Redis (Debian: sudo apt-get install redis-server && sudo service redis-server start)")
      ;;
    chromium)
      what+=("Chromium at $CHROMIUM")
      fix+=("sudo apt-get install chromium")
      ;;
  esac
done
joined_what=$(printf '%s; ' "${what[@]}")
joined_fix=$(printf '%s; ' "${fix[@]}")
echo "npm test needs ${joined_what%; }. Run: ${joined_fix%; } — then npm test again (as root on Debian, npm test does this itself)." >&2
exit 1
