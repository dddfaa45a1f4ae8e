#!/usr/bin/env bash
# run.sh — the load benchmark's scenarios, with oha, against a running `pingjia serve`
# loaded by pingjia-loadtest (see docs/benchmarks-web.md).
#
# Usage: run.sh BASE_URL SUMMARY_JSON OUT_DIR LABEL
#   BASE_URL      e.g. http://127.0.0.1:8090
#   SUMMARY_JSON  the file pingjia-loadtest --summary wrote
#   OUT_DIR       where oha's JSON results go (LABEL-SCENARIO-MODE.json)
#   LABEL         e.g. sqlite or postgres
# Environment:
#   RATE=1000         requests per second of the fixed-rate runs (oha -q, latency corrected)
#   DURATION=20s      length of every run
#   CONNECTIONS=64    connections of the fixed-rate runs
#   MAX_CONNECTIONS="8 64"  connection counts of the closed-loop (maximum throughput) runs; "" for none
#   SCENARIOS="…"     a subset of the scenario names below
#   PAUSE=3           seconds between runs
#   SERVER_PID        the server's process id, for the CPU accounting (cpu.py); required
#   QUIET_WAIT=600    before each run, wait up to this many seconds for other processes on the
#                     machine to use less than a quarter of a core
#   PG_DATABASE       the benchmark's PostgreSQL database (cpu.py counts its backends)
#   PEER=nginx        the peer run beside every scenario ("" for none); PEER_PORT=8091,
#                     PEER_WORKERS=auto (nginx worker processes)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server_pid=${SERVER_PID:?SERVER_PID: the server process id}
quiet_wait=${QUIET_WAIT:-600}

base=${1:?BASE_URL}
summary=${2:?SUMMARY_JSON}
out=${3:?OUT_DIR}
label=${4:?LABEL}
rate=${RATE:-1000}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-64}
max_connections=${MAX_CONNECTIONS-8 64}
pause=${PAUSE:-3}
all="page_applicant api_detail_applicant api_detail_shared api_detail_reviewer assess_token assess_cookie draft_save list_city list_city_pages list_province list_applicant"
scenarios=${SCENARIOS:-$all}
oha=${OHA:-oha}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$summary"; }
password=$(field "" "['password']")

# sign_in USER → prints "COOKIE CSRF"
sign_in() {
    local headers="$work/headers-$1" body="$work/body-$1"
    curl -sf -D "$headers" -o "$body" -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$base/api/v1/session"
    local cookie csrf
    cookie=$(grep -i '^set-cookie: pingjia_session=' "$headers" | sed -E 's/^[^=]*=([^;]*).*/\1/' | tr -d '\r')
    csrf=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['csrf_token'])" "$body")
    echo "$cookie $csrf"
}

