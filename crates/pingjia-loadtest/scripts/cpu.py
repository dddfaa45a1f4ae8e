#!/usr/bin/env python3
"""cpu.py — CPU accounting of the load benchmark, from /proc: how much the server, PostgreSQL
and everything else on the machine used during a run (the machine has 2 cores and may be
shared), and a wait for a quiet machine before a run.

Usage:
  cpu.py snap SERVER_PID            prints a snapshot (JSON) on stdout (SERVER_PID: pid[,pid…])
  cpu.py diff BEFORE AFTER OHA_CPU  prints cores used per group between two snapshots
  cpu.py quiet SERVER_PID MAX_WAIT  waits (at most MAX_WAIT s) until others use < 0.25 core
"""

import json
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")
# The benchmark's PostgreSQL database: only its backends count as "postgres"; the server's
# shared processes (WAL writer, checkpointer) and other databases' backends count as others.
DATABASE = os.environ.get("PG_DATABASE", "pingjia_bench")


def process_ticks(pid: str) -> tuple:
    """(command name, utime + stime) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return name, int(fields[11]) + int(fields[12])


def serves_database(pid: str, database: str) -> bool:
    """Whether a PostgreSQL backend serves `database` ("postgres: [CLUSTER:] USER DB HOST(PORT) …")."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return False
    return len(words) > 2 and words[0] == "postgres:" and database in words[2:4]


def snapshot(server_pid: str) -> dict:
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    total = sum(cpu[:8])
    # SERVER_PID may list several processes (nginx's workers), comma-separated.
    server_ticks = [process_ticks(pid) for pid in server_pid.split(",") if pid]
    server = ("server", sum(t[1] for t in server_ticks if t)) if server_ticks else None
    postgres = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            entry = process_ticks(pid)
            if entry and entry[0] == "postgres" and serves_database(pid, DATABASE):
                postgres[pid] = entry[1]
    return {
        "time": time.monotonic(),
        "busy": total - idle,
        "server": server[1] if server else 0,
        "postgres": sum(postgres.values()),
        # Per backend: connections that close during a run take their ticks with them.
        "postgres_pids": postgres,
    }


def diff(before: dict, after: dict, oha_seconds: float) -> dict:
    elapsed = after["time"] - before["time"]
    cores = lambda key: (after[key] - before[key]) / HZ / elapsed
    busy, server, postgres = cores("busy"), cores("server"), cores("postgres")
    if "postgres_pids" in before and "postgres_pids" in after:
        ticks = sum(
            t - before["postgres_pids"].get(pid, 0) for pid, t in after["postgres_pids"].items()
        )
        postgres = ticks / HZ / elapsed
    oha = oha_seconds / elapsed
    return {
        "elapsed": round(elapsed, 2),
        "busy_cores": round(busy, 2),
        "server_cores": round(server, 2),
        "postgres_cores": round(postgres, 2),
        "oha_cores": round(oha, 2),
        "other_cores": round(max(busy - server - postgres - oha, 0.0), 2),
    }


def main() -> None:
    command = sys.argv[1]
    if command == "snap":
        print(json.dumps(snapshot(sys.argv[2])))
    elif command == "diff":
        before, after = json.loads(sys.argv[2]), json.loads(sys.argv[3])
        print(json.dumps(diff(before, after, float(sys.argv[4]))))
    elif command == "quiet":
        server_pid, deadline = sys.argv[2], time.monotonic() + float(sys.argv[3])
        while True:
            before = snapshot(server_pid)
            time.sleep(5)
            others = diff(before, snapshot(server_pid), 0.0)["other_cores"]
            if others < 0.25 or time.monotonic() > deadline:
                print(f"   other processes use {others:.2f} cores", file=sys.stderr)
                return
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
