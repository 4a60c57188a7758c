"""Catalogue: categories (a materialised-path tree), brands, tags, products,
variants (the SKU, the sellable unit), typed attributes and images."""

from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.images import validate_image_file
from catalog.links import slug_url

PATH_STEP = 7  # "0000042/" : a zero-padded primary key plus a slash


class Category(models.Model):
    """A node of the category tree.

    The tree is a materialised path: ``path`` is the chain of ancestor ids
    ("0000001/0000007/"), so a subtree is one indexed prefix query and the
    breadcrumb is one ``pk__in`` query, whatever the depth. ``parent`` stays
    the source of truth that staff edit; ``catalog.services.save_category``
    keeps ``path`` and ``depth`` in step, descendants included.
    """

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("tree path"), max_length=255, editable=False, default="", db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(_("icon"), max_length=8, blank=True, help_text=_("An emoji shown on the home page."))
    filter_attributes = models.ManyToManyField(
        "Attribute",
        verbose_name=_("filter attributes"),
        blank=True,
        related_name="categories",
        help_text=_("Attributes offered as filters here and in every subcategory."),
    )
    seo_title = models.CharField(_("SEO title"), max_length=70, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("catalog:category", self.slug)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids of the ancestors, root first, read from the path."""
        return [int(part) for part in self.path.split("/")[:-2] if part]

    def clean(self) -> None:
        if self.parent_id and self.pk:
            if self.parent_id == self.pk or (self.parent.path.startswith(self.path) and self.path):
                raise ValidationError({"parent": _("A category cannot be placed inside itself.")})


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    """A typed product property (material, capacity, organic…) that can be a filter."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("number")
        BOOLEAN = "boolean", _("yes/no")
        CHOICE = "choice", _("choice")

    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Used in filter URLs."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    is_filterable = models.BooleanField(_("usable as a filter"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class AttributeOption(models.Model):
    attribute = models.ForeignKey(
        Attribute, verbose_name=_("attribute"), on_delete=models.CASCADE, related_name="options",
    )
    value = models.CharField(_("value"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60, allow_unicode=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attribute option")
        verbose_name_plural = _("attribute options")
        ordering = ["position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "slug"], name="attribute_option_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.value


def visible_product(prefix: str = "", *, at=None) -> Q:
    """The condition for a shopper to see a product: published, inside its window.

    ``prefix`` reaches the product through a relation ("product__" from a variant),
    so callers join instead of filtering on a subquery of every visible product.
    """
    at = at or timezone.now()
    return (
        (Q(**{f"{prefix}available_from__isnull": True}) | Q(**{f"{prefix}available_from__lte": at}))
        & (Q(**{f"{prefix}available_until__isnull": True}) | Q(**{f"{prefix}available_until__gt": at}))
        & Q(**{f"{prefix}is_published": True})
    )


def visible_product_sql(alias: str, now: str) -> str:
    """``visible_product`` as SQL text for the hot reads written as fixed SQL (catalog.product_page_query,
    orders.checkout_queries): ``alias`` names the product table, ``now`` the placeholder of the moment
    ("$2", "%s"; a "%s" is used twice). Keep the two forms together: tests/catalog/test_visibility_sql.py
    checks that they agree."""
    return (
        f"{alias}.is_published AND ({alias}.available_from IS NULL OR {alias}.available_from <= {now})"
        f" AND ({alias}.available_until IS NULL OR {alias}.available_until > {now})"
    )


# Columns only search reads: large (the whole text, its vector), so pages leave them behind.
SEARCH_COLUMNS = ("search_document", "search_vector")


class ProductQuerySet(models.QuerySet):
    def visible(self, *, at=None):
        """Published products whose availability window includes ``at`` (now)."""
        return self.filter(visible_product(at=at))


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="products")
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    is_featured = models.BooleanField(_("featured on the home page"), default=False)
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    related_products = models.ManyToManyField(
        "self", verbose_name=_("related products"), blank=True, symmetrical=False
    )
    seo_title = models.CharField(_("SEO title"), max_length=70, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Kept in step by catalog.services.refresh_product_summary: the cheapest
    # active variant for price filters and sorting, and the words search reads.
    price = models.DecimalField(_("from price"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    compare_at_price = models.DecimalField(
        _("was price"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False,
    )
    search_document = models.TextField(_("search text"), editable=False, default="")
    # to_tsvector('english', search_document), stored so that search neither re-parses
    # thousands of documents per query nor needs an expression index; PostgreSQL only
    # (it stays empty on the SQLite demo, which searches by substring).
    search_vector = SearchVectorField(_("search index"), null=True, editable=False)
    # Some active variant is in stock: kept in step by catalog.services from Variant.is_in_stock.
    is_in_stock = models.BooleanField(_("in stock"), default=False, db_index=True)
    # Published reviews, kept in step by the review services, so cards show stars without a query each.
    review_count = models.PositiveIntegerField(_("reviews"), default=0, editable=False)
    rating_average = models.DecimalField(_("average rating"), max_digits=3, decimal_places=2, null=True, blank=True,
                                         editable=False)
    # Units sold (completed orders), kept in step by orders, for the 销量 sort.
    units_sold = models.PositiveIntegerField(_("units sold"), default=0, editable=False, db_index=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Category listings: newest first, by price, and the brand facet, each from one index.
            models.Index(fields=["category", "-created_at", "-id"], name="product_category_newest"),
            models.Index(fields=["category", "price", "id"], name="product_category_price"),
            # Counts and brand facets of a category answered from the index alone (PostgreSQL).
            # Every column a category listing filters or sorts on: its facets, counts and pages' ids
            # are index-only scans of this (catalog.selectors.IdsFirst).
            models.Index(
                fields=["category", "brand"],
                include=[
                    "is_published", "available_from", "available_until", "is_in_stock", "price",
                    "created_at", "units_sold", "name", "id",
                ],
                name="product_category_brand",
            ),
            models.Index(fields=["price"], name="product_price"),
            models.Index(fields=["is_featured", "is_published"], name="product_featured"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_from__isnull=True)
                | Q(available_until__gt=F("available_from")),
                name="product_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("catalog:product", self.slug)

    def clean(self) -> None:
        if self.available_from and self.available_until and self.available_until <= self.available_from:
            raise ValidationError({"available_until": _("The end of the window must come after its start.")})

    @property
    def discount_percent(self) -> int | None:
        if self.compare_at_price and self.compare_at_price > self.price > 0:
            return int((1 - self.price / self.compare_at_price) * 100)
        return None


class Option(models.Model):
    """A dimension variants differ in: colour, size, weight of the pack."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class OptionValue(models.Model):
    option = models.ForeignKey(Option, verbose_name=_("option"), on_delete=models.CASCADE, related_name="values")
    value = models.CharField(_("value"), max_length=40)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("option value")
        verbose_name_plural = _("option values")
        ordering = ["option__position", "position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["option", "value"], name="option_value_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.option.name}: {self.value}"


class Variant(models.Model):
    """The SKU: what a shopper puts in the cart and a store keeps in stock."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU code"), max_length=64, unique=True)
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    compare_at_price = models.DecimalField(
        _("compare-at price"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The crossed-out earlier price; leave empty when there is none."),
    )
    option_values = models.ManyToManyField(OptionValue, verbose_name=_("options"), blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Kept in step by the stores app whenever stock moves: some active store can sell one.
    is_in_stock = models.BooleanField(_("in stock"), default=False, editable=False)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="variant_price_positive"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gt=F("price")),
                name="variant_compare_at_above_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.sku})"

    def clean(self) -> None:
        if self.compare_at_price is not None and self.price is not None and self.compare_at_price <= self.price:
            raise ValidationError({"compare_at_price": _("The compare-at price must be above the price.")})


class ProductAttributeValue(models.Model):
    """One typed value of an attribute for a product; the column used depends on the kind."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="attribute_values",
    )
    attribute = models.ForeignKey(
        Attribute, verbose_name=_("attribute"), on_delete=models.CASCADE, related_name="values",
    )
    value_text = models.CharField(_("text value"), max_length=200, blank=True)
    value_number = models.DecimalField(_("number value"), max_digits=12, decimal_places=3, null=True, blank=True)
    value_boolean = models.BooleanField(_("yes or no"), null=True, blank=True)
    option = models.ForeignKey(
        AttributeOption, verbose_name=_("option"), null=True, blank=True, on_delete=models.CASCADE,
    )

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute"], name="product_attribute_unique"),
        ]
        indexes = [
            models.Index(fields=["attribute", "option"], name="attr_value_option"),
            models.Index(fields=["attribute", "value_number"], name="attr_value_number"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute.name}: {self.display_value}"

    @property
    def display_value(self) -> str:
        kind = self.attribute.kind
        if kind == Attribute.Kind.CHOICE:
            return self.option.value if self.option_id else ""
        if kind == Attribute.Kind.NUMBER:
            if self.value_number is None:
                return ""
            number = self.value_number.normalize()
            return f"{number:f} {self.attribute.unit}".strip()
        if kind == Attribute.Kind.BOOLEAN:
            return str(_("Yes") if self.value_boolean else _("No"))
        return self.value_text

    def clean(self) -> None:
        kind = self.attribute.kind if self.attribute_id else None
        if kind == Attribute.Kind.CHOICE:
            if not self.option_id:
                raise ValidationError({"option": _("Choose one of the attribute's options.")})
            if self.option.attribute_id != self.attribute_id:
                raise ValidationError({"option": _("That option belongs to another attribute.")})
        elif kind == Attribute.Kind.NUMBER and self.value_number is None:
            raise ValidationError({"value_number": _("Enter a number.")})
        elif kind == Attribute.Kind.BOOLEAN and self.value_boolean is None:
            raise ValidationError({"value_boolean": _("Choose yes or no.")})
        elif kind == Attribute.Kind.TEXT and not self.value_text:
            raise ValidationError({"value_text": _("Enter a value.")})


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images")
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.SET_NULL, related_name="images",
        help_text=_("Show this image when the shopper picks this variant."),
    )
    image = models.ImageField(_("image"), upload_to=product_image_path, validators=[validate_image_file])
    # Made by catalog.tasks.make_thumbnails_task; empty until the worker has run.
    card_thumbnail = models.ImageField(_("card thumbnail"), upload_to="thumbs/card/", blank=True, editable=False)
    detail_thumbnail = models.ImageField(_("detail thumbnail"), upload_to="thumbs/detail/", blank=True, editable=False)
    alt_text = models.CharField(_("alternative text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt_text or self.image.name

    @property
    def card_url(self) -> str:
        return (self.card_thumbnail or self.image).url

    @property
    def detail_url(self) -> str:
        return (self.detail_thumbnail or self.image).url


class Review(models.Model):
    """商品评价: a buyer's rating and words on one completed order line, shown once staff approve it.

    ``order_line_id`` (not a key: orders sit above the catalogue) makes it once
    per bought line; ``order_number`` says where it came from.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="reviews")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE,
                             related_name="reviews")
    order_line_id = models.PositiveBigIntegerField(_("order line"), unique=True)
    order_number = models.CharField(_("order"), max_length=20)
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("review"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reply = models.TextField(_("shop's reply"), max_length=1000, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("replied by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    helpful_count = models.PositiveIntegerField(_("found helpful"), default=0)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "status", "-created_at"], name="review_product_published")]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_one_to_five"),
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.rating}★"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="reviews/", validators=[validate_image_file])
    thumbnail = models.ImageField(_("thumbnail"), upload_to="reviews/thumbs/", blank=True, editable=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")
        ordering = ["position", "id"]


class ReviewVote(models.Model):
    """One member found one review helpful (once)."""

    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+",
    )
    created_at = models.DateTimeField(_("voted at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="review_vote_once")]


class SearchTerm(models.Model):
    """How often a search word was asked for per day: the hot search words (热搜) come from here."""

    day = models.DateField(_("day"))
    term = models.CharField(_("search word"), max_length=50)
    searches = models.PositiveIntegerField(_("searches"), default=0)
    results = models.PositiveIntegerField(_("results last time"), default=0)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")
        constraints = [models.UniqueConstraint(fields=["day", "term"], name="search_term_once_per_day")]
