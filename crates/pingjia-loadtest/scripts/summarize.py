#!/usr/bin/env python3
"""summarize.py — turns the oha JSON results of run.sh into the Markdown table of
docs/benchmarks-web.md.

Usage: summarize.py OUT_DIR [LABEL ...]
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


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    labels = sys.argv[2:]
    rows = []
    for path in sorted(out.glob("*.json")):
        # LABEL-SCENARIO-MODE.json, MODE being rateN or max-cN
        label, scenario, *mode = path.stem.split("-")
        mode = "-".join(mode)
        if labels and label not in labels:
            continue
        try:
            result = json.loads(path.read_text())
        except ValueError:
            print(f"skipping {path} (not a finished oha result)", file=sys.stderr)
            continue
        summary, percentiles = result["summary"], result["latencyPercentiles"]
        codes = result.get("statusCodeDistribution", {})
        ok = sum(v for k, v in codes.items() if k.startswith("2"))
        other = {k: v for k, v in codes.items() if not k.startswith("2")}
        errors = {
            k: v
            for k, v in result.get("errorDistribution", {}).items()
            if k != "aborted due to deadline"
        }
        cpu_path = path.with_suffix(".cpu")
        cpu = json.loads(cpu_path.read_text()) if cpu_path.exists() else {}
        rows.append(
            (
                label,
                ORDER.index(scenario) if scenario in ORDER else 99,
                scenario,
                mode_key(mode),
                mode,
                ok / summary["total"],
                percentiles["p50"] * 1e3,
                percentiles["p99"] * 1e3,
                ok,
                other,
                errors,
                cpu,
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    print(
        "| backend | scenario | load | 2xx/s | p50 ms | p99 ms | non-2xx | errors "
        "| CPU server | CPU postgres | CPU oha | CPU others |"
    )
    print("|---|---|---|--:|--:|--:|---|---|--:|--:|--:|--:|")
    for label, _, scenario, _, mode, rps, p50, p99, ok, other, errors, cpu in rows:
        load = f"{mode[4:]} req/s fixed" if mode.startswith("rate") else f"closed loop, {mode.split('c')[-1]} conn."
        other_text = ", ".join(f"{k}: {v}" for k, v in other.items()) or "—"
        error_text = ", ".join(f"{k}: {v}" for k, v in errors.items()) or "—"
        cores = " | ".join(
            f"{cpu[key]:.2f}" if key in cpu else "?"
            for key in ("server_cores", "postgres_cores", "oha_cores", "other_cores")
        )
        print(
            f"| {label} | {scenario} | {load} | {rps:,.0f} | {p50:.2f} | {p99:.2f} "
            f"| {other_text} | {error_text} | {cores} |"
        )


if __name__ == "__main__":
    main()