# The applicants: the first sampled open draft with evidence none of which another
# organisation attached too (the usual case), and the first whose evidence includes a file
# 200-odd organisations attached (the "shared with other organisations" check then reads them).
read -r applicant application shared_applicant shared_application < <(python3 - "$summary" "$base" "$password" <<'EOF'
import json, sys, urllib.request
summary, base, password = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
typical = shared = None
for account in summary["applicants"]:
    if account["state"] != "draft":
        continue
    request = urllib.request.Request(base + "/api/v1/session", method="POST",
        data=json.dumps({"username": account["username"], "password": password}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        cookie = response.headers["set-cookie"].split(";")[0]
    request = urllib.request.Request(f"{base}/api/v1/applications/{account['application_id']}", headers={"cookie": cookie})
    with urllib.request.urlopen(request) as response:
        evidence = json.load(response)["evidence"]
    flags = [e["shared_with_other_organizations"] for e in evidence]
    if typical is None and flags and not any(flags):
        typical = account
    if shared is None and any(flags):
        shared = account
    if typical and shared:
        break
print(typical["username"], typical["application_id"], shared["username"], shared["application_id"])
EOF
)
read -r a_cookie a_csrf < <(sign_in "$applicant")
read -r shared_cookie _ < <(sign_in "$shared_applicant")
read -r sz_cookie _ < <(sign_in bench-sz)
read -r js_cookie _ < <(sign_in bench-js)
token=$(curl -sf -H "Cookie: pingjia_session=$a_cookie" -H "X-CSRF-Token: $a_csrf" -H 'content-type: application/json' \
    -d '{"name":"bench","scopes":"read write"}' "$base/api/v1/me/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "applicant $applicant (application $application; $shared_applicant, application $shared_application, has a widely shared file), reviewers bench-sz (苏州 3205) and bench-js (江苏 32)"

# Request bodies: the live assessment of the first Jiangsu example, and the applicant's own draft.
python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['assess_request'], open(sys.argv[2], 'w'), ensure_ascii=False)" \
    "$summary" "$work/assess.json"
curl -sf -H "Cookie: pingjia_session=$a_cookie" "$base/api/v1/applications/$application" |
    python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["version"]["body"])' >"$work/draft.json"

# Submitted applications (what a reviewer opens), and the city reviewer's list pages.
python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
for a in s['applicants']:
    if a['state'] != 'draft':
        print(sys.argv[2] + '/api/v1/applications/' + str(a['application_id']))" "$summary" "$base" >"$work/reviewer-urls.txt"
city_total=$(curl -sf -H "Cookie: pingjia_session=$sz_cookie" "$base/api/v1/applications?per_page=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
pages=$(((city_total + 19) / 20))
for ((page = 1; page <= pages; page++)); do echo "$base/api/v1/applications?page=$page"; done >"$work/city-pages.txt"
echo "submitted applications sampled: $(wc -l <"$work/reviewer-urls.txt"); 苏州 list: $city_total applications, $pages pages"

# scenario NAME → sets `args` to the oha arguments of that request (URL last).
scenario() {
    local a_auth="Cookie: pingjia_session=$a_cookie"
    case $1 in
    page_applicant) args=(-H "$a_auth" "$base/applications/$application") ;;
    api_detail_applicant) args=(-H "$a_auth" "$base/api/v1/applications/$application") ;;
    api_detail_shared) args=(-H "Cookie: pingjia_session=$shared_cookie" "$base/api/v1/applications/$shared_application") ;;
    api_detail_reviewer) args=(-H "Cookie: pingjia_session=$js_cookie" --urls-from-file "$work/reviewer-urls.txt") ;;
    assess_token) args=(-m POST -T application/json -D "$work/assess.json" -H "Authorization: Bearer $token" "$base/api/v1/assess") ;;
    assess_cookie) args=(-m POST -T application/json -D "$work/assess.json" -H "$a_auth" -H "X-CSRF-Token: $a_csrf" "$base/api/v1/assess") ;;
    draft_save) args=(-m PUT -T application/json -D "$work/draft.json" -H "$a_auth" -H "X-CSRF-Token: $a_csrf" "$base/api/v1/applications/$application/draft") ;;
    list_city) args=(-H "Cookie: pingjia_session=$sz_cookie" "$base/api/v1/applications?page=1") ;;
    list_city_pages) args=(-H "Cookie: pingjia_session=$sz_cookie" --urls-from-file "$work/city-pages.txt") ;;
    list_province) args=(-H "Cookie: pingjia_session=$js_cookie" "$base/api/v1/applications?page=1") ;;
    list_applicant) args=(-H "$a_auth" "$base/api/v1/applications?page=1") ;;
    *) echo "unknown scenario $1" >&2; return 1 ;;
    esac
}

# Every scenario must answer 2xx before it is measured (a 4xx answered fast is no figure).
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: pingjia_session=$a_cookie" "$base/applications/$application")
if [[ $status != 200 ]]; then
    echo "GET /applications/$application answers $status; is this the loaded database?" >&2
    exit 1
fi

# capture NAME → the response body of the scenario's request, into $work/peer/NAME, and its
# content type on stdout (the peer then serves these very bytes).
capture() {
    local -a args curl_args=()
    scenario "$1"
    local url="" i=0
    while ((i < ${#args[@]})); do
        case ${args[i]} in
        -H) curl_args+=(-H "${args[i + 1]}"); ((i += 2)) ;;
        -m) curl_args+=(-X "${args[i + 1]}"); ((i += 2)) ;;
        -T) curl_args+=(-H "content-type: ${args[i + 1]}"); ((i += 2)) ;;
        -D) curl_args+=(--data-binary "@${args[i + 1]}"); ((i += 2)) ;;
        --urls-from-file) url=$(head -n 1 "${args[i + 1]}"); ((i += 2)) ;;
        *) url=${args[i]}; ((i += 1)) ;;
        esac
    done
    curl -sf -o "$work/peer/$1" -w '%{content_type}' "${curl_args[@]}" "$url"
}

