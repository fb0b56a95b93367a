"""One closing of the re-enrolment window, as the scheduler's job does it, in a process of
its own for the kill test:

    python -m tests.reliability.closing_worker URL DATA_DIR --now ISO --chunk N

It prints ``closing`` once the database is open, just before ``close_window`` starts (the
kill test times its kills from that line), then the outcome as one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from dacapo.store.closing import close_window
from dacapo.store.database import open_database

CAMPAIGN = "malakoff-2023-2024"
READY = "closing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--now", type=dt.datetime.fromisoformat, required=True)
    parser.add_argument("--chunk", type=int, required=True)
    args = parser.parse_args()
    database = open_database(args.url, args.data_dir)
    try:
        print(READY, flush=True)
        outcome = close_window(database, CAMPAIGN, "reenrolment", now=args.now, chunk=args.chunk)
    finally:
        database.dispose()
    print(json.dumps({"lapsed": outcome.lapsed, "notices": outcome.notices,
                      "chunks": outcome.chunks}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
