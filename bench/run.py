#!/usr/bin/env python3
"""Measure the storefront's throughput against a trivial page served by the same process.

    make bench                                  # 100,000 products, 10 s per page
    BENCH_PRODUCTS=2000 BENCH_SECONDS=5 make bench

Expects DATABASE_URL (PostgreSQL) and usually REDIS_URL in the environment;
scripts/with_services.py provides throwaway ones. Steps: migrate, seed_demo,
VACUUM ANALYZE, CHECKPOINT and read the tables and indexes once (pg_prewarm), collectstatic into a
temporary STATIC_ROOT, pick real URLs from the database
(bench/pick_urls.py), start gunicorn with production settings, warm every URL,
then run wrk against /bench/trivial/, each page, POST /cart/add/ as a new guest
each time (bench/lua/add_to_cart.lua), and /bench/trivial/ again, with a short
run of the trivial page between any two rows. A row's score is its requests/s
divided by the mean of the trivial runs just before and just after it, so a
machine whose speed drifts during the run is compared with itself. Then, with
gunicorn stopped, bench/orders.py places orders for 400 members from 8 threads
(half of them fighting over a scarce SKU) and checks that no stock was oversold
and that every stock row agrees with the orders and with its ledger.

Then the cold rows (bench/README.md): random product, search and filtered category
URLs as a guest and as a member logged in through allauth's form, the member's home,
cart page and add to cart, each after a catalogue version bump (bench/members.py).

Targets: catalogue pages >= 0.50 of the trivial page, search pages and
add-to-cart >= 0.30 (meant for 100,000 products), checkout >= 100 orders/s; cold
product pages >= 0.15, cold search and category pages >= 0.10, member home >= 0.30,
cart page >= 0.15, member add to cart >= 0.25. The table also goes to bench/last_run.md.
BENCH_REUSE_DB=true keeps a database that already holds enough products (no seeding).
Missing a target is a measurement, not a failure: the exit code stays 0. It is
non-zero when the run itself fails (no wrk, a page that does not answer 200,
gunicorn not starting), when an add-to-cart request or a checkout fails in a way
it should not, and when the stock check finds an inconsistency.
Results also go to bench/results/latest.json.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: manage.py and gunicorn run from it
RESULTS = ROOT / "bench" / "results" / "latest.json"

# 2 cores shared by gunicorn, wrk and PostgreSQL: three sync workers keep both
# cores busy while one worker waits on the database, without thrashing.
WORKERS = 3
WRK_THREADS = 2
WRK_CONNECTIONS = 16
# wrk's default 2 s timeout would drop slow responses from the latency figures.
WRK_TIMEOUT = "30s"
WARM_REQUESTS = WORKERS * 3  # every worker sees every page before it is measured
TARGETS = {
    "catalogue": 0.50,
    "search": 0.30,
    "cart": 0.30,
    # Cold rows: a different URL on each request, the catalogue version bumped before each row.
    "cold_product": 0.15,
    "cold_listing": 0.10,
    "member_home": 0.30,
    "member_cart": 0.15,
    "member_add": 0.25,
}
ORDERS_PER_S_TARGET = 100.0
# One search at a time on an otherwise idle server (wrk -t1 -c1 over the random search URLs):
# the "p99 under 100 ms for a single search".
SINGLE_SEARCH_P99_MS = 100.0
TRIVIAL_URL = "/bench/trivial/"
# The trivial run between two rows (their baseline): long enough to settle, short beside a row.
TRIVIAL_PROBE_SECONDS = 5
CART_URL = "/cart/add/"
CART_SCRIPT = ROOT / "bench" / "lua" / "add_to_cart.lua"
COLD_SCRIPT = ROOT / "bench" / "lua" / "cold_pages.lua"
MEMBER_CART_SCRIPT = ROOT / "bench" / "lua" / "member_add_to_cart.lua"
LOGIN_URL = "/accounts/login/"
ACCOUNT_URL = "/account/"
LAST_RUN = ROOT / "bench" / "last_run.md"
START_TIMEOUT = 60
IDLE_TIMEOUT = 300


def say(message: str = "") -> None:
    print(message, flush=True)


def fail(message: str) -> NoReturn:
    raise SystemExit(f"bench: {message}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        fail(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A live shop's database has its tables and indexes in memory, and the writes that built it are long on
# disk. A freshly seeded one has neither: its first run measured the disk (guest product pages at 0.04 of
# the trivial page with p99 over a second, against 0.10 and 126 ms in the next run on the same data).
# So the seed's dirty pages are written out first, then every table and index of the shop is read once
# ('read' mode: into the operating system's cache, which is bigger than shared_buffers).
WARM_DATABASE = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CHECKPOINT")
    try:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    except Exception as error:
        print(f"pg_prewarm is not available ({error}); the first rows may measure the disk")
    else:
        cursor.execute(
            "SELECT count(*), coalesce(sum(pg_prewarm(c.oid, 'read')), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't', 'm')"
        )
        relations, blocks = cursor.fetchone()
        print(f"read {relations} tables and indexes, {blocks * 8 // 1024} MB")
"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    command = [str(BIN / "python"), "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE if capture else None)
    if result.returncode != 0:
        fail(f"`manage.py {' '.join(args)}` failed with exit code {result.returncode}")
    return result.stdout if capture else ""


def get(base: str, path: str, timeout: float = 30) -> int:
    """The status code of one GET; 0 when the server does not answer at all."""
    request = urllib.request.Request(base + path, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return 0


def get_with_cookie(base: str, path: str, cookie: str) -> int:
    """The status of one GET sent with these cookies, redirects not followed."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie, "Connection": "close"})
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return 0


