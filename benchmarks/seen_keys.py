"""How long queueing spends telling a key met again (`engine.seen.SeenKeys`): a million keys
in chunks of 20,000 (queueing's chunk), in feed order and shuffled (many suppliers' feeds
are in no key order). Prints CPU seconds; `python benchmarks/seen_keys.py [--n N]`."""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from syncbeat.engine.queueing import CHUNK
from syncbeat.engine.seen import SeenKeys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    keys = [f"SKU{i:07d}" for i in range(args.n)]
    shuffled = keys[:]
    random.Random(1).shuffle(shuffled)
    with tempfile.TemporaryDirectory() as work:
        for name, order in (("in key order", keys), ("shuffled", shuffled)):
            seen = SeenKeys(Path(work) / "seen.sqlite")
            chunks = [[(key, at + i + 1) for i, key in enumerate(order[at:at + CHUNK])]
                      for at in range(0, len(order), CHUNK)]
            started = time.process_time()
            for chunk in chunks:
                seen.first_rows(chunk)
            spent = time.process_time() - started
            seen.close()
            print(f"{args.n:,} keys {name}: {spent:.2f} CPU s "
                  f"({spent / args.n * 1e6:.2f} us a key)")


if __name__ == "__main__":
    main()
