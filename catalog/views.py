"""Storefront pages of the catalogue: categories, products, search."""

from functools import cache

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import SimpleLazyObject, cached_property
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog import search_terms, selectors
from catalog.cache import TIMEOUT as CACHE_TIMEOUT
from catalog.cache import (
    CSRF_PLACEHOLDER, cached, for_guests, page_key, pages_cache, query_key, shared_cached, shared_object,
)
from catalog.filters import SORTS, ProductFilter
from catalog.listing_query import category_page_source
from catalog.recently_viewed import COOKIE as RECENTLY_VIEWED_COOKIE
from catalog.recently_viewed import remember_product, viewed_product_ids
from catalog.search import (
    CandidateColumns, among_candidates, brand_facets_of, brands_by_name, clean_query, sorted_pks,
    visible_search_columns,
)
from catalog.variants import option_choices, pick_variant


# A whole cached product page (guests without a session) is as fresh as its pick-up stock figures.
PRODUCT_PAGE_SECONDS = 15


class Listing:
    """A filtered, sorted page of products for a category or search page.

    Nothing is queried until a template reads ``filter`` or ``page``, which
    happens only when the page's cached fragment is missing.
    """

    def __init__(self, request, *, base, attributes, facets, sorts, default_sort):
        # ``base``, ``attributes`` and ``facets`` are callables, so even building the querysets waits for a miss;
        # ``facets`` is given ``products`` (a callable too): a search answered from its candidates never builds them.
        self.request = request
        self.base = base
        self.attributes = attributes
        self.facets = facets
        self.sorts = sorts
        self.default_sort = default_sort

    def products(self):
        """The listing's products before its filters, built on the first call."""
        if "_products" not in self.__dict__:
            self._products = self.base()
        return self._products

    @cached_property
    def filter(self) -> ProductFilter:
        return ProductFilter(
            self.request.GET,
            queryset=self.products,
            attributes=self.attributes(),
            brand_facets=self.facets(self.products),
            sorts=self.sorts,
        )

    @cached_property
    def page(self):
        products = selectors.with_card_data(self.filter.sorted_results(self.default_sort))
        return Paginator(products, settings.CATALOG_PAGE_SIZE).get_page(self.request.GET.get("page"))

    @cached_property
    def sort_bar(self) -> list[dict]:
        """The 综合 / 销量 / 价格 bar: each a link keeping the filters; 价格 flips between low and high first."""
        self.filter.form.is_valid()
        current = self.filter.form.cleaned_data.get("sort") or self.default_sort
        query = self.request.GET.copy()
        query.pop("page", None)

        def link(sort):
            changed = query.copy()
            changed.pop("sort", None)
            if sort != self.default_sort:
                changed["sort"] = sort
            return "?" + changed.urlencode()

        price_next = "-price" if current == "price" else "price"
        return [
            {"key": "default", "label": _("Recommended"), "url": link(self.default_sort),
             "active": current == self.default_sort},
            {"key": "sales", "label": _("Sales"), "url": link("sales"), "active": current == "sales"},
            {"key": "price", "label": _("Price"), "url": link(price_next), "active": current in ("price", "-price"),
             "direction": {"price": "up", "-price": "down"}.get(current, "")},
        ]

    @cached_property
    def active_filters(self):
        return self.filter.active_filters(self.request.GET)

    @cached_property
    def query_without_page(self) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        return query.urlencode()


