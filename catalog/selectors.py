"""Reads of the catalogue shared by pages, feeds and tasks.

Every selector that feeds a page fetches what the template shows in a
fixed number of queries, whatever the size of the catalogue.
"""

import copy
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db import connection, models
from django.db.models import (
    CharField, Count, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, Window,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404
from django.utils.functional import cached_property

from catalog.card_query import CARD_DEFERRED_COLUMNS, cards_in_one_query
from catalog.models import (
    SEARCH_COLUMNS,
    Attribute,
    Category,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    Variant,
    visible_product,
)
from catalog.product_page_query import RELATED_LIMIT, product_page_in_one_query


@dataclass
class CategoryNode:
    category: Category
    children: list["CategoryNode"] = field(default_factory=list)


def visible_products() -> QuerySet[Product]:
    return Product.objects.visible().defer(*SEARCH_COLUMNS)


def with_card_data(products: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card needs from its own query: the brand, the first picture, and the dearest active price.

    The first picture (its card thumbnail, else the upload, and its alt text) comes as two
    subqueries on the page's rows, so ``{% product_cards %}`` renders a missing card without
    a query for images. The top price, beside the stored from-price, tells the card to say
    "from" (¥10.00 起).
    """
    top_price = Variant.objects.filter(product=OuterRef("pk"), is_active=True).order_by("-price").values("price")[:1]
    first_image = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return (
        products.select_related("brand")
        .defer(*CARD_DEFERRED_COLUMNS)
        .annotate(
            price_high=Subquery(top_price),
            card_image_name=Subquery(
                first_image.annotate(
                    name=Coalesce(NullIf("card_thumbnail", Value("")), "image", output_field=CharField())
                ).values("name")[:1]
            ),
            card_image_alt=Subquery(first_image.values("alt_text")[:1]),
        )
    )


def cards_by_ids(ids: list[int], *, faces_only: bool = False) -> list[Product]:
    """The visible products among ``ids``, in the order of ``ids``, with their card data (as ``with_card_data``).

    On PostgreSQL one fixed SQL text (catalog.card_query), which costs a fraction of the ORM's Python;
    ``faces_only`` there reads only what a card shows (``cards_in_one_query``).
    """
    if connection.vendor == "postgresql":
        return cards_in_one_query(ids, faces_only=faces_only)
    by_id = {p.pk: p for p in with_card_data(visible_products().filter(pk__in=ids))} if ids else {}
    return [by_id[pk] for pk in ids if pk in by_id]


class PageCards:
    """A listing page's products as their ids, each read only when more than its cached card is wanted.

    ``{% product_cards %}`` draws a card from the card cache when another listing drew it already (about
    half of a cold listing's cards) and asks ``read`` only for the others, so their rows are neither fetched
    nor built. Anything else that looks at the page gets all its products, read once (``cards_by_ids``).
    The ids must come from a query that chose the products shoppers see, as a listing's own query does.
    """

    def __init__(self, ids: list[int]):
        self.ids = list(ids)

    @cached_property
    def products(self) -> list[Product]:
        return cards_by_ids(self.ids)

    def read(self, ids: list[int]) -> list[Product]:
        """The visible products among ``ids``, in their order, with what their cards show."""
        if "products" in self.__dict__:
            by_id = {product.pk: product for product in self.products}
            return [by_id[pk] for pk in ids if pk in by_id]
        return cards_by_ids(ids, faces_only=True)  # only to draw their cards

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __iter__(self):
        return iter(self.products)

    def __len__(self) -> int:
        return len(self.products)

    def __getitem__(self, index):
        return self.products[index]


class IdsFirst:
    """Sorted products for a Paginator: a page's ids first, then only that page's rows with their card data.

    Ordered by plain columns, PostgreSQL may walk the index of created_at (or price, or units_sold)
    over the whole catalogue, testing each product for the category's subtree. Where the subtree's
    products sit at one end of that index (a category imported in one go) that reads tens of
    thousands of rows to find 24: 250 ms for a filtered top-level category. Here the ids are ordered
    by expressions no index serves, so PostgreSQL reads the subtree's entries of the covering index
    product_category_brand (an index-only scan, a few ms even for the biggest category) and sorts
    only ids and sort keys, counting them in the same query (``read_ahead``, as ``listing_page``
    does); the page's rows are then read by primary key in a second query (``cards_by_ids``, one
    fixed SQL text: cheaper in Python than the ORM's one query with the ids as a subquery), and
    only those whose cards are not cached (``PageCards``).
    """

    def __init__(self, products, order: tuple[str, ...]):
        self._products = products  # the queryset, or a callable building it when first needed (CategoryIds)
        self.order = order
        self._total: int | None = None
        self._read_ahead: tuple[int, list[int]] | None = None  # (offset, ids) of the page read with the total

    @cached_property
    def products(self) -> QuerySet[Product]:
        products = self._products() if callable(self._products) else self._products
        return products.order_by()

    def count(self) -> int:
        if self._total is None:
            self._total = self.products.count()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def read_ahead(self, offset: int, limit: int) -> None:
        """Read the ids of the page that starts at ``offset`` and the number of all matches in one query.

        The Paginator then asks ``count()`` and slices this page, which cost no further query. A page past
        the end finds no row and so learns no total: ``count()`` then asks on its own.
        """
        rows = self._page_with_total(offset, limit)
        if rows:
            self._total = rows[0][1]
            self._read_ahead = (offset, [pk for pk, _total in rows])

    def _page_with_total(self, offset: int, limit: int) -> list[tuple[int, int]]:
        """(id, number of all matches) of the page's products."""
        # count(*) OVER () counts every match before LIMIT cuts the page: the count of the same scan.
        with_total = self._ordered().annotate(total=Window(Count("*"))).values_list("pk", "total")
        return list(with_total[offset:offset + limit])

    def __getitem__(self, index: slice) -> "PageCards":
        ahead = self._read_ahead
        if ahead and ahead[0] == index.start and index.stop - index.start <= len(ahead[1]):
            ids = ahead[1][: index.stop - index.start]
        else:
            ids = list(self._ordered().values_list("pk", flat=True)[index])
        return PageCards(ids)

    def _ordered(self) -> QuerySet[Product]:
        return self.products.order_by(*[_unindexed(key) for key in self.order])


# A page number beyond any real listing is not read ahead (its OFFSET could overflow PostgreSQL's bigint).
MAX_READ_AHEAD_PAGE = 100_000


def listing_page(source, number, per_page: int) -> Page:
    """``Paginator(source, per_page).get_page(number)``; from ``IdsFirst``, the page and the count in one query."""
    if isinstance(source, IdsFirst):
        try:
            wanted = min(max(int(number), 1), MAX_READ_AHEAD_PAGE)
        except (TypeError, ValueError):
            wanted = 1  # as get_page: a page number that is not one shows the first page
        source.read_ahead((wanted - 1) * per_page, per_page)
    return Paginator(source, per_page).get_page(number)


def _unindexed(key: str):
    """An order key ("-created_at", "price", …) as the same order through an expression, so no index serves it."""
    name = key.removeprefix("-")
    column = Product._meta.get_field(name)
    if column.primary_key or name == "name":  # the tie-breaker, and a column without a btree index
        return key
    zero = Value(timedelta(0)) if isinstance(column, models.DateTimeField) else Value(0, output_field=column)
    expression = ExpressionWrapper(F(name) + zero, output_field=column)
    return expression.desc() if key.startswith("-") else expression.asc()


def unindexed_order_sql(key: str, alias: str) -> str:
    """``_unindexed(key)`` as SQL text on the product table under ``alias``, for the fixed reads
    (catalog.listing_query, catalog.search_sql): "(p.price + 0) ASC", "p.id DESC"."""
    name = key.removeprefix("-")
    column = Product._meta.get_field(name)
    expression = f"{alias}.{column.column}"
    if not (column.primary_key or name == "name"):
        zero = "interval '0'" if isinstance(column, models.DateTimeField) else "0"
        expression = f"({expression} + {zero})"
    return f"{expression} {'DESC' if key.startswith('-') else 'ASC'}"


def sorted_page_source(products: QuerySet[Product], order: tuple[str, ...]):
    """What a category listing's Paginator reads: ``IdsFirst`` on PostgreSQL, else the products in order."""
    if connection.vendor == "postgresql" and not products.query.distinct:
        return IdsFirst(products, order)
    return with_card_data(products.order_by(*order))


def category_tree() -> list[CategoryNode]:
    """All active categories as a tree, in one query."""
    nodes: dict[int, CategoryNode] = {}
    roots: list[CategoryNode] = []
    for category in Category.objects.filter(is_active=True).order_by("depth", "position", "name"):
        node = CategoryNode(category)
        nodes[category.pk] = node
        if category.parent_id is None:
            roots.append(node)
        elif category.parent_id in nodes:
            nodes[category.parent_id].children.append(node)
        # A child of an inactive parent is hidden with its parent.
    return roots


def category_page(slug: str) -> tuple[Category, list[Category], list[Category], list[int]]:
    """The category, its ancestors (root first), its active children and the ids of its
    active subtree (itself included); 404 if it or an ancestor is inactive."""
    category = Category.objects.filter(slug=slug, is_active=True).first()
    if category is None:
        raise Http404("No such category")
    related = Category.objects.filter(
        Q(pk__in=category.ancestor_ids) | Q(path__startswith=category.path), is_active=True
    ).order_by("depth", "position", "name")
    ancestors, children, subtree_ids = [], [], []
    reachable = {category.pk}  # active descendants whose whole chain up to here is active
    for other in related:
        if other.pk in category.ancestor_ids:
            ancestors.append(other)
        elif other.pk == category.pk or other.parent_id in reachable:
            reachable.add(other.pk)
            subtree_ids.append(other.pk)
            if other.parent_id == category.pk:
                children.append(other)
    if len(ancestors) != len(category.ancestor_ids):
        raise Http404("The category sits under an inactive one")
    return category, ancestors, children, subtree_ids


def category_ancestors(category: Category) -> list[Category]:
    """The category's ancestors and itself, root first, for a breadcrumb."""
    ancestors = Category.objects.filter(pk__in=category.ancestor_ids).order_by("depth")
    return [*ancestors, category]


def products_in_category(subtree_ids: list[int]) -> QuerySet[Product]:
    """Visible products of a category and everything below it.

    A literal list of category ids (a few dozen) rather than a join on the
    path, so the planner sees how few categories there are and walks the
    (category, …) indexes of the product table.
    """
    return visible_products().filter(category_id__in=subtree_ids)


def filter_attributes_for(categories: list[Category]) -> list[Attribute]:
    """Filterable attributes of these categories (a category and its ancestors), with options."""
    return list(
        Attribute.objects.filter(categories__in=categories, is_filterable=True)
        .exclude(kind=Attribute.Kind.TEXT)
        .prefetch_related("options")
        .distinct()
        .order_by("position", "name")
    )


def searchable_attributes() -> list[Attribute]:
    """Attributes offered as filters on the search page: every filterable one."""
    return list(
        Attribute.objects.filter(is_filterable=True)
        .exclude(kind=Attribute.Kind.TEXT)
        .prefetch_related("options")
        .order_by("position", "name")
    )


def brand_facets(products: QuerySet[Product], *, limit: int = 30) -> list[dict]:
    """Brands among these products with how many each has, most first.

    COUNT(*) rather than COUNT(id): a category's facets are then answered from the
    covering index product_category_brand alone (an index-only scan, about ten times
    faster on a category of 2,000 products than reading each product's row).
    """
    return list(
        products.exclude(brand=None)
        .order_by()
        .values("brand__slug", "brand__name")
        .annotate(count=Count("*"))
        .order_by("-count", "brand__name")[:limit]
    )


def product_head(slug: str) -> Product:
    """A visible product's own row with its sellable variants in ``sellable_variants``; 404 otherwise.

    Small enough to cache and unpickle on every request to the product page.
    """
    product = visible_products().filter(slug=slug, category__is_active=True).first()
    if product is None:
        raise Http404("No such product")
    product.sellable_variants = list(product.variants.filter(is_active=True).order_by("position", "id"))
    return product


def head_of(product: Product) -> Product:
    """The light head ``product_head`` would return, cut from a product ``product_page`` loaded.

    A cold product page needs both; cutting one from the other saves the head's two queries.
    Copies without their prefetched rows and related objects, so the head pickles small.
    """

    def light(instance):
        copied = copy.copy(instance)
        copied._state = copy.copy(instance._state)
        copied._state.fields_cache = {}
        copied.__dict__.pop("_prefetched_objects_cache", None)
        copied.__dict__.pop("related_cards", None)  # product_page's related products, for the page only
        return copied

    head = light(product)
    head.sellable_variants = [light(v) for v in sorted(product.variants.all(), key=lambda v: (v.position, v.pk))]
    return head


def product_page(slug: str) -> Product:
    """A visible product with everything its page shows, and ``related_cards`` when known; 404 otherwise.

    On PostgreSQL one query (catalog.product_page_query) instead of the eight the prefetching form
    below costs with its related products.
    """
    if connection.vendor == "postgresql":
        product = product_page_in_one_query(slug)
    else:
        product = _prefetched_product_page(slug)
    if product is None:
        raise Http404("No such product")
    return product


def _prefetched_product_page(slug: str) -> Product | None:
    return (
        visible_products()
        .filter(slug=slug, category__is_active=True)
        .select_related("category", "brand")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True).prefetch_related(
                    Prefetch("option_values", queryset=OptionValue.objects.select_related("option"))
                ),
            ),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch(
                "attribute_values",
                queryset=ProductAttributeValue.objects.select_related("attribute", "option").order_by(
                    "attribute__position", "attribute__name"
                ),
            ),
            "tags",
        )
        .first()
    )


