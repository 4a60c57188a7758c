"""Where a page's time goes: its SQL queries, their timings, and EXPLAIN ANALYZE of the slowest.

    DATABASE_URL=... SECRET_KEY=x .venv/bin/python bench/queries.py '/c/fresh/' '/search/?q=有机'
    ... --explain 3      EXPLAIN (ANALYZE, BUFFERS) the three slowest queries of each page

Requests go through Django's test client in this process, with the production
settings (DEBUG=false, cached templates); each page is requested a few times
and the last request is reported, so start-up costs are not counted.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("STATIC_ROOT", "/tmp/shop-bench-static")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

REPEAT = 5


def encode(url: str) -> str:
    parts = urlsplit(url)
    return quote(parts.path) + (f"?{quote(parts.query, safe='=&%+')}" if parts.query else "")


class QueryLog:
    """Every query with its parameters and time, measured more finely than Django's own log."""

    def __init__(self):
        self.queries: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql, params))


def profile(client: Client, url: str, explain: int) -> None:
    timings = []
    for _ in range(REPEAT):
        log = QueryLog()
        with connection.execute_wrapper(log):
            started = time.perf_counter()
            response = client.get(encode(url))
            timings.append(time.perf_counter() - started)
    sql_ms = sum(seconds for seconds, _, _ in log.queries) * 1000
    print(f"\n=== {url}  status {response.status_code}, {len(response.content)} bytes")
    print(
        f"request: median {statistics.median(timings) * 1000:.1f} ms of {REPEAT}; "
        f"last one: {len(log.queries)} queries, {sql_ms:.1f} ms in SQL, "
        f"{timings[-1] * 1000 - sql_ms:.1f} ms in Python"
    )
    slowest = sorted(log.queries, key=lambda query: query[0], reverse=True)
    for seconds, sql, _ in slowest[:8]:
        print(f"  {seconds * 1000:7.1f} ms  {sql[:200]}")
    for seconds, sql, params in slowest[:explain]:
        with connection.cursor() as cursor:
            print(f"\n--- EXPLAIN ANALYZE ({seconds * 1000:.1f} ms)\n{cursor.mogrify(sql, params)}\n")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", help="paths as a shopper types them, e.g. '/search/?q=有机'")
    parser.add_argument("--explain", type=int, default=0, metavar="N", help="EXPLAIN ANALYZE the N slowest queries")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        # The manifest storage of DEBUG=false cannot render a page without it.
        call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()
    for url in args.urls:
        profile(client, url, args.explain)


if __name__ == "__main__":
    main()