# to_peer NAME: rewrites `args` to ask the peer for NAME's bytes (same method, headers, body).
to_peer() {
    local -a kept=()
    local i=0
    while ((i < ${#args[@]})); do
        case ${args[i]} in
        -H | -m | -T | -D) kept+=("${args[i]}" "${args[i + 1]}"); ((i += 2)) ;;
        --urls-from-file) ((i += 2)) ;;
        *) ((i += 1)) ;;
        esac
    done
    args=("${kept[@]}" "$peer_url/$1")
}

# The peer: nginx serving, from files, the very bytes each scenario answers (no database, no
# templates, no sign-in check): what one HTTP exchange of that size costs on this machine.
peer=${PEER-nginx}
# The peer's results are named after the run they belong to: nginx~sqlite-list_city-….json.
peer_label="$peer~$label"
peer_url="http://127.0.0.1:${PEER_PORT:-8091}"
peer_pids=""
if [[ -n $peer ]]; then
    mkdir -p "$work/peer"
    locations=""
    for name in $scenarios; do
        type=$(capture "$name")
        locations+="        location = /$name { default_type \"$type\"; error_page 405 =200 \$uri; }"$'\n'
    done
    cat >"$work/nginx.conf" <<EOF_CONF
worker_processes ${PEER_WORKERS:-auto};
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    server {
        listen ${peer_url#http://};
        root $work/peer;
$locations    }
}
EOF_CONF
    # nginx's workers run as an unprivileged user: let them read the captured files.
    chmod 755 "$work" "$work/peer"
    chmod 644 "$work/peer"/*
    nginx -c "$work/nginx.conf" -p "$work"
    trap 'nginx -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
    sleep 1
    peer_pids=$(pgrep -P "$(cat "$work/nginx.pid")" | paste -sd,)
    echo "peer: $(nginx -v 2>&1 | sed 's/^nginx version: //'), workers $peer_pids, serving the captured responses at $peer_url"
fi

# run LABEL PIDS NAME MODE OHA_ARGS… — one oha run, its result in $out/LABEL-NAME-MODE.json.
run() {
    local run_label=$1 pids=$2 name=$3 mode=$4
    shift 4
    local -a args
    scenario "$name"
    if [[ $run_label == "$peer_label" ]]; then
        to_peer "$name"
    fi
    local file="$out/$run_label-$name-$mode.json"
    echo "== $run_label $name $mode"
    python3 "$here/cpu.py" quiet "$pids" "$quiet_wait"
    local before after
    before=$(python3 "$here/cpu.py" snap "$pids")
    /usr/bin/time -f "%U %S" -o "$work/oha-time" \
        "$oha" --no-tui --output-format json -o "$file" -z "$duration" "$@" "${args[@]}"
    after=$(python3 "$here/cpu.py" snap "$pids")
    python3 "$here/cpu.py" diff "$before" "$after" "$(awk '{print $1 + $2}' "$work/oha-time")" >"${file%.json}.cpu"
    echo "   CPU (cores): $(cat "${file%.json}.cpu")"
    python3 - "$file" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
errors = {k: v for k, v in r.get("errorDistribution", {}).items() if k != "aborted due to deadline"}
print(f"   {s['requestsPerSec']:8.0f} req/s  p50 {p['p50']*1e3:7.2f} ms  p99 {p['p99']*1e3:7.2f} ms  "
      f"success {s['successRate']*100:.1f}%  status {codes}  errors {errors or 0}")
EOF
    sleep "$pause"
}

# Each scenario on pingjia, then at once on the peer: at a fixed rate, then closed-loop.
for name in $scenarios; do
    for target in "$label $server_pid" ${peer:+"$peer_label $peer_pids"}; do
        read -r run_label pids <<<"$target"
        run "$run_label" "$pids" "$name" "rate$rate" -q "$rate" --latency-correction -c "$connections"
        for c in $max_connections; do
            run "$run_label" "$pids" "$name" "max-c$c" -c "$c"
        done
    done
done
