"""``make drill``: N rounds of crash drills against the sample handler; prints the totals.

Usage: ``python bench/drill.py [--rounds 20] [--events 300]``. Exits non-zero if any event was
lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from egov_devkit.drill import run_drills, summary
from egov_devkit.sample import sample_data
from localenv import local_env


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    async with local_env(lambda m: print(m, flush=True)) as env:
        results = await run_drills(
            args.rounds,
            env.kafka_bootstrap,
            env.admin_dsn,
            sample_data,
            env.pause_broker if env.broker is not None else None,
            events=args.events,
            log=lambda m: print(m, flush=True),
        )
    print(summary(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
