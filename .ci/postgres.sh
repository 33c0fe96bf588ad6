#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's package) on 127.0.0.1:55432 with a database `cbtest`,
# for the store and service tests; prints the URL to use. Run as root (CI is).
set -euo pipefail
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDATA=${PGDATA:-/tmp/cb-pgdata}
PORT=55432
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA" && chown postgres "$PGDATA"
    su postgres -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
fi
if ! su postgres -c "$PGBIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
    su postgres -c "$PGBIN/pg_ctl -D $PGDATA -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1' -l $PGDATA/log start -w" >/dev/null
fi
su postgres -c "$PGBIN/psql -h /tmp -p $PORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='cbtest'\"" | grep -q 1 \
    || su postgres -c "$PGBIN/createdb -h /tmp -p $PORT -U postgres cbtest"
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/cbtest"
