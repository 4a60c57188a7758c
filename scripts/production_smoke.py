#!/usr/bin/env python3
"""A production install, end to end: the CI step after `make test`.

    scripts/with_services.py scripts/production_smoke.py

With DATABASE_URL (an empty PostgreSQL database) and REDIS_URL set, as
scripts/with_services.py sets them, this

1. builds a fresh venv from the runtime dependencies alone
   (`python3.11 -m venv ... && pip install .`, what the Dockerfile does),
   with no test extras, and checks Celery's Redis transport imports;
2. runs `manage.py check --deploy --fail-level WARNING` with production
   settings (DEBUG=false, a real SECRET_KEY, HTTPS behind a proxy, HSTS);
3. migrates the database, collects the static files, seeds a small demo
   shop (`seed_demo --products 12`, no demo members or orders);
4. starts gunicorn, a Celery worker and Celery beat on Redis;
5. places one order over HTTP as a shopper would, with the real forms and
   their CSRF tokens: the allauth log-in form with the seeded member, a
   product page's add-to-cart form, the checkout form with bank transfer
   (cash on delivery if the form offers no bank transfer);
6. waits until the order's confirmation email has left the outbox: its
   OutboxMessage has a sent_at (asked through `manage.py shell`) and the
   worker printed it (the console email backend);
7. stops everything, whatever happened, and exits non-zero with the step
   that failed and the logs of the processes.

SMOKE_VENV=/path reuses a venv built by an earlier run (it is reinstalled
with `pip install .` but not re-created). Standard library only.
"""

import http.cookies
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60
EMAIL_TIMEOUT = 90  # the hand-off is immediate; the outbox flush (every minute) is the fallback
SHOPPER = ("shopper@example.com", "shopper12345")  # a login seed_demo creates


class SmokeFailure(Exception):
    pass


STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"production_smoke [{time.monotonic() - STARTED:5.0f} s]: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- HTML forms, read as a browser would submit them -----------------------------------


class FormParser(HTMLParser):
    """Every <form> of a page with its fields: what a browser would send without JavaScript."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "method": attrs.get("method", "get").lower(), "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and "name" in attrs and "disabled" not in attrs:
            kind = attrs.get("type", "text").lower()
            fields.append({"tag": "input", "type": kind, "name": attrs["name"], "value": attrs.get("value", "on" if kind in ("checkbox", "radio") else ""), "checked": "checked" in attrs})
        elif tag == "button" and "name" in attrs:
            fields.append({"tag": "button", "type": attrs.get("type", "submit"), "name": attrs["name"], "value": attrs.get("value", ""), "checked": False})
        elif tag == "select" and "name" in attrs:
            self._select = {"tag": "select", "type": "select", "name": attrs["name"], "options": [], "value": None, "checked": False}
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["options"].append(value)
            if "selected" in attrs or self._select["value"] is None:
                self._select["value"] = value
        elif tag == "textarea" and "name" in attrs:
            self._textarea = {"tag": "textarea", "type": "textarea", "name": attrs["name"], "value": "", "checked": False}
            fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def find_form(html: str, *, has_field: str, action: str | None = None) -> dict:
    """The first form with a field named ``has_field`` (and, if given, whose action contains ``action``)."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(field["name"] == has_field for field in form["fields"]) and (action is None or action in form["action"]):
            return form
    raise SmokeFailure(f"no form with a field {has_field!r}" + (f" posting to {action!r}" if action else "") + " on the page")


def radio_values(form: dict, name: str) -> list[str]:
    return [f["value"] for f in form["fields"] if f["name"] == name and f["type"] == "radio"]


def form_data(form: dict, *, choose: dict | None = None, press: str | None = None) -> list[tuple[str, str]]:
    """The pairs a browser posts: filled-in values, checked boxes and radios, the pressed button.

    ``choose`` sets fields by name: a radio group to one of its values (an error if the form
    offers no such value), a checkbox on (True) or off (False), any other field to a value.
    """
    choose = dict(choose or {})
    for name, value in choose.items():
        radios = radio_values(form, name)
        if radios and value not in radios:
            raise SmokeFailure(f"the form offers {name} = {radios}, not {value!r}")
    pairs = []
    for field in form["fields"]:
        name = field["name"]
        if field["tag"] == "button":
            if name == press:
                pairs.append((name, field["value"]))
            continue
        if field["type"] in ("submit", "image", "reset", "button"):
            if name == press:
                pairs.append((name, field["value"]))
            continue
        if field["type"] == "radio":
            selected = field["value"] == choose[name] if name in choose else field["checked"]
            if selected:
                pairs.append((name, field["value"]))
        elif field["type"] == "checkbox":
            if choose.get(name, field["checked"]):
                pairs.append((name, field["value"]))
        elif name in choose:
            pairs.append((name, str(choose[name])))
        else:
            pairs.append((name, field["value"] or ""))
    return pairs


