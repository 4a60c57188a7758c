"""Settings for the shop, all read from the environment (see .env.example).

With no DATABASE_URL the shop runs on SQLite, and with no REDIS_URL Celery
tasks run inline: the zero-setup demo. Production sets both, plus
SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

import hashlib
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from shop.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is not 'true'. On a development machine use the make "
            "targets (make run, make seed, make manage ARGS='…'), which default to DEBUG=true, or run "
            "DEBUG=true .venv/bin/python manage.py …"
        )
    # Only for local development; DEBUG=false refuses to start without a real key.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "shop.admin_site.ShopAdminConfig",  # django.contrib.admin with the shop's name and task navigation
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    # Two-factor authentication (TOTP with recovery codes) for staff; the admin logs in
    # through allauth, so it asks for the code too (see shop/urls.py).
    "allauth.mfa",
    "csp",
    "django_filters",
    "shop",
    "catalog",
    "stores",
    "marketing",
    "members",
    "orders",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shop.middleware.ContentSecurityPolicyMiddleware",  # django-csp, the usual policy text built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shop.middleware.ShopLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Remembers a staff member's share link (?guide=…) so the order it brings is credited to them (导购).
    "orders.attribution.GuideLinkMiddleware",
    # Page views and visitors for analytics: Redis counters, no database write per request.
    "analytics.middleware.TrafficMiddleware",
]
# Under DEBUG, Django answers a missing page with its technical (yellow) page. The demo
# shows the shop's own 404 instead, as production does; DEBUG_TECHNICAL_404=true brings
# Django's page back for whoever is debugging URL patterns.
if DEBUG and not env_bool("DEBUG_TECHNICAL_404", False):
    MIDDLEWARE.append("shop.error_pages.FriendlyNotFoundMiddleware")

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shop.context_processors.shop",
                "orders.context_processors.cart",
            ],
        },
    },
]
if not DEBUG:
    # Compile each template once per process instead of once per request.
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        )
    ]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                DATABASE_URL,
                conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
                conn_health_checks=True,
            )
        }
    except ValueError as err:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {err}") from None
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that asks the socket first (shop/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "shop.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Django's Redis cache with sub-second socket timeouts that, once Redis fails, skips it for
    # a few seconds and answers from each process's memory (shop/redis_outage.py): pages,
    # log-in and checkout keep working while Redis is down. allauth's rate limits live in
    # this cache, so during an outage they count per web process instead of across the
    # site (N processes let N times the limit through) and a warning is logged; they
    # neither fail open nor lock everybody out.
    CACHES = {
        "default": {
            "BACKEND": "shop.redis_outage.OutageTolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "shop"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process's own cache of rendered catalogue fragments (see catalog/cache.py):
# their keys carry the catalogue version kept in the default cache.
CACHES["pages"] = {
    "BACKEND": "catalog.process_cache.PagesCache",
    "LOCATION": "pages",
    "OPTIONS": {"MAX_ENTRIES": 20000},
}
# Rendered search and category listings: this process's "pages" cache in front of the shared one, so a
# listing drawn by one web process serves the others; the shared copy lasts two minutes at most.
CACHES["shared_pages"] = {
    "BACKEND": "catalog.process_cache.SharedPagesCache",
    "OPTIONS": {"LOCAL": "pages", "SHARED": "default", "SHARED_SECONDS": 120},
}
# The same for what many pages share and only read, kept unpickled (see catalog/process_cache.py).
CACHES["objects"] = {
    "BACKEND": "catalog.process_cache.ObjectsCache",
    "LOCATION": "objects",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# Database sessions, minus the existence check before each new one (see shop/sessions.py).
SESSION_ENGINE = "shop.sessions"

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without Redis (the embedded demo) tasks run inline, in the request that queues them.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "make-missing-thumbnails": {"task": "catalog.tasks.make_missing_thumbnails_task", "schedule": 60 * 60},
    # Search words are counted in the cache; this adds them to catalog.SearchTerm (see catalog.search_terms).
    "flush-search-counts": {"task": "catalog.tasks.flush_search_counts_task", "schedule": 5 * 60},
    "check-low-stock": {"task": "stores.tasks.check_low_stock_task", "schedule": 5 * 60},
    # Import jobs whose preview or application task was lost are queued again.
    "resume-stalled-imports": {"task": "stores.tasks.resume_stalled_import_jobs_task", "schedule": 5 * 60},
    "expire-unpaid-orders": {"task": "orders.tasks.expire_unpaid_orders_task", "schedule": 60},
    "flush-outbox": {"task": "orders.tasks.flush_outbox_task", "schedule": 60},
    "nightly-membership": {"task": "orders.tasks.nightly_membership_task", "schedule": crontab(hour=3, minute=10)},
    # Completions whose counting task was lost (the broker was down) are counted within two minutes.
    "count-uncounted-orders": {"task": "orders.tasks.count_uncounted_orders_task", "schedule": 2 * 60},
}
# Checkout must not hang when Redis is down: a publish makes one connection attempt of half
# a second and waits half a second at most for the answer, never retries, and while Redis is
# known to be down is refused at once (shop/celery.py). The outbox keeps the message and the
# flush above sends it within a minute of Redis coming back. Workers and beat reconnect on
# their own (broker_connection_retry), whatever these say.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 0.5,
    # For web processes; workers ride out a slow Redis with a longer one (shop/celery.py).
    "socket_timeout": 0.5,
    # kombu otherwise retries connecting for broker_connection_timeout on every publish.
    "max_retries": 0,
}

# --- Auth, allauth --------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # allauth's log-in, loading the user row with the cart badge (one query less on every member page)
    "orders.auth_backends.MemberBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",  # sessions logged in before MemberBackend
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
# The host name account emails link to (django.contrib.sites is kept in step on migrate).
SHOP_DOMAIN = env_str("SHOP_DOMAIN", "127.0.0.1:8000")
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
# The mobile number is the first way in: one log-in box takes a number or an email, with the
# password (or a code texted to the number, see the phone block below). Sign-up asks for the
# number first and the email only optionally (members.forms.ShopSignupForm: one of the two).
# allauth's own checks want "email*" while email verification is mandatory, and a "phone*"
# would stop every older email-only account at log-in, so the form, not this list, decides
# what is required.
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
ACCOUNT_SIGNUP_FIELDS = ["phone", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_DISPLAY = "shop.accounts.user_display"
ACCOUNT_LOGOUT_ON_GET = False
# allauth's defaults, written out because the admin log-in shares them (shop/urls.py):
# 5 failed passwords per account in 5 minutes, 10 per IP address a minute, then even the
# right password is refused until the window passes. The counts live in the default cache:
# while Redis is down each web process counts on its own (see CACHES above).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

# --- Two-factor authentication (allauth.mfa) ---------------------------------
# An option for every account, meant for HQ staff: an authenticator app (TOTP) plus
# single-use recovery codes. WebAuthn stays off (it needs fido2 and HTTPS everywhere).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Lianjia Market")

# --- Phone log-in and SMS ----------------------------------------------------
# Shoppers may sign up and log in with a Chinese mobile number and a one-time code
# instead of an email and password. allauth runs the flows; members.adapter stores
# the number on MemberProfile.phone only once a code has proved it (an unproved number
# waits in the session), and sends texts through SMS_BACKEND.
ACCOUNT_ADAPTER = "members.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "members.forms.PhoneOrEmailLoginForm",
    "signup": "members.forms.ShopSignupForm",
    "request_login_code": "members.forms.PhoneLoginCodeForm",
}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Six digits, as every Chinese shopper expects in a text message.
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
# "members.sms.ConsoleBackend" prints texts (development); tests use "members.sms.LocmemBackend";
# production points this at a gateway class with the same send(phone, text) method.
SMS_BACKEND = env_str("SMS_BACKEND", "members.sms.ConsoleBackend")
# --- end of phone log-in and SMS ---------------------------------------------

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "shop@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Language, time, money ------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
SHOP_CURRENCY = env_str("SHOP_CURRENCY", "CNY")
SHOP_CURRENCY_SYMBOL = env_str("SHOP_CURRENCY_SYMBOL", "¥")
SHOP_NAME = _("Lianjia Market")

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "shop.media_storage.MediaStorage"},  # Django's, with a cheaper url()
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "shop.static_storage.ManifestStaticStorage"  # WhiteNoise's, with each URL remembered
        )
    },
}

# Uploaded product images: what Pillow may open, and how big.
CATALOG_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
CATALOG_IMAGE_MAX_BYTES = env_int("CATALOG_IMAGE_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
CATALOG_IMAGE_MAX_PIXELS = env_int("CATALOG_IMAGE_MAX_PIXELS", 25_000_000, minimum=10_000)
CATALOG_THUMBNAIL_SIZES = {"card": (400, 400), "detail": (900, 900)}
CATALOG_PAGE_SIZE = env_int("CATALOG_PAGE_SIZE", 24, minimum=1)
CATALOG_RECENTLY_VIEWED = 8
# What a product card shows from an app the catalogue must not import: f(product, at) -> (offer, flash sale).
CATALOG_CARD_MARKS = "marketing.cards.card_marks"
# Extra context for the product page from apps the catalogue must not import.
CATALOG_PRODUCT_CONTEXT_PROVIDERS = ["stores.selectors.product_availability", "marketing.product_page.product_flash_and_group_context",
                                     "marketing.coupon_selectors.product_coupons_context",
                                     "stores.storefront.selected_store_context",
                                     "members.selectors.product_favourite_context"]
# Which stock serves a delivery order: "warehouses-first" (online warehouses, then
# stores, each by priority) or "priority" (store priority alone).
SHOP_DELIVERY_SOURCE_ORDER = env_str("SHOP_DELIVERY_SOURCE_ORDER", "warehouses-first")
if SHOP_DELIVERY_SOURCE_ORDER not in ("warehouses-first", "priority"):
    raise ImproperlyConfigured("SHOP_DELIVERY_SOURCE_ORDER must be 'warehouses-first' or 'priority'")
# Orders: minutes to pay before an unpaid order is cancelled and its stock released.
ORDER_PAYMENT_MINUTES = env_int("ORDER_PAYMENT_MINUTES", 30, minimum=1)
# Hours to pay by bank transfer (a trip to the bank takes longer than paying online).
ORDER_BANK_TRANSFER_HOURS = env_int("ORDER_BANK_TRANSFER_HOURS", 48, minimum=1)
# Minutes to pay a flash-sale or group-buy order: scarce flash units and group slots come back quickly.
MARKETING_FLASH_PAYMENT_MINUTES = env_int("MARKETING_FLASH_PAYMENT_MINUTES", 15, minimum=1)
# Coupons: members whose birthday falls within this many days get their tier's birthday coupon (daily beat task,
# once a year); a full refund gives the order's coupon back while it is still valid.
MARKETING_BIRTHDAY_WINDOW_DAYS = env_int("MARKETING_BIRTHDAY_WINDOW_DAYS", 7, minimum=0)
MARKETING_RETURN_COUPON_ON_FULL_REFUND = env_bool("MARKETING_RETURN_COUPON_ON_FULL_REFUND", True)
# Validity of a coupon whose template gives neither a fixed end nor a number of days.
MARKETING_COUPON_DEFAULT_DAYS = env_int("MARKETING_COUPON_DEFAULT_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["birthday-coupons"] = {
    "task": "marketing.tasks.issue_birthday_coupons_task", "schedule": crontab(hour=8, minute=5),
}
# Group buys whose deadline passed are closed (members refunded) by this beat entry.
CELERY_BEAT_SCHEDULE["close-overdue-groups"] = {"task": "orders.tasks.close_overdue_groups_task", "schedule": 60}
# Days after shipping when a delivery the shopper never confirmed counts as received (cash on delivery excepted:
# staff confirm the cash). Checked hourly by orders.tasks.auto_confirm_receipts_task.
ORDER_AUTO_COMPLETE_DAYS = env_int("ORDER_AUTO_COMPLETE_DAYS", 10, minimum=1)
CELERY_BEAT_SCHEDULE["auto-confirm-receipts"] = {
    "task": "orders.tasks.auto_confirm_receipts_task", "schedule": crontab(minute=20),
}
# Pick-up (自提核销): days a ready order waits for its shopper before it is cancelled and refunded (checked
# every 15 minutes by orders.tasks.cancel_uncollected_pickups_task), and how many wrong codes lock an order, for how long.
ORDER_PICKUP_DAYS = env_int("ORDER_PICKUP_DAYS", 3, minimum=1)
ORDER_PICKUP_MAX_FAILURES = env_int("ORDER_PICKUP_MAX_FAILURES", 5, minimum=1)
ORDER_PICKUP_LOCK_MINUTES = env_int("ORDER_PICKUP_LOCK_MINUTES", 15, minimum=1)
# Codes typed alone that match no waiting order, per staff member and lock period, before the number is required.
ORDER_PICKUP_MAX_LOOKUP_MISSES = env_int("ORDER_PICKUP_MAX_LOOKUP_MISSES", 20, minimum=1)
CELERY_BEAT_SCHEDULE["cancel-uncollected-pickups"] = {
    "task": "orders.tasks.cancel_uncollected_pickups_task", "schedule": crontab(minute="*/15"),
}
# The online gateway simulator signs callbacks with this shared secret. Both ends live
# in this deployment, so by default it is derived from SECRET_KEY; a real gateway's
# secret would be set here explicitly.
PAYMENT_GATEWAY_SECRET = env_str("PAYMENT_GATEWAY_SECRET") or hashlib.sha256(
    f"payment-gateway-simulator:{SECRET_KEY}".encode()
).hexdigest()
# Callbacks older (or newer) than this many seconds are refused as replays.
PAYMENT_CALLBACK_MAX_AGE = env_int("PAYMENT_CALLBACK_MAX_AGE", 300, minimum=10)
# Where the simulator posts its callback from the server side; defaults to the request's own host.
PAYMENT_GATEWAY_CALLBACK_BASE = env_str("PAYMENT_GATEWAY_CALLBACK_BASE")
# The gateway simulator's hosted page (orders/payments/simulator.py) is for development and
# demos: set false in a shop that takes real money, and its page answers 404.
PAYMENT_GATEWAY_SIMULATOR = env_bool("PAYMENT_GATEWAY_SIMULATOR", True)
# Refund legs whose payout task was lost (the broker was down after the refund committed) are re-queued.
CELERY_BEAT_SCHEDULE["retry-pending-refund-payments"] = {
    "task": "orders.tasks.retry_pending_refund_payments_task", "schedule": 10 * 60,
}
BANK_TRANSFER_ACCOUNT = env_str("BANK_TRANSFER_ACCOUNT", "联家优选商贸有限公司 · 招商银行上海分行 · 6214 8888 0000 1234")
# Serves /bench/trivial/, the yardstick page of `make bench`.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)

# --- Members: points, tiers, referrals, privacy ------------------------------
from decimal import Decimal  # noqa: E402  (kept inside this block)


# Points earned per yuan spent, before the tier's multiplier.
MEMBERS_POINTS_EARN_PER_YUAN = 1
# Points worth one yuan at checkout (100 = one point per fen).
MEMBERS_POINTS_PER_YUAN_REDEEM = env_int("MEMBERS_POINTS_PER_YUAN_REDEEM", 100, minimum=1)
# At most this share of the goods may be paid with points.
MEMBERS_POINTS_MAX_SHARE = Decimal("0.5")
# The most a store clerk may refund at once (yuan); a bigger refund needs the store's manager or head office.
STORE_CLERK_REFUND_LIMIT = Decimal(env_str("STORE_CLERK_REFUND_LIMIT", "200.00")).quantize(Decimal("0.01"))
# Earned points expire this many days after the order earned them.
MEMBERS_POINTS_VALID_DAYS = 365
# A member keeps a tier at least this many days before the nightly review may lower it.
MEMBERS_TIER_GRACE_DAYS = env_int("MEMBERS_TIER_GRACE_DAYS", 30)
# Points for both the inviter and the invitee on the invitee's first order.
MEMBERS_REFERRAL_POINTS = env_int("MEMBERS_REFERRAL_POINTS", 500)
# Dotted paths of functions (user -> dict) whose results join a member's data export.
MEMBERS_EXPORT_PROVIDERS: list[str] = ["orders.services.membership.export_orders_for_member"]
# Dotted paths of functions (user -> None) run when a member is anonymised.
MEMBERS_ERASURE_HOOKS: list[str] = ["orders.services.membership.anonymise_orders_for_member"]
# Dotted paths of functions (staff=, member=) -> dict shown on the member's admin page: their purchases,
# scoped to the stores that staff member may see.
MEMBERS_ADMIN_PURCHASES_PROVIDERS: list[str] = ["orders.member_lookup.store_purchases_for_member"]
CELERY_BEAT_SCHEDULE["members-expire-points"] = {
    "task": "members.tasks.expire_points_task", "schedule": crontab(hour=3, minute=30),
}
# --- end Members -------------------------------------------------------------

# --- Security -------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp). Scripts only from this origin, or inline with the
# request's nonce (request.csp_nonce); the storefront has no inline script at all, since
# guest pages are cached whole and a cached nonce would not match the next response's.
# Style attributes stay allowed (style-src-attr): they cannot run code, and the admin's
# list columns (indented category tree, red warnings) are built with them.
# CSP_EXTRA_IMG_SRC adds origins for product images on object storage or a CDN.
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402  (kept inside this block)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        # data: for the QR code allauth.mfa draws on the two-factor set-up page.
        "img-src": [SELF, "data:", *env_list("CSP_EXTRA_IMG_SRC", [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# 到货通知: waiting back-in-stock requests whose variant is in stock again are mailed (once) every five minutes.
CELERY_BEAT_SCHEDULE["send-back-in-stock-notices"] = {
    "task": "orders.tasks.send_back_in_stock_notices_task", "schedule": 5 * 60,
}
# 商品评价: publish reviews at once instead of after staff moderation.
REVIEWS_AUTO_PUBLISH = env_bool("REVIEWS_AUTO_PUBLISH", False)
# 用户协议 / 隐私政策: the versions a sign-up accepts (recorded in members.ConsentRecord); raise them when the texts change.
LEGAL_TERMS_VERSION = env_str("LEGAL_TERMS_VERSION", "2026-12-01")
LEGAL_PRIVACY_VERSION = env_str("LEGAL_PRIVACY_VERSION", "2026-12-01")

# Analytics (analytics/services): facts, nightly reports, traffic, member segments.
# Facts: each night rebuild this many days up to today (late payments, COD completions, refunds), and
# build any day of this many the scheduler missed.
ANALYTICS_FACTS_REBUILD_DAYS = env_int("ANALYTICS_FACTS_REBUILD_DAYS", 3, minimum=1)
ANALYTICS_FACTS_CATCH_UP_DAYS = env_int("ANALYTICS_FACTS_CATCH_UP_DAYS", 60, minimum=1)
# Nightly report: head office's addresses (comma separated; superusers' e-mails when empty), and how
# many missed nights are caught up.
ANALYTICS_HQ_REPORT_EMAILS = [e.strip() for e in env_str("ANALYTICS_HQ_REPORT_EMAILS", "").split(",") if e.strip()]
ANALYTICS_REPORT_CATCH_UP_DAYS = env_int("ANALYTICS_REPORT_CATCH_UP_DAYS", 7, minimum=1)
# Outbox kinds sent by a higher app (kind -> dotted path of a function taking the OutboxMessage): orders'
# outbox claims, retries and sends them exactly once without knowing what they are.
ORDERS_OUTBOX_SENDERS: dict[str, str] = {"sales_report": "analytics.services.reports.send_report_message"}
# RFM segments (from paid orders). Recency: days since the last paid order; frequency: paid orders in
# the window; monetary: net spent in the window (CNY). Score 1–5 per measure by these ascending cut-offs.
ANALYTICS_RFM_WINDOW_DAYS = env_int("ANALYTICS_RFM_WINDOW_DAYS", 365, minimum=30)
ANALYTICS_RFM_RECENCY_DAYS = [15, 30, 60, 120]  # ≤15 days: 5, ≤30: 4, ≤60: 3, ≤120: 2, older: 1
ANALYTICS_RFM_FREQUENCY_ORDERS = [2, 3, 5, 8]  # 1 order: 1, 2: 2, 3–4: 3, 5–7: 4, 8+: 5
ANALYTICS_RFM_MONETARY_CNY = [200, 500, 1000, 3000]  # below ¥200: 1 … ¥3000 and more: 5
# Tags: 新客 first paid order within NEW days; 活跃 last paid order within ACTIVE days; 沉睡 last paid
# order between ACTIVE and LOST days ago; 流失 older than LOST days; 高价值 monetary score ≥ HIGH_VALUE_SCORE.
ANALYTICS_RFM_NEW_DAYS = env_int("ANALYTICS_RFM_NEW_DAYS", 30, minimum=1)
ANALYTICS_RFM_ACTIVE_DAYS = env_int("ANALYTICS_RFM_ACTIVE_DAYS", 60, minimum=1)
ANALYTICS_RFM_LOST_DAYS = env_int("ANALYTICS_RFM_LOST_DAYS", 180, minimum=1)
ANALYTICS_RFM_HIGH_VALUE_SCORE = env_int("ANALYTICS_RFM_HIGH_VALUE_SCORE", 5, minimum=1)
CELERY_BEAT_SCHEDULE["analytics-build-facts"] = {
    "task": "analytics.tasks.build_recent_facts_task", "schedule": crontab(hour=0, minute=20),
}
CELERY_BEAT_SCHEDULE["analytics-build-today"] = {"task": "analytics.tasks.build_today_facts_task", "schedule": 10 * 60}
CELERY_BEAT_SCHEDULE["analytics-sales-reports"] = {
    "task": "analytics.tasks.send_sales_reports_task", "schedule": crontab(hour=7, minute=0),
}
CELERY_BEAT_SCHEDULE["analytics-flush-traffic"] = {"task": "analytics.tasks.flush_traffic_task", "schedule": 5 * 60}
CELERY_BEAT_SCHEDULE["analytics-member-segments"] = {
    "task": "analytics.tasks.tag_member_segments_task", "schedule": crontab(hour=3, minute=40),
}
# Dashboards and reports may read the facts from a replica (analytics/routers.py).
ANALYTICS_DATABASE_URL = env_str("ANALYTICS_DATABASE_URL")
if ANALYTICS_DATABASE_URL:
    DATABASES["analytics"] = dj_database_url.parse(ANALYTICS_DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    DATABASE_ROUTERS = ["analytics.routers.AnalyticsReplicaRouter"]
# 当前门店: the cookie that remembers a shopper's chosen store (members keep it in the session too).
SHOP_STORE_COOKIE = "store"