class SearchListing(Listing):
    """A search's listing, built on its candidates (catalog.search.search_candidates), read once with their
    brand and sort keys. Without filters the count, brand facets, order and page all come from them and only
    the page's own products are read; with filters the database narrows the candidates, as for a category."""

    def __init__(self, request, *, query, attributes, sorts, default_sort):
        super().__init__(
            request, base=self._matching_products, attributes=attributes, sorts=sorts,
            default_sort=default_sort, facets=self._brand_facets,
        )
        self.query = query

    @cached_property
    def candidates(self) -> CandidateColumns:
        return visible_search_columns(self.query)

    def _matching_products(self):
        return among_candidates(selectors.visible_products(), self.query, self.candidates)

    def _brand_facets(self, products):
        return brand_facets_of(self.candidates.brand_ids, brands_by_name())

    def _filters_in_use(self) -> bool:
        return self.filter.query_fills(set(self.filter.form.fields) - {"sort"})

    @cached_property
    def page(self):
        self.filter.form.is_valid()  # cleaned_data then holds the sort if it parsed, as in sorted_results
        sort = self.filter.form.cleaned_data.get("sort") or self.default_sort
        ordered = None if self._filters_in_use() else sorted_pks(self.candidates, SORTS[sort])
        if ordered is None:
            return super().page
        page = Paginator(ordered, settings.CATALOG_PAGE_SIZE).get_page(self.request.GET.get("page"))
        # Cards need neither the rank nor an order from the database (the page is already in order).
        page.object_list = selectors.PageCards(list(page.object_list))
        return page


@require_GET
@for_guests()
def category_list(request):
    # The tree is read only when the cached fragment is missing.
    tree = SimpleLazyObject(selectors.category_tree_with_pictures)
    return render(request, "catalog/category_list.html", {"tree": tree, "fragment_key": page_key("tree")})


class CategoryListing(Listing):
    """A category's listing: its pages' ids are found first (catalog.selectors.IdsFirst), by one fixed query
    when only brand, price and stock filters are in use (catalog.listing_query)."""

    def __init__(self, request, *, subtree_ids, **kwargs):
        super().__init__(request, **kwargs)
        self.subtree_ids = subtree_ids

    @cached_property
    def page(self):
        order = SORTS[self.filter.chosen_sort(self.default_sort)]
        source = category_page_source(self.subtree_ids, self.filter.plain_filters(), order, lambda: self.filter.qs)
        return selectors.listing_page(source, self.request.GET.get("page"), settings.CATALOG_PAGE_SIZE)


@require_GET
@for_guests(shared=True)
def category_detail(request, slug):
    category, ancestors, children, subtree_ids = shared_object(
        page_key("category", slug), lambda: selectors.category_page(slug)
    )
    # What every filter combination of this category shares is built once per catalogue version.
    listing = CategoryListing(
        request,
        subtree_ids=subtree_ids,
        base=lambda: selectors.products_in_category(subtree_ids),
        attributes=lambda: shared_object(
            page_key("filter-attributes", category.pk), lambda: selectors.filter_attributes_for([*ancestors, category])
        ),
        facets=lambda products: shared_object(
            page_key("brand-facets", category.pk), lambda: selectors.brand_facets(products())
        ),
        sorts=["new", "sales", "price", "-price", "name"],
        default_sort="new",
    )
    return render(
        request,
        "catalog/category_detail.html",
        {
            "category": category,
            "crumbs": [*ancestors, category],
            "children": children,
            "listing": listing,
            "fragment_key": page_key("category-listing", category.pk, query_key(request)),
        },
    )


@require_GET
def search(request):
    """The search page: with words, their results (cached whole for guests); without, hot and recent words.

    The recent-searches cookie is set here, outside the page cache, so results pages stay shared by everyone.
    """
    query = clean_query(request.GET.get("q"))
    if not query:
        if "clear_recent" in request.GET:
            response = redirect("catalog:search")
            search_terms.forget_searches(response)
            return response
        return render(
            request,
            "catalog/search.html",
            {"q": "", "hot_terms": search_terms.hot_terms(), "recent_terms": search_terms.recent_searches(request)},
        )
    response = _search_results(request, query)
    if response.status_code == 200:
        if search_terms.is_first_plain_search(request):
            search_terms.record_search(term=query, results=getattr(request, "search_result_count", None))
        search_terms.remember_search(request, response, query)
    return response