def related_products(product: Product, *, limit: int = RELATED_LIMIT, newest_in_category=None) -> list[Product]:
    """Staff-chosen related products, else others from the same category.

    The staff-chosen ones come with the product when ``product_page`` loaded them (``related_cards``).
    ``newest_in_category(category_id, limit)``, when given, supplies the category's newest
    products (a cached list shared by every product of the category) instead of a query.
    """
    chosen = getattr(product, "related_cards", None)
    if chosen is None or limit > RELATED_LIMIT:
        chosen = list(with_card_data(product.related_products.visible().defer(*SEARCH_COLUMNS))[:limit])
    if chosen:
        return chosen[:limit]
    if newest_in_category is not None:
        return [other for other in newest_in_category(product.category_id, limit + 1) if other.pk != product.pk][:limit]
    return list(
        with_card_data(visible_products().filter(category_id=product.category_id).exclude(pk=product.pk))[:limit]
    )


def newest_in_category(category_id: int, limit: int) -> list[Product]:
    """The category's own newest visible products, for the related products of any of them."""
    return list(with_card_data(visible_products().filter(category_id=category_id))[:limit])


def products_by_ids_in_order(ids: list[int]) -> list[Product]:
    """Visible products with these ids, in the order given (recently viewed)."""
    return cards_by_ids(ids)


