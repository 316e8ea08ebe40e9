#!/usr/bin/env bash
# A throwaway Postgres cluster for the test suite, reachable only through a Unix socket.
#
#   scripts/test-postgres.sh start DIR   initdb a cluster in DIR/data, start it on DIR/run/.s.PGSQL.5432 (no TCP),
#                                        wait until it accepts connections, and print on stdout:
#                                        export FALAJ_TEST_ADMIN_URL=postgresql://postgres@/postgres?host=DIR/run
#   scripts/test-postgres.sh stop DIR    stop it (fast shutdown) and remove DIR.
#
# Use:  eval "$(scripts/test-postgres.sh start /tmp/falaj-pg-$$)"; swift test; scripts/test-postgres.sh stop /tmp/falaj-pg-$$
#
# Needs the Debian `postgresql` package (initdb, postgres, pg_ctl). As root, the cluster runs as the `postgres`
# system user, so DIR's parent directories must be searchable by it (/tmp is). Authentication is `trust` on the
# socket; the socket directory is mode 0700, so only its owner (and root) can connect. Progress goes to stderr.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
command=$1
dir=$2

bindir() {
    local candidate
    if command -v pg_config >/dev/null 2>&1; then
        candidate=$(pg_config --bindir 2>/dev/null || true)
        if [[ -x "$candidate/initdb" && -x "$candidate/postgres" ]]; then
            echo "$candidate"
            return
        fi
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$candidate/initdb" && -x "$candidate/postgres" ]]; then
            echo "$candidate"
            return
        fi
    done
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return
    fi
    echo "error: no Postgres server binaries found (install the 'postgresql' package)" >&2
    exit 1
}

# Runs a command as the cluster owner: the postgres system user when we are root, ourselves otherwise.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        "$@"
    fi
}

start() {
    local bin
    bin=$(bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [[ -e "$dir/data/PG_VERSION" ]]; then
        echo "error: $dir already holds a cluster; stop it first with: $0 stop $dir" >&2
        exit 1
    fi
    local socket="$dir/run/.s.PGSQL.5432"
    if (( ${#socket} > 100 )); then
        echo "error: socket path $socket is too long for a Unix socket; use a shorter DIR" >&2
        exit 1
    fi
    mkdir -p "$dir/data" "$dir/run"
    chmod 0700 "$dir/data" "$dir/run"
    if [[ $(id -u) -eq 0 ]]; then
        chmod 0711 "$dir"
        chown postgres:postgres "$dir/data" "$dir/run"
        touch "$dir/postgres.log"
        chown postgres:postgres "$dir/postgres.log"
        if ! setpriv --reuid=postgres --regid=postgres --init-groups -- test -w "$dir/data"; then
            echo "error: the postgres system user cannot reach $dir: a parent directory is not searchable by other users;" \
                "use a DIR under /tmp or run 'chmod o+x' on its parents" >&2
            exit 1
        fi
    fi
    echo "initdb $dir/data" >&2
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=reject \
        --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    echo "starting postgres on $dir/run" >&2
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir/run' -c port=5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2 || {
        tail -n 20 "$dir/postgres.log" >&2
        exit 1
    }
    for _ in $(seq 1 60); do
        if "$bin/pg_isready" -q -h "$dir/run" -p 5432; then
            echo "export FALAJ_TEST_ADMIN_URL='postgresql://postgres@/postgres?host=$dir/run'"
            return
        fi
        sleep 0.5
    done
    echo "error: postgres did not become ready; see $dir/postgres.log" >&2
    exit 1
}

stop() {
    [[ -d "$dir" ]] || return 0
    if [[ -e "$dir/data/postmaster.pid" ]]; then
        as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 || true
    fi
    # Remove only what `start` made: refuse folders holding anything else.
    local entry
    for entry in "$dir"/* "$dir"/.[!.]*; do
        [[ -e "$entry" ]] || continue
        case "$(basename "$entry")" in
        data | run | postgres.log | initdb.log) ;;
        *)
            echo "error: $dir holds $(basename "$entry"), which this script did not create; not removing it" >&2
            exit 1
            ;;
        esac
    done
    rm -rf "$dir"
}

case "$command" in
start) start ;;
stop) stop ;;
*) usage ;;
esac
