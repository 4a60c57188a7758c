#!/usr/bin/env python3
"""Run a command with a throwaway PostgreSQL and Redis, then remove them.

    scripts/with_services.py .venv/bin/pytest -x tests/catalog

If DATABASE_URL is already set it is used as is; otherwise a fresh cluster is
made in a temporary directory (UTF-8 ctype, because pg_trgm only extracts
trigrams from Chinese text under a UTF-8 ctype), started on a free port on
127.0.0.1 with durability off, and given an empty database `shop`. Likewise
REDIS_URL, if unset and redis-server is installed, gets a Redis with no
persistence. The command runs with both URLs exported; whatever happens to it
(failure, Ctrl-C, SIGTERM) the servers are stopped and their files removed,
and this script exits with the command's exit code.

SECRET_KEY, if unset, gets a random throwaway value: the settings refuse to
start without one when DEBUG is off, as it is in tests.

Standard library only: it runs before the virtualenv exists.
"""

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

START_TIMEOUT = 30  # seconds a server may take to accept connections
STOP_TIMEOUT = 10


def say(message: str) -> None:
    print(f"with_services: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    # The kernel picks an unused port; another process could take it before the
    # server binds, so callers retry a start that fails.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> str:
    """The directory holding initdb and postgres, newest major version first."""
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    on_path = shutil.which("initdb")
    if on_path:
        # Follow symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
        # to the directory that also holds postgres and pg_isready.
        return os.path.dirname(os.path.realpath(on_path))
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0,
        reverse=True,
    )
    if candidates:
        return os.path.dirname(candidates[0])
    raise SystemExit(
        "with_services: no PostgreSQL found (looked for initdb on PATH and in /usr/lib/postgresql/*/bin);\n"
        "install postgresql-15 (apt-get install postgresql-15) or set DATABASE_URL or PG_BIN."
    )


class Service:
    """A server process we started, with the files it leaves behind."""

    def __init__(self, name: str, process: subprocess.Popen, log_path: str):
        self.name = name
        self.process = process
        self.log_path = log_path

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, stop_signal: int) -> None:
        if self.process.poll() is not None:
            return
        try:
            self.process.send_signal(stop_signal)
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop in {STOP_TIMEOUT}s; killing it")
            self.process.kill()
            self.process.wait()
        except ProcessLookupError:
            pass


def run_as_kwargs() -> dict:
    """Popen arguments that drop to the postgres user when we are root.

    PostgreSQL refuses to run as root; as anyone else it runs as that user.
    """
    if os.geteuid() != 0:
        return {}
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise SystemExit(
            "with_services: running as root, but there is no 'postgres' user to run PostgreSQL as"
        ) from None
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": [], "env": {**os.environ, "HOME": pw.pw_dir}}


