"""Storefront pages of the catalogue: categories, products, search."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.filters import ProductFilter
from catalog.recently_viewed import remember_product, viewed_product_ids
from catalog.search import clean_query, search_products
from catalog.variants import option_choices, pick_variant


def _page(request, products):
    paginator = Paginator(products, settings.CATALOG_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _listing(request, *, base, attributes, sorts, default_sort):
    """Filter, sort and paginate ``base`` for a category or search page."""
    product_filter = ProductFilter(
        request.GET,
        queryset=base,
        attributes=attributes,
        brand_facets=selectors.brand_facets(base),
        sorts=sorts,
    )
    page = _page(request, selectors.with_card_data(product_filter.sorted_results(default_sort)))
    query = request.GET.copy()
    query.pop("page", None)
    return {"filter": product_filter, "page": page, "query_without_page": query.urlencode()}


@require_GET
def category_list(request):
    return render(request, "catalog/category_list.html", {"tree": selectors.category_tree()})


@require_GET
def category_detail(request, slug):
    category, ancestors, children = selectors.category_page(slug)
    context = _listing(
        request,
        base=selectors.products_in_category(category),
        attributes=selectors.filter_attributes_for([*ancestors, category]),
        sorts=["new", "price", "-price", "name"],
        default_sort="new",
    )
    context.update(category=category, crumbs=[*ancestors, category], children=children)
    return render(request, "catalog/category_detail.html", context)


@require_GET
def search(request):
    query = clean_query(request.GET.get("q"))
    context = _listing(
        request,
        base=search_products(selectors.visible_products(), query),
        attributes=selectors.searchable_attributes(),
        sorts=["relevance", "new", "price", "-price"],
        default_sort="relevance",
    )
    context["q"] = query
    return render(request, "catalog/search.html", context)


@require_GET
def product_detail(request, slug):
    product = selectors.product_page(slug)
    variants = list(product.variants.all())
    variant = pick_variant(variants, request.GET.get("sku"))
    images = list(product.images.all())
    if variant is not None:
        # The chosen variant's own pictures come first.
        images.sort(key=lambda image: image.variant_id != variant.pk)
    recent_ids = [pk for pk in viewed_product_ids(request) if pk != product.pk]
    response = render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "variant": variant,
            "option_choices": option_choices(variants, variant) if variant else [],
            "images": images,
            "ancestors": selectors.category_ancestors(product.category),
            "related": selectors.related_products(product),
            "recently_viewed": selectors.products_by_ids_in_order(recent_ids) if recent_ids else [],
            **_provided_context(request, product, variant),
        },
    )
    remember_product(request, response, product.pk)
    return response


def _provided_context(request, product, variant) -> dict:
    """Context from the apps named in CATALOG_PRODUCT_CONTEXT_PROVIDERS (stock, pick-up stores)."""
    context = {}
    for path in settings.CATALOG_PRODUCT_CONTEXT_PROVIDERS:
        context.update(import_string(path)(request, product, variant))
    return context
