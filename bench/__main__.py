"""python -m bench all|inbound|answers|dispatch|broadcast|close|digest|startup|faults|load|surge|closes
    --db sqlite|postgresql [--quick]

`faults`, `load` (PostgreSQL and gunicorn), `surge` (gunicorn, workers and a fake Twilio, end
to end) and `closes` (rounds up to 1,000,000 ballots, each close in a process of its own) keep
options of their own and are not in `all`."""

import argparse
import subprocess
import sys
import time

from bench import harness

SUITE = ("inbound", "answers", "dispatch", "broadcast", "close", "digest", "startup")


def main(argv: list[str]) -> int:
    if argv[:1] == ["faults"]:  # the fault suite keeps its own options (PostgreSQL only)
        from bench import faults

        sys.argv = ["bench/faults.py", *argv[1:]]
        return faults.main() or 0
    if argv[:1] == ["load"]:  # the inbound load under gunicorn (PostgreSQL only)
        from bench import load

        return load.main(argv[1:])
    if argv[:1] == ["surge"]:  # a surge answered end to end, in the production processes
        from bench import surge

        return surge.main(argv[1:])
    if argv[:1] == ["closes"]:  # equal-shares closes of 2,000 to 1,000,000 ballots
        from bench import closes

        return closes.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("benchmark", choices=("all", *SUITE))
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--members", type=int, help="members (broadcast), ballots (close) or residents (digest)"
    )
    args = parser.parse_args(argv)
    if args.benchmark == "all":  # each in a process of its own, for its own peak RSS
        extra = (
            ["--db", args.db]
            + (["--quick"] if args.quick else [])
            + (["--members", str(args.members)] if args.members else [])
        )
        return max(subprocess.run([sys.executable, "-m", "bench", name, *extra]).returncode for name in SUITE)
    module = __import__(f"bench.{args.benchmark}", fromlist=["run"])
    url = harness.database_url(args.db)
    started = time.perf_counter()
    try:
        sized = {"members": args.members} if args.benchmark in ("broadcast", "close", "digest") else {}
        module.run(args.db, url, args.quick, *sized.values())
    finally:
        harness.drop(args.db)
    print(f"  ({time.perf_counter() - started:.1f} s in all)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