def start_postgres(workdir: str, services: list[Service]) -> str:
    """Start a throwaway cluster and return the DATABASE_URL of its `shop` database."""
    pg_bin = find_pg_bin()
    as_owner = run_as_kwargs()
    pg_dir = os.path.join(workdir, "postgres")
    data_dir = os.path.join(pg_dir, "data")
    os.mkdir(pg_dir, 0o700)
    if as_owner:
        os.chown(pg_dir, as_owner["user"], as_owner["group"])

    log_path = os.path.join(pg_dir, "initdb.log")
    with open(log_path, "wb") as log:
        result = subprocess.run(
            [
                os.path.join(pg_bin, "initdb"),
                "--pgdata", data_dir,
                "--username", "postgres",
                "--auth", "trust",
                "--locale", "C.UTF-8",
                "--encoding", "UTF8",
                "--no-sync",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=pg_dir,
            **as_owner,
        )
    if result.returncode != 0:
        with open(log_path, encoding="utf-8", errors="replace") as log:
            sys.stderr.write(log.read())
        raise SystemExit("with_services: initdb failed")

    for attempt in range(3):
        port = free_port()
        log_path = os.path.join(pg_dir, f"postgres-{port}.log")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    os.path.join(pg_bin, "postgres"),
                    "-D", data_dir,
                    "-p", str(port),
                    "-c", "listen_addresses=127.0.0.1",
                    "-c", f"unix_socket_directories={pg_dir}",
                    # A test database is thrown away afterwards: durability buys nothing.
                    "-c", "fsync=off",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                    "-c", "max_connections=200",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=pg_dir,
                # Its own session: Ctrl-C reaches the command, and we stop the server ourselves.
                start_new_session=True,
                **as_owner,
            )
        service = Service("PostgreSQL", process, log_path)
        services.append(service)
        if wait_until(lambda: pg_ready(pg_bin, port), process):
            break
        sys.stderr.write(service.log_tail())
        service.stop(signal.SIGQUIT)
        services.remove(service)
        if attempt == 2:
            raise SystemExit("with_services: PostgreSQL did not start")

    subprocess.run(
        [os.path.join(pg_bin, "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "shop"],
        check=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    say(f"PostgreSQL ({os.path.basename(os.path.dirname(pg_bin))}) on 127.0.0.1:{port}, data in {data_dir}")
    return f"postgres://postgres@127.0.0.1:{port}/shop"


def pg_ready(pg_bin: str, port: int) -> bool:
    result = subprocess.run(
        [os.path.join(pg_bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return result.returncode == 0


def start_redis(workdir: str, services: list[Service]) -> str | None:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        say("redis-server not found; REDIS_URL stays unset and Redis tests will be skipped")
        return None
    redis_dir = os.path.join(workdir, "redis")
    os.mkdir(redis_dir, 0o700)
    for attempt in range(3):
        port = free_port()
        log_path = os.path.join(redis_dir, f"redis-{port}.log")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    redis_server,
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--dir", redis_dir,
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=redis_dir,
                start_new_session=True,
            )
        service = Service("Redis", process, log_path)
        services.append(service)
        if wait_until(lambda: redis_ready(port), process):
            say(f"Redis on 127.0.0.1:{port}")
            return f"redis://127.0.0.1:{port}/0"
        sys.stderr.write(service.log_tail())
        service.stop(signal.SIGTERM)
        services.remove(service)
    raise SystemExit("with_services: Redis did not start")


def redis_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until(is_ready, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if is_ready():
            return True
        time.sleep(0.1)
    return False


class Terminated(Exception):
    pass


def on_sigterm(signum, frame):
    raise Terminated()


def run_command(command: list[str], env: dict) -> int:
    """Run the command in the foreground and return a shell-style exit code."""
    try:
        process = subprocess.Popen(command, env=env)
    except FileNotFoundError:
        say(f"command not found: {command[0]}")
        return 127
    try:
        return_code = process.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the command too; give it time to finish its teardown.
        try:
            return_code = process.wait(timeout=STOP_TIMEOUT)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.kill()
            process.wait()
            return_code = -signal.SIGINT
    except Terminated:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return_code = -signal.SIGTERM
    return 128 - return_code if return_code < 0 else return_code


def main(argv: list[str]) -> int:
    command = argv[1:]
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print(__doc__, file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, on_sigterm)
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "throwaway-" + secrets.token_urlsafe(48))
    services: list[Service] = []
    workdir = tempfile.mkdtemp(prefix="shop-services-")
    os.chmod(workdir, 0o755)  # the postgres user must be able to reach its own directory inside
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = start_postgres(workdir, services)
        if not env.get("REDIS_URL"):
            redis_url = start_redis(workdir, services)
            if redis_url:
                env["REDIS_URL"] = redis_url
        return run_command(command, env)
    except (KeyboardInterrupt, Terminated):
        say("interrupted while starting the services")
        return 130
    finally:
        # Ignore further Ctrl-C while cleaning up so no server is left behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for service in reversed(services):
            # SIGINT = PostgreSQL's "fast" shutdown; Redis exits on SIGTERM without saving.
            service.stop(signal.SIGINT if service.name == "PostgreSQL" else signal.SIGTERM)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