def featured_products(*, limit: int = 8) -> list[Product]:
    return list(with_card_data(visible_products().filter(is_featured=True).order_by("-created_at"))[:limit])


def new_arrivals(*, limit: int = 8) -> list[Product]:
    return list(with_card_data(visible_products().order_by("-created_at", "-id"))[:limit])


def images_missing_thumbnails() -> QuerySet[ProductImage]:
    return ProductImage.objects.filter(card_thumbnail="") | ProductImage.objects.filter(detail_thumbnail="")


def category_pictures() -> dict[int, str]:
    """One product picture per category (the first of its first product), for the category page's grid.

    One query (DISTINCT ON the category); a category without products of its own borrows a child's
    picture in the template's tree walk (``category_tree_with_pictures``).
    """
    images = (
        ProductImage.objects.filter(visible_product("product__"), product__category__is_active=True)
        .order_by("product__category_id", "product__created_at", "position", "id")
        .select_related("product")
        .only("id", "image", "card_thumbnail", "product__id", "product__category")
    )
    if connection.features.can_distinct_on_fields:
        images = images.distinct("product__category_id")
    # Without DISTINCT ON (SQLite, the zero-setup demo) the first image of each category wins here.
    pictures: dict[int, str] = {}
    for image in images:
        pictures.setdefault(image.product.category_id, image.card_url)
    return pictures


def category_tree_with_pictures() -> list[CategoryNode]:
    """The category tree, each node with ``picture``: its own products' picture or its first child's."""
    tree = category_tree()
    pictures = category_pictures()

    def walk(node) -> str:
        below = [walk(child) for child in node.children]
        node.picture = pictures.get(node.category.pk) or next((p for p in below if p), "")
        return node.picture

    for root in tree:
        walk(root)
    return tree
