#!/usr/bin/env bash
# Starts Debian's PostgreSQL for the Mattermost service's storage tests, and prints the URL they take
# (OAUTH_TEST_POSTGRES_URL) on stdout; progress goes to stderr. Idempotent: installs the `postgresql`
# package only when no server is installed, creates a cluster only when there is none, starts it only
# when it is down, and (re)sets the test role's password each time, so a second run prints the same URL.
# Root runs it as is; anyone else needs sudo (apt-get, pg_ctlcluster, and psql as the `postgres` user).
#
#   OAUTH_TEST_PG_ROLE / OAUTH_TEST_PG_DATABASE / OAUTH_TEST_PG_PASSWORD   default: oauth_test each
#
# The tests make a schema of their own per run inside that database and drop it after, so runs (and
# other users of the database) do not meet each other's rows.
set -euo pipefail

ROLE="${OAUTH_TEST_PG_ROLE:-oauth_test}"
DATABASE="${OAUTH_TEST_PG_DATABASE:-oauth_test}"
PASSWORD="${OAUTH_TEST_PG_PASSWORD:-oauth_test}"

SUDO=()
[ "$(id -u)" -ne 0 ] && SUDO=(sudo)
say() { echo "start-test-postgres: $*" >&2; }
# psql as the database superuser, over the local socket (Debian's pg_hba.conf: peer authentication).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# Only the URL goes to stdout, which the caller captures: everything the steps print goes to stderr.
# pg_ctlcluster, for one, prints "Removed stale pid file." on stdout when it starts a cluster that
# was stopped uncleanly. (A function whose stdout is stderr, rather than `exec 3>&1 1>&2`: a copy of
# the caller's pipe on fd 3 would be inherited by the server it starts, and the caller's `$(...)`
# would wait for the server to exit.) The body is not indented, for the here-document's sake.
start_server() {
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' > /dev/null; then
  say "installing Debian's postgresql package"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq postgresql > /dev/null
fi

# Debian's packaging creates a cluster at install; a machine whose cluster was removed gets one back.
if [ -z "$(pg_lsclusters --no-header)" ]; then
  VERSION="$(basename "$(compgen -G '/usr/lib/postgresql/*' | sort -V | tail -n 1)")"
  say "creating cluster $VERSION/main"
  "${SUDO[@]}" pg_createcluster "$VERSION" main > /dev/null
fi

read -r VERSION CLUSTER PORT STATUS _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$STATUS" != "online" ]; then
  say "starting cluster $VERSION/$CLUSTER on port $PORT"
  "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" start
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { say "the server on port $PORT does not answer"; exit 1; }

# Names and password go in as psql variables, quoted by format(%I, %L): nothing is spliced into SQL.
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres -v role="$ROLE" -v db="$DATABASE" -v password="$PASSWORD" > /dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL

encode() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
URL="postgresql://$(encode "$ROLE"):$(encode "$PASSWORD")@127.0.0.1:${PORT}/$(encode "$DATABASE")"
# Over TCP with the password, as the tests connect: proves pg_hba.conf lets the role in.
PGCONNECT_TIMEOUT=5 psql -X -q "$URL" -c 'SELECT 1' > /dev/null
say "ready: role $ROLE, database $DATABASE, port $PORT"
}

start_server >&2
echo "$URL"
