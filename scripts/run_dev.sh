#!/usr/bin/env bash
# The demo shop on http://127.0.0.1:${PORT:-8000}/ — called by `make run`, after
# the virtualenv is installed. SQLite unless DATABASE_URL is set; with REDIS_URL
# set, a Celery worker and beat run beside the web server and stop with it.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-true}"
PORT="${PORT:-8000}"
# The host the sitemap, account emails and the printed admin link name (the site record is
# renamed on migrate), so they point at this server's real port.
export SHOP_DOMAIN="${SHOP_DOMAIN:-127.0.0.1:$PORT}"
PYTHON=.venv/bin/python

"$PYTHON" manage.py migrate --noinput
# The .mo files are committed too, so without msgfmt (gettext) the committed ones serve.
has_po_files="$(find . -path ./.venv -prune -o -name '*.po' -print -quit)"
if [ -n "$has_po_files" ]; then
    if command -v msgfmt >/dev/null 2>&1; then
        "$PYTHON" manage.py compilemessages --ignore=.venv --ignore=node_modules
    else
        echo "msgfmt not found (apt-get install gettext); using the committed .mo files"
    fi
fi
"$PYTHON" manage.py seed_demo

background_pids=()
stop_background() {
    if [ "${#background_pids[@]}" -gt 0 ]; then
        kill "${background_pids[@]}" 2>/dev/null || true
        wait "${background_pids[@]}" 2>/dev/null || true
    fi
    if [ -n "${beat_dir:-}" ]; then
        rm -rf "$beat_dir"
    fi
}
trap stop_background EXIT

if [ -n "${REDIS_URL:-}" ]; then
    # beat keeps its "last run" file outside the checkout.
    beat_dir="$(mktemp -d -t shop-beat-XXXXXX)"
    .venv/bin/celery -A shop worker --loglevel=INFO &
    background_pids+=("$!")
    .venv/bin/celery -A shop beat --loglevel=INFO --schedule "$beat_dir/celerybeat-schedule" &
    background_pids+=("$!")
else
    # No broker: the same beat schedule runs inline in one process of its own (low-stock alerts,
    # expiry of unpaid orders, the outbox, birthday coupons, nightly jobs).
    "$PYTHON" manage.py run_schedule &
    background_pids+=("$!")
fi

"$PYTHON" manage.py runserver "127.0.0.1:$PORT"