def uuid_hex() -> str:
    return secrets.token_hex(4)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # hand the 302 itself back to the caller


def post_add_to_cart(base: str, variant_id: int, token: str) -> tuple[int, str, bool]:
    """One add-to-cart as a new guest: status, Location, and whether a session cookie came back."""
    body = f"variant={variant_id}&quantity=1&csrfmiddlewaretoken={token}".encode()
    request = urllib.request.Request(
        base + CART_URL,
        data=body,
        headers={"Cookie": f"csrftoken={token}", "Content-Type": "application/x-www-form-urlencoded",
                 "Connection": "close"},
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=30) as response:
            response.read()
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as err:
        status, headers = err.code, err.headers
    except (urllib.error.URLError, OSError):
        return 0, "", False
    cookies = headers.get_all("Set-Cookie") or []
    return status, headers.get("Location", ""), any(c.startswith("sessionid=") for c in cookies)


def log_in(base: str, email: str, password: str) -> dict[str, str]:
    """Log in through allauth's own form over HTTP, as a browser does; the cookies it ends with.

    GET the form (for the CSRF cookie and token), POST it, keep the session and the CSRF
    cookie that Django rotated at log-in, then open the member's own page (which shows the
    log-in message): wrk sends the cookies that page left on every request.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirects)
    with opener.open(base + LOGIN_URL, timeout=30) as response:
        html = response.read().decode("utf-8", "replace")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not token:
        fail(f"{LOGIN_URL} shows no CSRF token")
    body = urllib.parse.urlencode({"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)})
    request = urllib.request.Request(base + LOGIN_URL, data=body.encode(), headers={"Referer": base + LOGIN_URL})
    try:
        with opener.open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    cookies = {cookie.name: cookie.value for cookie in jar}
    if status != 302 or "sessionid" not in cookies:
        fail(f"logging in as {email} answered {status} {'with' if 'sessionid' in cookies else 'without'} a session")
    # The member's own page answers 200 only to a logged-in member (else a redirect to log in).
    check = urllib.request.Request(base + ACCOUNT_URL, headers={"Cookie": cookie_header(cookies)})
    try:
        with opener.open(check, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    if status != 200:
        fail(f"after logging in as {email}, {ACCOUNT_URL} answered {status}")
    # The cookies as that page left them, as a browser keeps them: it showed the log-in message
    # ("成功登录") and deleted the messages cookie. Kept from before, every request would still carry
    # a message waiting to be shown, which no real member does after the first page.
    after = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in after:
        fail(f"after logging in as {email}, {ACCOUNT_URL} dropped the session cookie")
    return after


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class Gunicorn:
    """gunicorn in its own process group, so stopping it never leaves a worker behind."""

    def __init__(self, env: dict, workdir: Path):
        self.env = env
        self.log_path = workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> None:
        for _attempt in range(3):
            port = free_port()
            self.base = f"http://127.0.0.1:{port}"
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "shop.wsgi:application",
                    "--bind", f"127.0.0.1:{port}",
                    "--workers", str(WORKERS),
                    "--worker-class", "sync",
                    "--timeout", "120",
                    "--no-control-socket",
                    "--error-logfile", str(self.log_path),
                ],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.process.poll() is None:
                if get(self.base, "/healthz", timeout=5) == 200:
                    return
                time.sleep(0.2)
            self.stop()
        fail(f"gunicorn did not answer 200 on /healthz; its log:\n{self.log_tail()}")

    def wait_idle(self) -> None:
        """Wait until every worker is free again.

        When wrk stops, the requests it had queued are still being served; a slow
        page would otherwise eat into the next page's run. One trivial request per
        worker, all at once, all quick, means no worker is busy.
        """
        deadline = time.monotonic() + IDLE_TIMEOUT
        with ThreadPoolExecutor(WORKERS) as pool:
            while time.monotonic() < deadline:
                timings = list(pool.map(lambda _: self._timed_trivial(), range(WORKERS)))
                if max(timings) < 0.1:
                    return
                time.sleep(0.5)
        say(f"warning: gunicorn was still busy {IDLE_TIMEOUT} s after wrk stopped; measuring anyway")

    def _timed_trivial(self) -> float:
        started = time.monotonic()
        get(self.base, TRIVIAL_URL)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests/s, p50 and p99 (ms), request count and errors from `wrk --latency` output."""
    try:
        rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M).group(1))
        p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
        p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
        requests = int(re.search(r"^\s+(\d+) requests in", output, re.M).group(1))
    except (AttributeError, ValueError):
        fail(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if requests == 0:
        # Not one response within the run: wrk prints zero latencies, which would read as fast.
        p50 = p99 = None
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": requests,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, socket_errors.groups())))
        if socket_errors
        else {},
    }


