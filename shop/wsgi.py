import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
application = get_wsgi_application()

# Python's cyclic garbage collector pauses a request for its whole run, and a full (oldest-generation) run walks
# every tracked object. Measured on a web process of this shop at 100,000 products, full runs came every
# ~60 requests and took 120-230 ms: most of a search's 99th percentile. So, once per process, when the
# code, the apps and the URLconf are loaded:
# - freeze what exists then (modules, models, URL patterns: they live as long as the process), so no run
#   walks them again;
# - collect the youngest generation every 20,000 net allocations instead of 700, so a request's own
#   short-lived objects are mostly freed by reference counting before a run could move them to an older
#   generation, and full runs become rare (memory held by unreachable cycles stays a few MB at most).
get_resolver().url_patterns  # noqa: B018 (loads the URLconf now rather than in the first request)
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
