"""The public store list and the 当前门店 choice (thin: the rules are in stores.storefront)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.redirects import safe_target
from stores.storefront import map_link, pickup_stores, remember_store, selected_store, store_by_code


def store_list(request):
    current = selected_store(request)
    stores = [{"store": store, "map_url": map_link(store), "is_current": current is not None and current.pk == store.pk}
              for store in pickup_stores()]
    return render(request, "stores/store_list.html", {"stores": stores, "current": current,
                                                      "next": safe_target(request, request.GET.get("next")) or ""})


@require_POST
def store_select(request):
    store = store_by_code(request.POST.get("store", ""))
    if store is None:
        raise Http404
    response = redirect(safe_target(request, request.POST.get("next")) or "stores:store-list")
    remember_store(request, response, store)
    messages.success(request, _("Your store is now %(store)s.") % {"store": store.name})
    return response