@for_guests(shared=True)
def _search_results(request, query):
    listing = SearchListing(
        request,
        query=query,
        attributes=lambda: shared_object(page_key("searchable-attributes"), selectors.searchable_attributes),
        sorts=["relevance", "sales", "new", "price", "-price"],
        default_sort="relevance",
    )
    response = render(
        request,
        "catalog/search.html",
        {
            "q": query,
            "listing": listing,
            "fragment_key": page_key("search", query_key(request)),
            # Suggestions for a search that finds nothing: rendered only then (outside the results fragment).
            "hot_terms": SimpleLazyObject(search_terms.hot_terms),
        },
    )
    if "page" in listing.__dict__:  # the results were counted for this render (not a cached fragment)
        request.search_result_count = listing.page.paginator.count
    return response


def _remember_on_hit(request, response, slug):
    head = cached(page_key("product-head", slug), lambda: selectors.product_head(slug))
    remember_product(request, response, head.pk)


@require_GET
@for_guests(seconds=PRODUCT_PAGE_SECONDS, vary_on_cookie=RECENTLY_VIEWED_COOKIE, on_hit=_remember_on_hit)
def product_detail(request, slug):
    # A light, cached head (the product row and its variants) is all a cache hit needs; the full
    # product with images, options, attributes and related products loads only on a miss.
    head_key = page_key("product-head", slug)
    head = pages_cache().get(head_key)
    if head is None:
        # A cold page needs the full product anyway: cut the head from it rather than query it too. The
        # template then reads it directly, not through a lazy proxy (each of its some hundred lookups would
        # pass through the proxy's own methods).
        product = selectors.product_page(slug)
        head = selectors.head_of(product)
        pages_cache().set(head_key, head, CACHE_TIMEOUT)
    else:
        product = SimpleLazyObject(lambda: selectors.product_page(slug))
    variant = pick_variant(head.sellable_variants, request.GET.get("sku"))
    recent_ids = [pk for pk in viewed_product_ids(request) if pk != head.pk]

    def images():
        # The chosen variant's own pictures come first.
        ordered = list(product.images.all())
        if variant is not None:
            ordered.sort(key=lambda image: image.variant_id != variant.pk)
        return ordered

    def choices():
        variants = list(product.variants.all())
        selected = next((v for v in variants if variant and v.pk == variant.pk), None)
        return option_choices(variants, selected) if selected else []

    response = render(
        request,
        "catalog/product_detail.html",
        {
            "head": head,
            "variant": variant,
            # Read only when the page's cached fragments are missing:
            "product": product,
            "option_choices": SimpleLazyObject(choices),
            "images": SimpleLazyObject(images),
            # Both shared by every product of the category, so built once per category and version.
            "ancestors": SimpleLazyObject(
                lambda: shared_object(
                    page_key("ancestors", product.category_id), lambda: selectors.category_ancestors(product.category)
                )
            ),
            "related": SimpleLazyObject(
                lambda: selectors.related_products(product, newest_in_category=_newest_in_category)
            ),
            "recently_viewed": SimpleLazyObject(
                lambda: selectors.products_by_ids_in_order(recent_ids) if recent_ids else []
            ),
            "fragment_key": page_key("product-page", head.pk, variant.pk if variant else 0),
            # The same breadcrumbs on every product of the category: drawn once per category and version.
            "crumbs_key": page_key("product-crumbs", head.category_id),
            "recent_key": page_key("recently-viewed", *recent_ids),
            # Swapped for the visitor's own token on the way out (see catalog.cache.for_guests).
            "csrf_token": CSRF_PLACEHOLDER,
            **_provided_context(request, head, variant),
        },
    )
    remember_product(request, response, head.pk)
    return response


def _newest_in_category(category_id: int, limit: int) -> list:
    return shared_cached(
        page_key("newest-in-category", category_id, limit), lambda: selectors.newest_in_category(category_id, limit)
    )


def _provided_context(request, product, variant) -> dict:
    """Context from the apps named in CATALOG_PRODUCT_CONTEXT_PROVIDERS (stock, pick-up stores)."""
    context = {}
    for provider in _providers(tuple(settings.CATALOG_PRODUCT_CONTEXT_PROVIDERS)):
        context.update(provider(request, product, variant))
    return context


@cache
def _providers(paths: tuple[str, ...]) -> list:
    """The provider functions, imported once per process (and again only if the setting changes)."""
    return [import_string(path) for path in paths]
