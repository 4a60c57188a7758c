"""A category page's ids and count, read by one fixed PostgreSQL query for the filters shoppers use.

A cold category page asks for one page of ids and the number of all matches (``catalog.selectors.IdsFirst``).
Through the ORM, building the filtered queryset (visible products of the subtree, brand, price, in stock)
and compiling its ordered, counted form cost about 15% of a cold filtered category page's Python in the
web process (py-spy on gunicorn's workers), against a query that PostgreSQL answers in a few milliseconds.
Here the SQL text is written once per process for each shape of the query (how many categories and brands,
which bounds, which order) and gives the same ids in the same order, with the same count, as the ORM's
(tests/catalog/test_listing_query.py compares them).

Filters other than brand, price and stock (a category's attributes) keep the ORM's form, as do other
databases and a page past the end (its count is asked on its own, as IdsFirst does).
"""

from functools import cache

from django.db import connection
from django.utils import timezone

from catalog.filters import PlainFilters
from catalog.fixed_sql import table
from catalog.models import Brand, Product, visible_product_sql
from catalog.selectors import IdsFirst, sorted_page_source, unindexed_order_sql


@cache
def _sql(categories: int, brands: int, price_min: bool, price_max: bool, in_stock: bool, order: tuple) -> str:
    """The statement for one shape. Params: the moment (twice), the category ids, the brand slugs, the bounds
    asked for, then LIMIT and OFFSET."""
    placeholders = lambda count: ", ".join(["%s"] * count)  # noqa: E731
    brand_join = f" JOIN {table(Brand)} b ON b.id = p.brand_id" if brands else ""
    conditions = [visible_product_sql("p", "%s"), f"p.category_id IN ({placeholders(categories)})"]
    if brands:
        conditions.append(f"b.slug IN ({placeholders(brands)})")
    if price_min:
        conditions.append("p.price >= %s")
    if price_max:
        conditions.append("p.price <= %s")
    if in_stock:
        conditions.append("p.is_in_stock")
    return (
        f"SELECT p.id, count(*) OVER () FROM {table(Product)} p{brand_join} WHERE {' AND '.join(conditions)}"
        f" ORDER BY {', '.join(unindexed_order_sql(key, 'p') for key in order)} LIMIT %s OFFSET %s"
    )


def page_ids_with_total(subtree_ids: list[int], filters: PlainFilters, order: tuple[str, ...], offset: int,
                        limit: int) -> list[tuple[int, int]]:
    """(id, number of all matches) of the visible products of ``subtree_ids`` on the page at ``offset``."""
    if not subtree_ids:
        return []
    sql = _sql(len(subtree_ids), len(filters.brands), filters.price_min is not None, filters.price_max is not None,
               filters.in_stock, order)
    now = timezone.now()
    params = [now, now, *subtree_ids, *filters.brands]
    params += [bound for bound in (filters.price_min, filters.price_max) if bound is not None]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return cursor.fetchall()


class CategoryIds(IdsFirst):
    """IdsFirst whose page and count come from ``page_ids_with_total``; the queryset (``products``, a callable
    giving it as ProductFilter.qs does) is built only when something else is asked: the count of a page past
    the end, a page that was not read ahead."""

    def __init__(self, subtree_ids: list[int], filters: PlainFilters, order: tuple[str, ...], products):
        super().__init__(products, order)
        self.subtree_ids = subtree_ids
        self.filters = filters

    def _page_with_total(self, offset: int, limit: int) -> list[tuple[int, int]]:
        return page_ids_with_total(self.subtree_ids, self.filters, self.order, offset, limit)


def category_page_source(subtree_ids, filters: PlainFilters | None, order: tuple[str, ...], products):
    """What a category listing's Paginator reads: ``CategoryIds`` when this query knows the filters (on
    PostgreSQL), else ``catalog.selectors.sorted_page_source`` of ``products()``."""
    if filters is not None and connection.vendor == "postgresql":
        return CategoryIds(subtree_ids, filters, order, products)
    return sorted_page_source(products(), order)