def run_wrk(wrk: str, url: str, seconds: int, script: Path | None = None, env: dict | None = None,
            connections: int = WRK_CONNECTIONS) -> dict:
    command = [
        wrk,
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout", WRK_TIMEOUT,
        "--latency",
        *(["-s", str(script)] if script else []),
        url,
    ]
    result = subprocess.run(command, text=True, capture_output=True, env=env)
    if result.returncode != 0:
        fail(f"wrk failed on {url}:\n{result.stdout}{result.stderr}")
    measured = parse_wrk(result.stdout)
    if script:
        # The script's done() reports what the responses were, on one line.
        line = re.search(r"^BENCH_(?:CART|PAGES) (\{.*\})$", result.stdout, re.M)
        if not line:
            fail(f"{script.name} printed no BENCH_CART/BENCH_PAGES line:\n{result.stdout}{result.stderr}")
        measured["responses"] = json.loads(line.group(1))
    return measured


def bench_python(env: dict, *args: str) -> dict:
    """Run one of bench/'s scripts with the benchmark's environment; it prints one JSON object."""
    result = subprocess.run([str(BIN / "python"), *args], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE)
    if result.returncode != 0:
        fail(f"`python {' '.join(args)}` failed with exit code {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, capture_output=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return result.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def markdown_table(rows: list[dict]) -> str:
    """The same rows as a Markdown table: page, req/s, p99, ratio to trivial, target, met or missed."""
    words = {"PASS": "met", "FAIL": "missed", "-": "-", "ERRORS": "ERRORS"}
    lines = ["| page | URL | req/s | p99 ms | trivial around it | ratio to trivial | target | result |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    for row in rows:
        rps = "-" if row.get("rps") is None else f"{row['rps']:.1f}"
        ratio = "-" if row.get("ratio") is None else f"{row['ratio']:.2f}"
        around = "-" if row.get("trivial_rps") is None else f"{row['trivial_rps']:.1f}"
        target = row.get("target_text") or (f"≥ {row['target']:.2f}" if row.get("target") is not None else "-")
        lines.append(f"| {row['page']} | {unquote(row['url'])} | {rps} | {milliseconds(row.get('p99_ms'))} | {around} "
                     f"| {ratio} | {target} | {words.get(row['result'], row['result'])} |")
    return "\n".join(lines) + "\n"


def print_table(rows: list[dict]) -> None:
    """One line per row; a row may bring its own ``target_text`` and leave ``rps`` or ``ratio`` None."""
    headers = ("page", "URL", "req/s", "p50 ms", "p99 ms", "trivial", "ratio", "target", "result")
    lines = [
        (
            row["page"],
            unquote(row["url"]),
            "-" if row.get("rps") is None else f"{row['rps']:.1f}",
            milliseconds(row.get("p50_ms")),
            milliseconds(row.get("p99_ms")),
            "-" if row.get("trivial_rps") is None else f"{row['trivial_rps']:.1f}",
            "-" if row.get("ratio") is None else f"{row['ratio']:.2f}",
            row.get("target_text") or (f"≥ {row['target']:.2f}" if row.get("target") is not None else "-"),
            row["result"],
        )
        for row in rows
    ]
    widths = [max(display_width(str(cell)) for cell in column) for column in zip(headers, *lines)]
    numeric = {2, 3, 4, 5, 6}
    for line in (headers, *lines):
        say("  ".join(pad(str(cell), width, right=i in numeric) for i, (cell, width) in enumerate(zip(line, widths))))


def milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def display_width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if "\u2e80" <= char <= "\uffef" else 1 for char in text)


def pad(text: str, width: int, *, right: bool) -> str:
    space = " " * (width - display_width(text))
    return space + text if right else text + space


def on_sigterm(signum, frame):
    # with_services.py stops us with SIGTERM; exit through the finally that stops gunicorn.
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    products = env_int("BENCH_PRODUCTS", 100_000)
    seconds = env_int("BENCH_SECONDS", 10)
    members = env_int("BENCH_ORDERS", 400)
    order_threads = env_int("BENCH_ORDER_THREADS", 8)
    # One process per CPU, as gunicorn runs several workers: threads in one process share the GIL.
    order_processes = env_int("BENCH_ORDER_PROCESSES", os.cpu_count() or 1)
    # Keep a seeded database between runs (DATABASE_URL pointing at it): seed only when it holds too few products.
    reuse_db = os.environ.get("BENCH_REUSE_DB", "false") == "true"
    cold_seconds = env_int("BENCH_COLD_SECONDS", seconds)
    wrk = shutil.which("wrk")
    if wrk is None:
        fail("wrk is not installed (Debian: apt-get install wrk; .ci/run installs it)")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        fail("DATABASE_URL must point at PostgreSQL; run through scripts/with_services.py (make bench)")
    if not list(ROOT.glob("*/management/commands/seed_demo.py")):
        fail("no seed_demo management command found (expected shop/management/commands/seed_demo.py)")
    if not os.environ.get("REDIS_URL"):
        say("bench: REDIS_URL is not set; the cache falls back to per-process memory")

    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-throwaway-" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "BENCH_ENDPOINTS": "true",
        "DB_CONN_MAX_AGE": "600",
        "SESSION_COOKIE_SECURE": "false",
        # Plain HTTP: the log-in form's CSRF cookie must come back, as a browser would send it.
        "CSRF_COOKIE_SECURE": "false",
        "SERVE_MEDIA": "true",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT") or str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    server = Gunicorn(env, workdir)
    try:
        say("--- migrate")
        manage(env, "migrate", "--noinput", "-v", "0")
        seeded = 0
        if reuse_db:
            count = "from catalog.models import Product; print(Product.objects.count())"
            seeded = int(manage(env, "shell", "-v", "0", "-c", count, capture=True).strip() or 0)
        seed_seconds = 0.0
        if reuse_db and seeded >= products:
            say(f"--- BENCH_REUSE_DB: the database already holds {seeded} products; not seeding")
        else:
            say(f"--- seed_demo --products {products}")
            started = time.monotonic()
            manage(env, "seed_demo", "--products", str(products))
            seed_seconds = time.monotonic() - started
            say(f"seed_demo --products {products} took {seed_seconds:.1f} s")
        # A live database has long been vacuumed and analysed by autovacuum; a freshly
        # seeded one has not, and the planner would be guessing from empty statistics.
        say("--- VACUUM ANALYZE")
        vacuum = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
        manage(env, "shell", "-v", "0", "-c", vacuum)
        say("--- CHECKPOINT and pg_prewarm")
        say(manage(env, "shell", "-v", "0", "-c", WARM_DATABASE, capture=True).strip())
        say("--- collectstatic")
        manage(env, "collectstatic", "--noinput", "-v", "0")

        say("--- picking URLs")
        result = subprocess.run(
            [str(BIN / "python"), "bench/pick_urls.py"], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE
        )
        if result.returncode != 0:
            fail("bench/pick_urls.py failed")
        picked = json.loads(result.stdout)
        for page in picked["pages"]:
            say(f"{page['page']:<26} {unquote(page['url'])}  ({page['note']})" if page["note"] else
                f"{page['page']:<26} {unquote(page['url'])}")

        run_id = uuid_hex()
        bench_members = bench_python(
            env, "bench/members.py", "setup", "--run", run_id,
            "--cart-variants", ",".join(map(str, picked["cart_variants"])),
        )
        paths_files = {}
        for name, paths in picked["cold"].items():
            paths_files[name] = workdir / f"cold-{name}.txt"
            paths_files[name].write_text("\n".join(paths) + "\n")
            say(f"cold {name:<9} {len(paths)} URLs, e.g. {unquote(paths[0])}")

        # Other work on the machine skews every figure; say so rather than hide it.
        load_before = os.getloadavg()[0]
        say(f"--- gunicorn: {WORKERS} sync workers, DEBUG=false, {os.cpu_count()} CPUs, "
            f"load average before the runs {load_before:.2f}")
        server.start()
        say(f"serving on {server.base}")

        trivial = {"page": "trivial (first)", "kind": "trivial", "url": TRIVIAL_URL, "note": ""}
        for page in [trivial, *picked["pages"]]:
            for _ in range(WARM_REQUESTS):
                status = get(server.base, page["url"])
                if status != 200:
                    fail(f"{page['url']} answered {status} while warming up; gunicorn's log:\n{server.log_tail()}")

        # Add to cart as a new guest: a fixed CSRF secret as both cookie and form token
        # (see bench/lua/add_to_cart.lua). Warm up with it, which also proves Django takes it.
        csrf_token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        cart_variants = picked["cart_variants"]
        for variant_id in cart_variants[:WARM_REQUESTS]:
            status, location, new_session = post_add_to_cart(server.base, variant_id, csrf_token)
            if (status, location, new_session) != (302, "/cart/", True):
                fail(f"POST {CART_URL} (variant {variant_id}) answered {status} to {location or '-'} "
                     f"{'with' if new_session else 'without'} a new session while warming up; "
                     f"gunicorn's log:\n{server.log_tail()}")
        cart = {
            "page": "add to cart (new guest)",
            "kind": "cart",
            "url": f"POST {CART_URL}",
            "note": f"{len(cart_variants)} SKUs, a new session each time",
        }
        cart_env = {**os.environ, "BENCH_CSRF_TOKEN": csrf_token, "BENCH_VARIANT_IDS": ",".join(map(str, cart_variants))}

        # The member's side: a real log-in through allauth's form, its cookies reused by wrk.
        browser = log_in(server.base, bench_members["browser"]["email"], bench_members["browser"]["password"])
        adder = log_in(server.base, bench_members["adder"]["email"], bench_members["adder"]["password"])
        for path in ("/", "/cart/", picked["cold"]["product"][0], picked["cold"]["search"][0],
                     picked["cold"]["category"][0]):
            if get_with_cookie(server.base, path, cookie_header(browser)) != 200:
                fail(f"{path} did not answer 200 to the logged-in member")
        single = workdir / "cold-home.txt"
        single.write_text("/\n")
        cart_page = workdir / "cold-cart.txt"
        cart_page.write_text("/cart/\n")
        lines = f"{len(picked['cart_variants'][::max(1, len(picked['cart_variants']) // 5)][:5])} lines"

        def cold(page, kind, name, cookie=None, path_file=None):
            return {"page": page, "kind": kind, "url": f"{len(picked['cold'][name])} random URLs" if name else "",
                    "note": "", "paths": path_file or paths_files[name], "cookie": cookie}

        member = cookie_header(browser)
        cold_rows = [
            cold("guest product (cold)", "cold_product", "product"),
            cold("guest search (cold)", "cold_listing", "search"),
            cold("guest category+filters (cold)", "cold_listing", "category"),
            {**cold("member home", "member_home", None, member, single), "url": "/"},
            cold("member product (cold)", "cold_product", "product", member),
            cold("member category+filters (cold)", "cold_listing", "category", member),
            cold("member search (cold)", "cold_listing", "search", member),
            {**cold("single search (cold, one at a time)", "single_search", "search"), "connections": 1},
            {**cold("member cart page", "member_cart", None, member, cart_page), "url": f"/cart/ ({lines})"},
        ]
        member_add = {
            "page": "member add to cart",
            "kind": "member_add",
            "url": f"POST {CART_URL}",
            "note": f"{len(cart_variants)} SKUs, one member",
        }
        member_add_env = {**os.environ, "BENCH_CSRF_TOKEN": adder["csrftoken"],
                          "BENCH_COOKIE": cookie_header(adder), "BENCH_VARIANT_IDS": ",".join(map(str, cart_variants))}

        plan = [trivial, *picked["pages"], cart, *cold_rows, member_add, {**trivial, "page": "trivial (last)"}]
        say(f"--- wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{seconds}s --timeout {WRK_TIMEOUT} --latency, "
            f"{len(plan)} runs")
        rows = []
        trivial_runs = []  # every run of the trivial page, in order: the first and last rows and those between rows

        def trivial_ran(rps: float) -> None:
            """A trivial run is the baseline after the row before it and before the row after it."""
            if rows and rows[-1]["kind"] != "trivial":
                rows[-1]["trivial_after"] = rps
            trivial_runs.append(rps)

        for page in plan:
            server.wait_idle()
            if page["kind"] != "trivial" and rows[-1]["kind"] != "trivial":
                probe = run_wrk(wrk, server.base + TRIVIAL_URL, min(seconds, TRIVIAL_PROBE_SECONDS))
                if probe["non_2xx"] or probe["rps"] <= 0:
                    fail(f"{TRIVIAL_URL} failed between rows; gunicorn's log:\n{server.log_tail()}")
                trivial_ran(probe["rps"])
                server.wait_idle()
            if page is cart:
                carts_before = bench_python(env, "bench/orders.py", "guest-carts")["with_cart"]
                measured = run_wrk(wrk, server.base + CART_URL, seconds, script=CART_SCRIPT, env=cart_env)
                server.wait_idle()  # requests wrk gave up on at the end are finished too
                measured["carts_saved"] = bench_python(env, "bench/orders.py", "guest-carts")["with_cart"] - carts_before
            elif page is member_add:
                bench_python(env, "bench/members.py", "bump")
                server.wait_idle()
                email = bench_members["adder"]["email"]
                before = bench_python(env, "bench/members.py", "cart-units", "--email", email)["units"]
                measured = run_wrk(wrk, server.base + CART_URL, cold_seconds, script=MEMBER_CART_SCRIPT,
                                   env=member_add_env)
                server.wait_idle()
                # Every add answered must be a unit in the member's cart (a refusal redirects too).
                measured["carts_saved"] = bench_python(env, "bench/members.py", "cart-units", "--email", email)[
                    "units"] - before
            elif "paths" in page:
                # Nothing cached for the catalogue survives into this row, as after an admin save.
                bench_python(env, "bench/members.py", "bump")
                server.wait_idle()
                cold_env = {**os.environ, "BENCH_PATHS_FILE": str(page["paths"]), "BENCH_COOKIE": page["cookie"] or ""}
                measured = run_wrk(wrk, server.base + "/", cold_seconds, script=COLD_SCRIPT, env=cold_env,
                                   connections=page.get("connections", WRK_CONNECTIONS))
            else:
                measured = run_wrk(wrk, server.base + page["url"], seconds)
            say(f"{page['page']:<26} {measured['rps']:8.1f} req/s  p50 {milliseconds(measured['p50_ms'])} ms  "
                f"p99 {milliseconds(measured['p99_ms'])} ms  ({measured['requests']} requests)")
            if page is member_add:
                responses = measured["responses"]
                say(f"{'':<26} {responses['ok']} answered 302 to /cart/, {responses['other']} other responses; "
                    f"statuses {responses['statuses']}; {measured['carts_saved']} units added to the member's cart")
            elif "paths" in page:
                responses = measured["responses"]
                if responses["other"]:
                    say(f"{'':<26} {responses['other']} responses were not 200: {responses['statuses']}")
            if page is cart:
                responses = measured["responses"]
                say(f"{'':<26} {responses['ok']} added (302 to /cart/ with a new session), "
                    f"{responses['refused']} refused, {responses['other']} other responses, "
                    f"{measured['non_2xx']} non-2xx/3xx; statuses {responses['statuses']}; "
                    f"{measured['carts_saved']} guest carts saved in the database")
            if page["kind"] == "trivial":
                trivial_ran(measured["rps"])
            else:
                measured["trivial_before"] = trivial_runs[-1]
            rows.append({key: value for key, value in {**page, **measured}.items()
                         if key not in ("paths", "cookie", "connections")})
        server.stop()

        # Checkout, from threads in a separate process, straight through the service.
        load_orders = os.getloadavg()[0]
        say(f"--- place_order: {members} members, {order_threads} threads in {order_processes} process(es); "
            f"load average {load_orders:.2f}")
        placed = bench_python(
            env, "bench/orders.py", "place", "--members", str(members), "--threads", str(order_threads),
            "--processes", str(order_processes),
        )
        say(f"{placed['placed']} orders placed, {placed['sold_out']} refused as sold out, {placed['errors']} errors "
            f"in {placed['seconds']:.2f} s: {placed['orders_per_s']:.1f} orders/s "
            f"({placed['attempts_per_s']:.1f} checkouts/s); per checkout p50 {milliseconds(placed['p50_ms'])} ms, "
            f"p99 {milliseconds(placed['p99_ms'])} ms")
        hot = placed["hot"]
        say(f"hot SKU {hot['sku']}: {hot['buyers']} buyers for {hot['units_available']} units, {hot['placed']} got one")
        for sample in placed["error_samples"]:
            say(f"  error: {sample}")

        say("--- stock check")
        checked = bench_python(
            env, "bench/orders.py", "check", "--hot-variant", str(hot["variant_id"]),
            "--hot-store", str(hot["store_id"]), "--hot-units", str(hot["units_available"]),
            "--run", hot.get("run", ""),
        )
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    first, last = trivial_runs[0], trivial_runs[-1]
    baseline = sum(trivial_runs) / len(trivial_runs)
    missed = []
    broken = []  # failures of correctness, not of speed: these make the exit code non-zero
    for row in rows:
        if row["kind"] == "trivial":
            row["ratio"] = round(row["rps"] / baseline, 3)
        else:
            row["trivial_rps"] = round((row["trivial_before"] + row["trivial_after"]) / 2, 1)
            row["ratio"] = round(row["rps"] / row["trivial_rps"], 3)
        row["target"] = TARGETS.get(row["kind"])
        failed_adds = 0
        if "paths" in row or row["kind"] in ("cold_product", "cold_listing", "member_home", "member_cart",
                                             "single_search"):
            failed_adds = row["responses"]["other"]  # not a 200: a redirect to log in, an error page
        if row["kind"] == "member_add":
            failed_adds = row["responses"]["other"] + max(0, row["responses"]["ok"] - row["carts_saved"])
        if row["kind"] == "cart":
            # Every 302 counted as an add must have left a cart in a session row.
            failed_adds = row["responses"]["refused"] + row["responses"]["other"]
            failed_adds += max(0, row["responses"]["ok"] - row["carts_saved"])
        if row["non_2xx"] or any(row["socket_errors"].values()) or failed_adds:
            row["result"] = "ERRORS"
            missed.append(row)
            if row["kind"] in ("cart", "member_add"):
                broken.append(row)
        elif row["kind"] == "single_search":
            row["target_text"] = f"p99 ≤ {SINGLE_SEARCH_P99_MS:.0f} ms"
            row["result"] = "PASS" if row["p99_ms"] is not None and row["p99_ms"] <= SINGLE_SEARCH_P99_MS else "FAIL"
            if row["result"] == "FAIL":
                missed.append(row)
        elif row["target"] is None:
            row["result"] = "-"
        elif row["ratio"] >= row["target"]:
            row["result"] = "PASS"
        else:
            row["result"] = "FAIL"
            missed.append(row)

    if placed["errors"]:
        placed["result"] = "ERRORS"
    else:
        placed["result"] = "PASS" if placed["orders_per_s"] >= ORDERS_PER_S_TARGET else "FAIL"
    checked["result"] = "PASS" if checked["passed"] else "FAIL"
    order_rows = [
        {
            "page": "place order",
            "url": f"place_order() × {members}, {placed['threads']} threads"
            + (f" in {order_processes} processes" if order_processes > 1 else ""),
            "rps": placed["orders_per_s"],
            "p50_ms": placed["p50_ms"],
            "p99_ms": placed["p99_ms"],
            "ratio": None,
            "target_text": f"≥ {ORDERS_PER_S_TARGET:.0f}/s",
            "result": placed["result"],
        },
        {
            "page": "stock check",
            "url": f"{checked['stock_rows']} stock rows, {checked['orders_holding_stock']} orders holding stock",
            "rps": None,
            "ratio": None,
            "target_text": "no oversell",
            "result": checked["result"],
        },
    ]

    say()
    trivial_text = (f"trivial page {min(trivial_runs):.1f} to {max(trivial_runs):.1f} req/s over its "
                    f"{len(trivial_runs)} runs (mean {baseline:.1f}; first {first:.1f}, last {last:.1f}), each row "
                    f"compared with the runs just before and after it")
    say(f"{picked['products']} visible products, {WORKERS} gunicorn sync workers, "
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{seconds}s; {trivial_text}; {os.cpu_count()} CPUs, "
        f"load average {load_before:.2f} before the pages, {load_orders:.2f} before the orders")
    if max(trivial_runs) - min(trivial_runs) > 0.1 * baseline:
        say(f"note: the trivial page's speed varied by {(max(trivial_runs) - min(trivial_runs)) / baseline:.0%} "
            "during the run")
    say()
    print_table(rows + order_rows)
    say()
    LAST_RUN.write_text(
        f"# make bench, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {git_commit()}\n\n"
        f"{picked['products']} visible products, {WORKERS} gunicorn sync workers, wrk -t{WRK_THREADS} "
        f"-c{WRK_CONNECTIONS} -d{seconds}s (cold rows {cold_seconds}s); {trivial_text}; {os.cpu_count()} CPUs, "
        f"load average {load_before:.2f}\n\n"
        + markdown_table(rows + order_rows)
    )
    say(f"table written to {LAST_RUN.relative_to(ROOT)}")
    for row in missed:
        if row["result"] == "ERRORS":
            extra = ""
            if row["kind"] == "cart":
                extra = (f", {row['responses']['refused']} adds refused, {row['responses']['other']} other responses "
                         f"(statuses {row['responses']['statuses']}), {row['responses']['ok']} adds answered but "
                         f"{row['carts_saved']} guest carts saved")
            say(f"ERRORS {row['page']}: {row['non_2xx']} non-2xx responses, socket errors {row['socket_errors']}{extra}")
        else:
            none = "; not one request finished within the run" if row["requests"] == 0 else ""
            if row["kind"] == "single_search":
                say(f"MISSED {row['page']}: p99 {milliseconds(row['p99_ms'])} ms, target {SINGLE_SEARCH_P99_MS:.0f} ms")
            else:
                say(f"MISSED {row['page']}: {row['ratio']:.2f} of the trivial page, target {row['target']:.2f}{none}")
    if placed["result"] == "ERRORS":
        say(f"ERRORS place order: {placed['errors']} checkouts failed: {placed['error_samples']}")
    elif placed["result"] == "FAIL":
        say(f"MISSED place order: {placed['orders_per_s']:.1f} orders/s, target {ORDERS_PER_S_TARGET:.0f}")
    if not missed and placed["result"] == "PASS":
        say("every page and the checkout met their targets")
    if checked["passed"]:
        say(f"stock check PASS: no row out of bounds, reserved matches the orders on every (store, SKU), every row "
            f"matches its ledger; hot SKU {hot['sku']} sold {checked['hot'].get('units_on_order')} of "
            f"{hot['units_available']} units")
    else:
        say(f"stock check FAIL: {checked['rows_out_of_bounds']} rows out of bounds, "
            f"{checked['reserved_mismatches']} (store, SKU) pairs whose reserved differs from the orders, "
            f"{checked['rows_off_ledger']} rows off their ledger")
        for text in checked["problems"]:
            say(f"  {text}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "git_commit": git_commit(),
                "products_requested": products,
                "products_visible": picked["products"],
                "seed_seconds": round(seed_seconds, 1),
                "cpus": os.cpu_count(),
                "load_average_before": round(load_before, 2),
                "load_average_before_orders": round(load_orders, 2),
                "gunicorn_workers": WORKERS,
                "wrk": {"threads": WRK_THREADS, "connections": WRK_CONNECTIONS, "seconds": seconds,
                        "timeout": WRK_TIMEOUT},
                "trivial_rps_mean": round(baseline, 1),
                "trivial_rps_runs": [round(rps, 1) for rps in trivial_runs],
                "targets": {**TARGETS, "orders_per_s": ORDERS_PER_S_TARGET},
                "pages": rows,
                "place_order": placed,
                "stock_check": checked,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    say(f"results written to {RESULTS.relative_to(ROOT)}")
    if broken or placed["result"] == "ERRORS" or not checked["passed"]:
        say("bench: FAILED (see ERRORS / stock check above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