# --- A browser without JavaScript ------------------------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """HTTP to gunicorn as a TLS proxy would pass it on: X-Forwarded-Proto https.

    Cookies are kept by hand, because the shop's cookies are Secure and the
    standard cookie jar would never send them back over plain HTTP.
    """

    def __init__(self, base: str):
        self.base = base
        self.origin = "https://" + urllib.parse.urlsplit(base).netloc
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirects)
        self.last_url = "/"

    def request(self, method: str, path: str, data=None, *, follow=True, timeout=30):
        for _hop in range(10):
            headers = {
                "X-Forwarded-Proto": "https",
                "Accept-Language": "en",
                "User-Agent": "production-smoke",
            }
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if data is not None:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                # Django checks both for HTTPS requests: the form must come from this shop.
                headers["Origin"] = self.origin
                headers["Referer"] = self.origin + self.last_url
            request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
            try:
                response = self.opener.open(request, timeout=timeout)
                status, content, response_headers = response.status, response.read(), response.headers
            except urllib.error.HTTPError as err:
                status, content, response_headers = err.code, err.read(), err.headers
            for raw in response_headers.get_all("Set-Cookie") or []:
                cookie = http.cookies.SimpleCookie()
                cookie.load(raw)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            location = response_headers.get("Location")
            if follow and status in (301, 302, 303) and location:
                parts = urllib.parse.urlsplit(location)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                method, data = "GET", None
                continue
            if method == "GET":
                self.last_url = path
            return status, content.decode("utf-8", errors="replace"), location
        raise SmokeFailure(f"too many redirects at {path}")

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data, **kwargs)


def expect(status: int, wanted, what: str, content: str = "") -> None:
    wanted = (wanted,) if isinstance(wanted, int) else wanted
    if status not in wanted:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content))[:600]
        raise SmokeFailure(f"{what}: HTTP {status}, wanted {wanted}. Page text: {snippet}")


def errors_on(html: str) -> str:
    found = re.findall(r'class="(?:error|errorlist)[^"]*"[^>]*>(.*?)</', html, flags=re.S)
    return "; ".join(re.sub(r"<[^>]+>|\s+", " ", text).strip() for text in found if text.strip())


def place_one_order(base: str) -> str:
    """Log in, add a product to the cart and check out; the order number."""
    browser = Browser(base)
    status, page, _ = browser.get("/accounts/login/")
    expect(status, 200, "the log-in page", page)
    login = find_form(page, has_field="password")
    email, password = SHOPPER
    status, page, _ = browser.post("/accounts/login/", form_data(login, choose={"login": email, "password": password}), follow=False)
    if status != 302:
        raise SmokeFailure(f"logging in as {email} failed (HTTP {status}): {errors_on(page) or page[:300]}")
    say(f"logged in as {email}")

    status, page, _ = browser.get("/search/?q=")
    if status != 200 or "/p/" not in page:
        status, page, _ = browser.get("/")
    expect(status, 200, "a page listing products", page)
    slugs = list(dict.fromkeys(re.findall(r'href="/p/([^/"]+)/"', page)))
    if not slugs:
        raise SmokeFailure("no product links on the home or search page; did seed_demo run?")
    for slug in slugs[:10]:
        status, page, _ = browser.get(f"/p/{slug}/")
        expect(status, 200, f"the product page /p/{slug}/", page)
        try:
            add = find_form(page, has_field="variant", action="/cart/add/")
        except SmokeFailure:
            continue  # sold out: no add-to-cart form
        status, page, _ = browser.post("/cart/add/", form_data(add, choose={"quantity": "1"} if any(f["name"] == "quantity" for f in add["fields"]) else {}))
        expect(status, 200, "adding to the cart", page)
        break
    else:
        raise SmokeFailure(f"none of {slugs[:10]} could be added to the cart")
    say(f"added /p/{slug}/ to the cart")

    status, page, _ = browser.get("/checkout/")
    expect(status, 200, "the checkout page", page)
    form = find_form(page, has_field="payment_method")
    methods = radio_values(form, "payment_method")
    payment = next((m for m in ("bank_transfer", "cod") if m in methods), None)
    if payment is None:
        raise SmokeFailure(f"the checkout form offers neither bank transfer nor cash on delivery: {methods}")
    choose = {"payment_method": payment}
    if "delivery" in radio_values(form, "fulfilment"):
        choose["fulfilment"] = "delivery"
    status, page, location = browser.post("/checkout/", form_data(form, choose=choose, press="place"), follow=False)
    if status != 302 or not location:
        raise SmokeFailure(f"checkout with {payment} did not place an order (HTTP {status}): {errors_on(page) or 'no error shown'}")
    match = re.search(r"/orders/([^/]+)/", location)
    if not match:
        raise SmokeFailure(f"checkout redirected to {location}, not to an order")
    number = match.group(1)
    status, page, _ = browser.get(location)
    expect(status, 200, f"the page after checkout ({location})", page)
    say(f"placed order {number} with {payment}")
    return number


# --- Processes -------------------------------------------------------------------------


class Processes:
    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.running: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log_path = self.logdir / f"{name}.log"
        log = open(log_path, "wb")
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.running.append((name, process, log_path))
        return process

    def check_alive(self) -> None:
        for name, process, _log in self.running:
            if process.poll() is not None:
                raise SmokeFailure(f"{name} exited with code {process.returncode}")

    def stop_all(self) -> None:
        for name, process, _log in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process, _log in reversed(self.running):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in 20 s; killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def dump_logs(self, lines: int = 40) -> None:
        for name, _process, log_path in self.running:
            text = log_path.read_text(errors="replace").splitlines()[-lines:]
            print(f"----- last {len(text)} lines of {name} ({log_path})", file=sys.stderr)
            print("\n".join(text), file=sys.stderr)


def run(step: str, command: list[str], env: dict, *, timeout: int = 600, quiet: bool = False) -> str:
    if not quiet:
        say(step)
    result = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SmokeFailure(f"{step} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def wait_for(what: str, check, timeout: float, processes: Processes, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise SmokeFailure(f"{what}: not within {timeout:.0f} s")


def healthz_ok(base: str) -> bool:
    request = urllib.request.Request(base + "/healthz", headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


OUTBOX_QUERY = """
import json
from orders.models import OutboxMessage
rows = OutboxMessage.objects.filter(order__number={number!r}).values_list("kind", "sent_at", "attempts")
print("OUTBOX " + json.dumps([[kind, bool(sent_at), attempts] for kind, sent_at, attempts in rows]))
"""


def outbox_state(python: str, env: dict, number: str) -> list:
    out = run("reading the outbox", [python, "manage.py", "shell", "-c", OUTBOX_QUERY.format(number=number)], env, timeout=60, quiet=True)
    line = next((line for line in out.splitlines() if line.startswith("OUTBOX ")), None)
    if line is None:
        raise SmokeFailure(f"manage.py shell printed no outbox state:\n{out}")
    return json.loads(line[len("OUTBOX "):])


def build_venv(venv: Path, workdir: Path) -> str:
    python = venv / "bin" / "python"
    if not python.exists():
        interpreter = shutil.which("python3.11") or sys.executable
        run(f"creating a venv at {venv}", [interpreter, "-m", "venv", str(venv)], dict(os.environ))
    # As the Dockerfile does: pyproject.toml alone (it lists no packages; the code runs from
    # the checkout), copied so pip's build files stay out of the working tree.
    project = workdir / "project"
    project.mkdir()
    shutil.copy(BASE_DIR / "pyproject.toml", project / "pyproject.toml")
    run("pip install . (the runtime dependencies only, no test extras)", [str(python), "-m", "pip", "install", "--quiet", str(project)], dict(os.environ), timeout=900)
    # What the issue found broken: kombu's Redis transport needs packaging, and pytest must not be there to bring it.
    run("checking Celery's Redis transport imports", [str(python), "-c", "import kombu.transport.redis, packaging; import celery"], dict(os.environ))
    probe = subprocess.run([str(python), "-c", "import pytest"], capture_output=True)
    if probe.returncode == 0:
        raise SmokeFailure(f"pytest is installed in {venv}: this is not a runtime-only venv")
    return str(python)


def main() -> int:
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            say(f"{name} is not set; run me as `scripts/with_services.py scripts/production_smoke.py`")
            return 2
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="shop-smoke-"))
    processes = Processes(workdir)
    failed = True
    try:
        venv = Path(os.environ["SMOKE_VENV"]) if os.environ.get("SMOKE_VENV") else workdir / "venv"
        python = build_venv(venv, workdir)
        bin_dir = Path(python).parent
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "CELERY_", "PYTEST")) and key not in ("VIRTUAL_ENV", "PYTHONPATH")
        }
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONPATH=str(BASE_DIR),
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            BEHIND_TLS_PROXY="true",
            SECURE_SSL_REDIRECT="true",
            SECURE_HSTS_SECONDS="31536000",
            SHOP_DOMAIN=f"127.0.0.1:{port}",
            # The worker prints what it sends: its log is the mailbox.
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            MEDIA_ROOT=str(workdir / "media"),
            # The seeded shopper's address is verified already; the sign-up flow is not under test.
            ACCOUNT_EMAIL_VERIFICATION="mandatory",
            SMS_BACKEND="members.sms.ConsoleBackend",
            LOG_LEVEL="INFO",
        )
        run("manage.py check --deploy", [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
        run("manage.py migrate on a fresh database", [python, "manage.py", "migrate", "--noinput"], env)
        run("manage.py collectstatic", [python, "manage.py", "collectstatic", "--noinput"], env)
        seed = ["seed_demo", "--products", "12"]
        # Demo members and orders are not under test, and their emails would queue ahead of ours.
        seed_help = run("manage.py seed_demo --help", [python, "manage.py", "seed_demo", "--help"], env, quiet=True)
        seed += [arg for flag in ("--members", "--orders") if flag in seed_help for arg in (flag, "0")]
        run("manage.py " + " ".join(seed), [python, "manage.py", *seed], env)

        say(f"starting gunicorn on {base}, a Celery worker and beat")
        processes.start("gunicorn", [str(bin_dir / "gunicorn"), "shop.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60", "--access-logfile", "-"], env)
        processes.start("worker", [str(bin_dir / "celery"), "-A", "shop", "worker", "--loglevel", "INFO", "--concurrency", "1", "--hostname", f"smoke-{os.getpid()}@%h", "--without-gossip", "--without-mingle"], env)
        processes.start("beat", [str(bin_dir / "celery"), "-A", "shop", "beat", "--loglevel", "INFO", "--schedule", str(workdir / "beat-schedule")], env)
        wait_for("gunicorn answering /healthz with 200", lambda: healthz_ok(base), START_TIMEOUT, processes)
        wait_for("the worker ready", lambda: "ready." in (workdir / "worker.log").read_text(errors="replace"), START_TIMEOUT, processes)
        wait_for("beat started", lambda: "beat: Starting" in (workdir / "beat.log").read_text(errors="replace"), START_TIMEOUT, processes)

        number = place_one_order(base)

        def email_sent():
            state = outbox_state(python, env, number)
            return state if state and all(sent for _kind, sent, _attempts in state) else None

        state = wait_for(f"the emails of order {number} leaving the outbox", email_sent, EMAIL_TIMEOUT, processes, interval=2)
        worker_log = (workdir / "worker.log").read_text(errors="replace")
        emails = [part for part in worker_log.split("\nSubject: ")[1:] if number in part]
        if not emails:
            raise SmokeFailure(f"the outbox says sent, but the worker printed no email naming order {number}")
        if "send_outbox_message_task" not in worker_log:
            raise SmokeFailure("the email was sent, but not by the worker through Redis (no send_outbox_message_task in its log)")
        say(f"outbox of order {number}: {state}; the worker sent {len(emails)} email(s) naming it")
        processes.check_alive()
        failed = False
        say(f"OK in {time.monotonic() - started:.0f} s")
        return 0
    except SmokeFailure as err:
        say(f"FAILED: {err}")
        return 1
    except subprocess.TimeoutExpired as err:
        say(f"FAILED: {err}")
        return 1
    finally:
        processes.stop_all()
        if failed:
            processes.dump_logs()
        if failed and os.environ.get("SMOKE_KEEP"):
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
