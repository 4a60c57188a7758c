from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from django.views.static import serve

from analytics.segments_admin import member_segments
from catalog.sitemaps import CategorySitemap, ProductSitemap
from orders.price_simulator import price_simulator
from shop import health, views

# The admin logs in through the shop's own log-in (allauth) rather than its own form:
# one form, one rate limit (5 failed passwords per account, then even the right one is
# refused for a while: ACCOUNT_RATE_LIMITS) and one two-factor step (allauth.mfa).
# django-axes would have locked the admin form too, but then staff 2FA would need a
# second mechanism beside allauth's, and two log-in forms to keep in step.
admin.site.login = secure_admin_login(admin.site.login)

sitemaps = {"categories": CategorySitemap, "products": ProductSitemap}

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "sitemap.xml",
        cache_page(60 * 60)(sitemap_views.index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(60 * 60)(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("lang/<str:code>/", views.switch_language, name="switch-language"),
    # Before the admin's own catch-all; the promotion admin links here by name.
    path("admin/price-simulator/", price_simulator, name="admin-price-simulator"),
    # The RFM thresholds and tag counts (analytics/segments_admin.py), before the admin's catch-all.
    path("admin/member-segments/", member_segments, name="admin-member-segments"),
    # Dashboards, reports and exports: staff pages in the back office's look, before its catch-all.
    path("admin/analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("account/", include("members.urls")),
    path("stores/", include("stores.urls")),
    path("coupons/", include("marketing.coupon_urls")),
    # Store staff pages (counter sale, import and export), outside the admin so the till stays plain HTML.
    path("store/data/", include("stores.import_urls")),
    path("store/", include("orders.counter_urls")),
]

if settings.SERVE_MEDIA:
    # Fine for the demo and one machine; several machines put media on object storage.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

if settings.BENCH_ENDPOINTS:
    urlpatterns += [path("bench/trivial/", views.trivial, name="bench-trivial")]

handler404 = "shop.views.page_not_found"
handler500 = "shop.views.server_error"
