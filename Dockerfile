# The shop's web, worker and beat processes (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system shop && useradd --system --gid shop --home-dir /app --shell /usr/sbin/nologin shop

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
# The import check fails the build, not the first worker start, if a runtime dependency
# is missing (kombu's Redis transport needs packaging, from celery[redis]).
RUN pip install . && python -c "import kombu.transport.redis, django, gunicorn, psycopg"

COPY . .
# The compiled translations (.mo) are committed, so no gettext here. Media and static
# folders belong to the app user, so the named volumes mounted there start writable.
RUN mkdir -p /app/media /app/staticfiles && chown shop:shop /app/media /app/staticfiles

USER shop
EXPOSE 8000

CMD ["gunicorn", "shop.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
