"""Profile cold requests of a page in-process: queries, their time, and where Python spends it.

    DATABASE_URL=... REDIS_URL=... SECRET_KEY=x .venv/bin/python bench/profile_page.py \\
        [--member EMAIL] [--requests 20] [--top 25] '/p/some-slug/' '/search/?q=有机' ...

Runs against an already seeded database (for example the one `BENCH_REUSE_DB=true make bench`
keeps). Before each request the catalogue version is bumped, so every request is cold, as in
the cold rows of `make bench`. Prints, per path, the median time, the queries of one request
with their durations, and the cProfile functions with the most cumulative time over all requests.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.cache import bump_catalog_version  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--member", help="e-mail of a user to log in as")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--warm", action="store_true", help="do not bump the catalogue version between requests")
    args = parser.parse_args()
    client = Client()
    if args.member:
        client.force_login(get_user_model().objects.get(email=args.member))
    for path in args.paths:
        client.get(path)  # imports, template loading: not what a running process pays
        timings = []
        profile = cProfile.Profile()
        for _ in range(args.requests):
            if not args.warm:
                bump_catalog_version()
            started = time.perf_counter()
            profile.enable()
            response = client.get(path)
            profile.disable()
            timings.append((time.perf_counter() - started) * 1000)
        if not args.warm:
            bump_catalog_version()
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        print(f"=== {path}: status {response.status_code}, median {statistics.median(timings):.1f} ms, "
              f"max {max(timings):.1f} ms over {args.requests} requests, {len(queries)} queries")
        for query in queries.captured_queries:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:220]}")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
