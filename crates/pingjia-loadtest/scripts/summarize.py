#!/usr/bin/env python3
"""summarize.py — turns the oha JSON results of run.sh into the Markdown tables of
docs/benchmarks-web.md: per backend, every scenario at the fixed rate and closed-loop, beside
the peer (nginx serving the same bytes, results labelled PEER~BACKEND) measured in the same
run.

Usage: summarize.py RESULTS_DIR [PEER_LABEL]   (PEER_LABEL defaults to nginx)
"""

import json
import pathlib
import sys

ORDER = [
    "page_applicant",
    "api_detail_applicant",
    "api_detail_shared",
    "api_detail_reviewer",
    "assess_token",
    "assess_cookie",
    "draft_save",
    "list_city",
    "list_city_pages",
    "list_province",
    "list_applicant",
]


def mode_key(mode: str) -> tuple:
    if mode.startswith("rate"):
        return (0, int(mode[4:]))
    return (1, int(mode.split("c")[-1]))


def mode_text(mode: str) -> str:
    if mode.startswith("rate"):
        return f"{mode[4:]}/s fixed"
    return f"closed, {mode.split('c')[-1]} conn."


def load(path: pathlib.Path):
    try:
        result = json.loads(path.read_text())
    except ValueError:
        print(f"skipping {path} (not a finished oha result)", file=sys.stderr)
        return None
    summary, percentiles = result["summary"], result["latencyPercentiles"]
    codes = result.get("statusCodeDistribution", {})
    ok = sum(v for k, v in codes.items() if k.startswith("2"))
    errors = sum(
        v
        for k, v in result.get("errorDistribution", {}).items()
        if k != "aborted due to deadline"
    )
    cpu_path = path.with_suffix(".cpu")
    cpu = json.loads(cpu_path.read_text()) if cpu_path.exists() else {}
    # summary["total"] is the run's length in seconds; the answers are counted by status.
    return {
        "rate": ok / summary["total"] if summary["total"] else 0.0,
        "p50": percentiles["p50"] * 1e3,
        "p99": percentiles["p99"] * 1e3,
        "failed": sum(codes.values()) - ok + errors,
        "cpu": cpu,
    }


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    peer = sys.argv[2] if len(sys.argv) > 2 else "nginx"
    results = {}
    for path in sorted(out.glob("*.json")):
        # LABEL-SCENARIO-MODE.json, MODE being rateN or max-cN
        label, scenario, *mode = path.stem.split("-")
        entry = load(path)
        if entry:
            results[(label, scenario, "-".join(mode))] = entry
    backends = sorted({label for label, _, _ in results if "~" not in label})
    for backend in backends:
        print(f"\n### {backend}\n")
        print(
            "| scenario | load | pingjia 2xx/s | p50 ms | p99 ms | failed "
            f"| {peer} 2xx/s | {peer} p99 ms | pingjia / {peer} | CPU pingjia | CPU db | CPU oha |"
        )
        print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        keys = sorted(
            (k for k in results if k[0] == backend),
            key=lambda k: (ORDER.index(k[1]) if k[1] in ORDER else 99, mode_key(k[2])),
        )
        for _, scenario, mode in keys:
            ours = results[(backend, scenario, mode)]
            theirs = results.get((f"{peer}~{backend}", scenario, mode))
            cpu = ours["cpu"]
            db = cpu.get("postgres_cores", 0.0) if backend == "postgres" else None
            if theirs and mode.startswith("max"):
                ratio = f"{ours['rate'] / theirs['rate']:.2f}× throughput"
            elif theirs:
                ratio = f"{ours['p99'] / theirs['p99']:.0f}× p99"
            else:
                ratio = "—"
            print(
                f"| {scenario} | {mode_text(mode)} | {ours['rate']:,.0f} | {ours['p50']:.2f} "
                f"| {ours['p99']:.2f} | {ours['failed']} "
                f"| {theirs['rate']:,.0f} | {theirs['p99']:.2f} | {ratio} "
                if theirs
                else f"| {scenario} | {mode_text(mode)} | {ours['rate']:,.0f} | {ours['p50']:.2f} "
                f"| {ours['p99']:.2f} | {ours['failed']} | — | — | — "
                ,
                end="",
            )
            print(
                f"| {cpu.get('server_cores', 0):.2f} | {'—' if db is None else f'{db:.2f}'} "
                f"| {cpu.get('oha_cores', 0):.2f} |"
            )


if __name__ == "__main__":
    main()
