"""Reads `pgcdc stream` JSON lines from stdin and reports commit time -> line read latency.

Each change line carries its transaction's `commit_time` (server clock, same machine). The latency of a line is
the wall time when the line is read here minus that commit time. Prints `events=N p50_ms=… p99_ms=… max_ms=…`.
"""
import json
import sys
import time
from datetime import datetime


def main() -> int:
    latencies = []
    for line in sys.stdin:
        now = time.time()
        event = json.loads(line)
        if event.get("op") not in ("insert", "update", "delete"):
            continue
        committed = datetime.fromisoformat(event["commit_time"].replace("Z", "+00:00")).timestamp()
        latencies.append((now - committed) * 1000.0)
    if not latencies:
        print("events=0")
        return 1
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    print(f"events={len(latencies)} p50_ms={pct(0.50):.2f} p99_ms={pct(0.99):.2f} max_ms={latencies[-1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
