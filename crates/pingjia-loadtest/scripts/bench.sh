#!/usr/bin/env bash
# bench.sh — the whole web load benchmark (docs/benchmarks-web.md): build, load 100,000
# organisations into a fresh SQLite file and a fresh PostgreSQL database, serve each, run every
# scenario beside the nginx peer (run.sh), and write the tables (summarize.py).
#
# Usage: bench.sh OUT_DIR
# Environment (besides run.sh's: RATE, DURATION, CONNECTIONS, MAX_CONNECTIONS, SCENARIOS, …):
#   BACKENDS="sqlite postgres"            which databases
#   PG_BASE=postgres://postgres@127.0.0.1:5432   the PostgreSQL server (trust or password in URL)
#   ORGANIZATIONS=100000                  the data set's size
# Needs: oha (cargo install oha), nginx (Debian: nginx-light), curl, python3, psql.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$(mkdir -p "${1:?OUT_DIR}" && cd "$1" && pwd)
pg_base=${PG_BASE:-postgres://postgres@127.0.0.1:5432}
organizations=${ORGANIZATIONS:-100000}
for tool in oha nginx curl python3 psql; do
    command -v "$tool" >/dev/null || { echo "bench.sh needs $tool" >&2; exit 1; }
done

cargo build --release --manifest-path "$root/Cargo.toml" -p pingjia -p pingjia-loadtest
bin="$root/target/release"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r); $(rustc --version)"
    echo "oha: $(oha --version); $(nginx -v 2>&1); $(psql --version)"
    echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' (modified)')"
} >"$out/machine.txt"
cat "$out/machine.txt"

port=8090
for backend in ${BACKENDS:-sqlite postgres}; do
    database=""
    case $backend in
    sqlite)
        rm -f "$out"/bench.db*
        url="sqlite://$out/bench.db"
        analyze=()
        ;;
    postgres)
        database=pingjia_bench
        psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
        url="$pg_base/$database"
        analyze=(--analyze)
        ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
    esac
    "$bin/pingjia-loadtest" --database-url "$url" --organizations "$organizations" "${analyze[@]}" \
        --summary "$out/$backend-summary.json" | tee "$out/$backend-load.txt"
    PINGJIA_EVIDENCE_DIR="$out/evidence" "$bin/pingjia" serve --database-url "$url" \
        --listen "127.0.0.1:$port" >"$out/$backend-server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/login" && break
        sleep 0.2
    done
    SERVER_PID=$server PG_DATABASE=$database bash "$here/run.sh" "http://127.0.0.1:$port" \
        "$out/$backend-summary.json" "$out/results" "$backend" | tee "$out/$backend-run.txt"
    kill "$server"
    wait "$server" || true
done
python3 "$here/summarize.py" "$out/results" | tee "$out/summary.md"
