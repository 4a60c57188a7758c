"""``manage.py seed_demo``: a believable demo shop, safe to run again.

Builds a fictional Chinese supermarket and lifestyle chain: a three-level
category tree, brands, tags, typed attributes, products with variants,
placeholder images, a warehouse and three stores with stock, three logins
and a banner. Reference rows are looked up by slug, code or email, so a
second run creates nothing twice; demo products (slug ``p-000123``) are
counted and only the missing ones up to ``--products`` are added, in
batches, each batch complete in its own transaction, so an interrupted
run can simply be started again.
"""

import io
import math
import random
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from catalog.models import (
    Attribute,
    AttributeOption,
    Brand,
    Category,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    Tag,
    Variant,
)
from catalog.services import make_thumbnails, refresh_product_summary, save_category
from marketing.models import Announcement
from members.models import Address
from members.services import save_address
from orders.models import ShippingMethod
from shop import demo_activity, demo_data
from shop.money import to_money
from stores.models import Stock, StockMovement, Store
from stores.roles import assign_store_role, ensure_role_groups
from stores.services import refresh_product_stock_flags

SEED = 42
DEMO_SLUG_REGEX = r"^p-[0-9]{6}$"
MAX_PRODUCTS = 999_999  # the slug has six digits
POOL_PER_LEAF = 3
IMAGE_SIZE = (800, 800)
FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX_SIMPLIFIED = 2  # the .ttc holds JP, KR, SC, TC, HK faces in that order
STAFF_GROUP = "店员 Staff"
STAFF_APPS = ("catalog", "stores", "orders", "marketing")
# Store people get their role's group (stores.roles) in _seed_commerce, not the head-office group.
STORE_LOGINS = {"staff@example.com": "manager", "clerk@example.com": "clerk"}
LOGINS = (
    # email, password, is_superuser, is_staff, role
    ("admin@example.com", "admin12345", True, True, "超级管理员 admin"),
    ("staff@example.com", "staff12345", False, True, "店长 store manager (上海徐汇店)"),
    ("clerk@example.com", "clerk12345", False, True, "店员 store clerk (上海徐汇店)"),
    ("shopper@example.com", "shopper12345", False, False, "顾客 shopper"),
)
# A handful of products with special states, chosen by index so a run that
# tops up an earlier one keeps them where they were.
FEATURED_EVERY, FEATURED_UNTIL = 27, 300  # indices 1, 28, 55 … 298: twelve products
SCHEDULED = frozenset({13, 40, 67})
UNPUBLISHED = frozenset({20})


@dataclass
class Reference:
    """Ids of the reference rows the product batches point at."""

    leaves: list[tuple[demo_data.TopCategory, demo_data.Leaf, Category]]
    brands_by_top: dict[str, list[Brand]]
    tags: dict[str, int]
    attributes: dict[str, Attribute]
    attribute_options: dict[tuple[str, str], int]  # (attribute code, value) -> option id
    option_values: dict[tuple[str, str], int]  # (option name, value) -> option value id
    stores: list[Store]
    pool: dict[str, list[str]]  # leaf slug -> stored image names


@dataclass
class ProductPlan:
    """One product and the rows that hang off it, before any of them has an id."""

    index: int
    rng: random.Random
    leaf_category: Category
    product: Product
    created_at: datetime
    variants: list[Variant] = field(default_factory=list)
    variant_option_values: list[list[int]] = field(default_factory=list)
    attribute_values: list[ProductAttributeValue] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    image_names: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = "Fill the database with a demo chain shop (categories, products, stock, stores, logins). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--products", type=int, default=320, help="Total number of demo products wanted (default 320)."
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Products written per transaction.")
        parser.add_argument("--members", type=int, default=40, help="Demo members with points and stored value (default 40).")
        parser.add_argument("--orders", type=int, default=240, help="Demo orders in every state (default 240).")

    def handle(self, *args, **options):
        target = options["products"]
        if not 0 <= target <= MAX_PRODUCTS:
            raise CommandError(f"--products must be between 0 and {MAX_PRODUCTS}")
        batch_size = max(1, options["batch_size"])
        started = time.monotonic()
        self.timings: Counter[str] = Counter()  # seconds per step, shown with -v 2
        self.thumbnails: dict[str, tuple[str, str]] = {}  # pool file -> (card, detail) thumbnail names
        self.thumbnails_made = 0

        with transaction.atomic():
            leaves = self._seed_categories()
            brands_by_top = self._seed_brands()
            tags = self._seed_tags()
            attributes, attribute_options = self._seed_attributes()
            option_values = self._seed_options()
            stores = self._seed_stores()
            self._seed_users()
            self._seed_announcements()
            self._seed_commerce(stores)
        with self._timed("draw image pool"):
            pool = self._seed_image_pool(leaves)
        reference = Reference(
            leaves=leaves,
            brands_by_top=brands_by_top,
            tags=tags,
            attributes=attributes,
            attribute_options=attribute_options,
            option_values=option_values,
            stores=stores,
            pool=pool,
        )
        created = self._seed_products(
            reference, target=target, batch_size=batch_size, show_progress=options["verbosity"] > 0
        )
        with self._timed("thumbnails"):
            self._sweep_thumbnails(pool)
        with self._timed("members and orders"):
            demo_activity.seed_member_programme(members=max(0, options["members"]))
            demo_activity.seed_promotions()  # before the orders, so demo orders carry the banners' promotions
            orders_added = demo_activity.seed_orders(wanted=max(0, options["orders"]))
        if options["verbosity"] > 0 and orders_added:
            self.stdout.write(f"演示订单 Demo orders added: {orders_added}")
        if options["verbosity"] > 0:
            self._print_summary(
                created=created, thumbnails_made=self.thumbnails_made, seconds=time.monotonic() - started
            )
        if options["verbosity"] > 1:
            self.stdout.write("耗时 Seconds per step:")
            for step, seconds in self.timings.most_common():
                self.stdout.write(f"  {step}: {seconds:.1f}s")

    @contextmanager
    def _timed(self, step: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[step] += time.monotonic() - started

    # --- Reference data -----------------------------------------------------

    def _seed_categories(self) -> list[tuple[demo_data.TopCategory, demo_data.Leaf, Category]]:
        def ensure(*, name: str, slug: str, parent: Category | None, position: int, icon: str = "") -> Category:
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                category = save_category(
                    category=Category(name=name, slug=slug, parent=parent, position=position, icon=icon)
                )
            return category

        leaves = []
        for top_position, top in enumerate(demo_data.CATEGORY_TREE, start=1):
            top_category = ensure(name=top.name, slug=top.slug, parent=None, position=top_position, icon=top.icon)
            for middle_position, (middle_name, middle_slug, children) in enumerate(top.children, start=1):
                middle = ensure(name=middle_name, slug=middle_slug, parent=top_category, position=middle_position)
                for leaf_position, leaf in enumerate(children, start=1):
                    leaf_category = ensure(name=leaf.name, slug=leaf.slug, parent=middle, position=leaf_position)
                    leaves.append((top, leaf, leaf_category))
        return leaves

    def _seed_brands(self) -> dict[str, list[Brand]]:
        by_top: dict[str, list[Brand]] = {}
        for name, slug, tops, description in demo_data.BRANDS:
            brand, _ = Brand.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
            for top in tops:
                by_top.setdefault(top, []).append(brand)
        return by_top

    def _seed_tags(self) -> dict[str, int]:
        tags = {}
        for name, slug in demo_data.TAGS:
            tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
            tags[name] = tag.pk
        return tags

    def _seed_attributes(self) -> tuple[dict[str, Attribute], dict[tuple[str, str], int]]:
        attributes, options = {}, {}
        for code, (name, kind, unit, choices, position) in demo_data.ATTRIBUTES.items():
            attribute, _ = Attribute.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "unit": unit, "position": position}
            )
            attributes[code] = attribute
            for option_position, (value, slug) in enumerate((choices or {}).items(), start=1):
                option, _ = AttributeOption.objects.get_or_create(
                    attribute=attribute, slug=slug, defaults={"value": value, "position": option_position}
                )
                options[(code, value)] = option.pk
        # Filters sit on the top-level categories; the storefront offers them in every subcategory.
        for top in demo_data.CATEGORY_TREE:
            Category.objects.get(slug=top.slug).filter_attributes.add(
                *(attributes[code] for code in top.attributes if attributes[code].is_filterable)
            )
        return attributes, options

    def _seed_options(self) -> dict[tuple[str, str], int]:
        values_by_option: dict[str, list[str]] = {"规格": [], "颜色": list(demo_data.COLOURS), "尺码": []}
        for packs in demo_data.PACKS.values():
            values_by_option["规格"].extend(label for label, *_ in packs)
        for _weight, second, seconds in demo_data.OPTION_KINDS.values():
            if second:
                values_by_option[second].extend(seconds)
        ids = {}
        for name, position in demo_data.OPTIONS:
            option, _ = Option.objects.get_or_create(name=name, defaults={"position": position})
            for value_position, value in enumerate(dict.fromkeys(values_by_option[name]), start=1):
                option_value, _ = OptionValue.objects.get_or_create(
                    option=option, value=value, defaults={"position": value_position}
                )
                ids[(name, value)] = option_value.pk
        return ids

    def _seed_stores(self) -> list[Store]:
        stores = []
        for code, name, kind, region, address, phone, hours, pickup, priority in demo_data.STORES:
            store, _ = Store.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "region": region,
                    "address": address,
                    "phone": phone,
                    "opening_hours": hours,
                    "is_pickup_enabled": pickup,
                    "priority": priority,
                },
            )
            stores.append(store)
        return stores

    def _seed_users(self) -> None:
        User = get_user_model()
        group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label__in=STAFF_APPS).filter(
                Q(codename__startswith="view_") | Q(codename__startswith="add_") | Q(codename__startswith="change_")
            )
        )
        for email, password, is_superuser, is_staff, _role in LOGINS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                username = email.split("@")[0]
                if User.objects.filter(username=username).exists():
                    username += "-demo"  # someone's own "admin" account keeps its password
                user = User(username=username, email=email)
            user.is_superuser = is_superuser
            user.is_staff = is_staff
            user.is_active = True
            user.set_password(password)  # re-set on every run so the printed logins always work
            user.save()
            if is_staff and not is_superuser and email not in STORE_LOGINS:
                user.groups.add(group)
            EmailAddress.objects.filter(user=user, primary=True).exclude(email__iexact=email).update(primary=False)
            address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
            if address is None:
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            elif not (address.verified and address.primary):
                address.verified = address.primary = True
                address.save(update_fields=["verified", "primary"])

    def _seed_commerce(self, stores: list[Store]) -> None:
        """Shipping methods, the staff user as a store manager, the demo shopper's address."""
        for position, (code, name, base_fee, extra_kg, free_over, provinces, days_min, days_max) in enumerate(
            demo_data.SHIPPING_METHODS
        ):
            method, created = ShippingMethod.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "base_fee": Decimal(base_fee),
                    "fee_per_extra_kg": Decimal(extra_kg),
                    "free_over": Decimal(free_over) if free_over else None,
                    "provinces": provinces,
                    "delivery_days_min": days_min,
                    "delivery_days_max": days_max,
                    "position": position,
                },
            )
            if not created and (method.delivery_days_min, method.delivery_days_max) == (1, 3):
                # A demo database seeded before methods had delivery days still holds the column defaults.
                ShippingMethod.objects.filter(pk=method.pk).update(delivery_days_min=days_min, delivery_days_max=days_max)
        User = get_user_model()
        first_store = next((store for store in stores if store.kind == Store.Kind.STORE), None)
        ensure_role_groups()
        for email, role in STORE_LOGINS.items():
            person = User.objects.filter(email__iexact=email).first()
            if person and first_store:
                # A store person left in the head-office group by an older seed would keep catalogue edits.
                person.groups.remove(*Group.objects.filter(name=STAFF_GROUP))
                assign_store_role(user=person, store=first_store, role=role)
        shopper = User.objects.filter(email__iexact="shopper@example.com").first()
        if shopper and not Address.objects.filter(user=shopper).exists():
            save_address(address=Address(user=shopper, **demo_data.SHOPPER_ADDRESS))

    def _seed_announcements(self) -> None:
        for position, (text, link) in enumerate(demo_data.ANNOUNCEMENTS, start=1):
            Announcement.objects.get_or_create(text=text, defaults={"link": link, "position": position})

    # --- Images -------------------------------------------------------------

    def _seed_image_pool(self, leaves) -> dict[str, list[str]]:
        """Draw a few placeholder photos per leaf category, once; many products share each file."""
        font = _load_font(64)
        pool = {}
        for top, leaf, _category in leaves:
            names = []
            for number in range(1, POOL_PER_LEAF + 1):
                name = f"products/demo/{leaf.slug}-{number}.jpg"
                if not default_storage.exists(name):
                    name = default_storage.save(name, ContentFile(_render_placeholder(top, leaf, number, font)))
                names.append(name)
            pool[leaf.slug] = names
        return pool

    def _known_thumbnails(self, names: list[str]) -> dict[str, tuple[str, str]]:
        """Thumbnails already made for these pool files, so new rows can point at them when inserted."""
        rows = (
            ProductImage.objects.filter(image__in=names)
            .exclude(card_thumbnail="")
            .exclude(detail_thumbnail="")
            .order_by()
            .values_list("image", "card_thumbnail", "detail_thumbnail")
            .distinct()
        )
        return {image: (card, detail) for image, card, detail in rows}

    def _fill_thumbnails(self, names: set[str]) -> None:
        """Make thumbnails once per pool file, then point its other rows at them with one UPDATE."""
        for name in sorted(names):
            if name not in self.thumbnails:
                first = (
                    ProductImage.objects.filter(image=name, card_thumbnail="")
                    .order_by("pk")
                    .values_list("pk", flat=True)
                    .first()
                )
                if first is None:
                    continue
                self.thumbnails_made += make_thumbnails(image_id=first)
                self.thumbnails[name] = (
                    ProductImage.objects.filter(pk=first).values_list("card_thumbnail", "detail_thumbnail").get()
                )
            card, detail = self.thumbnails[name]
            ProductImage.objects.filter(image=name).filter(Q(card_thumbnail="") | Q(detail_thumbnail="")).update(
                card_thumbnail=card, detail_thumbnail=detail
            )

    @transaction.atomic  # one commit, not two per file (SQLite syncs the disk on each)
    def _sweep_thumbnails(self, pool: dict[str, list[str]]) -> None:
        """Catch pool rows still without thumbnails, say from a run stopped half-way."""
        names = [name for names in pool.values() for name in names]
        missing = set(
            ProductImage.objects.filter(image__in=names)
            .filter(Q(card_thumbnail="") | Q(detail_thumbnail=""))
            .order_by()
            .values_list("image", flat=True)
            .distinct()
        )
        if missing:
            self.thumbnails.update(self._known_thumbnails(sorted(missing)))
            self._fill_thumbnails(missing)

    # --- Products -----------------------------------------------------------

    def _seed_products(self, reference: Reference, *, target: int, batch_size: int, show_progress: bool) -> int:
        demo = Product.objects.filter(slug__regex=DEMO_SLUG_REGEX)
        existing = demo.count()
        missing = target - existing
        if missing <= 0:
            return 0
        last_slug = demo.order_by("-slug").values_list("slug", flat=True).first()
        first_index = int(last_slug[2:]) + 1 if last_slug else 1
        if first_index + missing - 1 > MAX_PRODUCTS:
            raise CommandError("demo product numbers would run past p-999999")

        # Related products are picked among the same leaf category (or its
        # parent when the leaf is still thin), from earlier runs too.
        by_leaf: dict[int, list[int]] = {}
        by_parent: dict[int, list[int]] = {}
        parent_of = {category.pk: category.parent_id for _top, _leaf, category in reference.leaves}
        for pk, category_id in demo.values_list("pk", "category_id"):
            by_leaf.setdefault(category_id, []).append(pk)
            if category_id in parent_of:
                by_parent.setdefault(parent_of[category_id], []).append(pk)

        self.thumbnails.update(self._known_thumbnails([name for names in reference.pool.values() for name in names]))
        now = timezone.now()
        with tqdm(total=missing, unit="件", desc="商品 products", disable=not show_progress) as progress:
            for start in range(first_index, first_index + missing, batch_size):
                stop = min(start + batch_size, first_index + missing)
                with self._timed("plan products in Python"):
                    plans = [_plan_product(index, reference, now) for index in range(start, stop)]
                with transaction.atomic():
                    self._write_batch(plans, reference, by_leaf, by_parent, parent_of)
                reset_queries()  # with DEBUG on, Django keeps the last 9,000 (huge) INSERTs in memory
                progress.update(len(plans))
        return missing

    def _write_batch(self, plans: list[ProductPlan], reference: Reference, by_leaf, by_parent, parent_of) -> None:
        with self._timed("bulk inserts"):
            products, variants = self._insert_rows(plans, reference, by_leaf, by_parent, parent_of)
        # auto_now_add stamped every row with now; spread them over the last 90 days.
        with self._timed("created_at bulk_update"):
            for plan in plans:
                plan.product.created_at = plan.created_at
            Product.objects.bulk_update(products, ["created_at"], batch_size=500)
        # Stock flags first: the summary reads the variants' flags when it sets the product's.
        with self._timed("refresh_product_stock_flags"):
            refresh_product_stock_flags(variant_ids=[variant.pk for variant in variants])
        with self._timed("refresh_product_summary"):
            refresh_product_summary(product_ids=[product.pk for product in products])
        with self._timed("thumbnails"):
            self._fill_thumbnails({name for plan in plans for name in plan.image_names} - set(self.thumbnails))

    def _insert_rows(self, plans: list[ProductPlan], reference: Reference, by_leaf, by_parent, parent_of):
        products = Product.objects.bulk_create([plan.product for plan in plans], batch_size=1000)
        for plan in plans:
            for variant in plan.variants:
                variant.product_id = plan.product.pk
            for value in plan.attribute_values:
                value.product_id = plan.product.pk
            leaf_id = plan.leaf_category.pk
            by_leaf.setdefault(leaf_id, []).append(plan.product.pk)
            by_parent.setdefault(parent_of[leaf_id], []).append(plan.product.pk)

        variants = Variant.objects.bulk_create([v for plan in plans for v in plan.variants], batch_size=2000)
        VariantOptionValue = Variant.option_values.through
        VariantOptionValue.objects.bulk_create(
            [
                VariantOptionValue(variant_id=variant.pk, optionvalue_id=value_id)
                for plan in plans
                for variant, value_ids in zip(plan.variants, plan.variant_option_values, strict=True)
                for value_id in value_ids
            ],
            batch_size=5000,
        )
        ProductAttributeValue.objects.bulk_create(
            [value for plan in plans for value in plan.attribute_values], batch_size=5000
        )
        ProductTag = Product.tags.through
        ProductTag.objects.bulk_create(
            [ProductTag(product_id=plan.product.pk, tag_id=tag_id) for plan in plans for tag_id in plan.tag_ids],
            batch_size=5000,
        )
        Related = Product.related_products.through
        related_rows = []
        for plan in plans:
            own = plan.product.pk
            wanted = plan.rng.randint(2, 4)
            same_leaf = by_leaf[plan.leaf_category.pk]
            if len(same_leaf) > wanted:
                # Sampling one extra and dropping the product itself keeps this O(wanted) on big leaves.
                picks = [pk for pk in plan.rng.sample(same_leaf, wanted + 1) if pk != own][:wanted]
            else:
                siblings = set(by_parent[parent_of[plan.leaf_category.pk]]) - set(same_leaf)
                candidates = [pk for pk in same_leaf if pk != own] + sorted(siblings)
                picks = plan.rng.sample(candidates, min(wanted, len(candidates)))
            related_rows.extend(Related(from_product_id=own, to_product_id=pk) for pk in picks)
        Related.objects.bulk_create(related_rows, batch_size=5000)
        no_thumbnails = ("", "")  # made after this insert, once per pool file; see _fill_thumbnails
        ProductImage.objects.bulk_create(
            [
                ProductImage(
                    product_id=plan.product.pk,
                    image=name,
                    card_thumbnail=self.thumbnails.get(name, no_thumbnails)[0],
                    detail_thumbnail=self.thumbnails.get(name, no_thumbnails)[1],
                    alt_text=plan.product.name[:200],
                    position=position,
                )
                for plan in plans
                for position, name in enumerate(plan.image_names)
            ],
            batch_size=5000,
        )
        stock_rows = []
        for plan in plans:
            sold_out = plan.rng.random() < 0.05
            for variant in plan.variants:
                for store in reference.stores:
                    stock_rows.append(
                        Stock(store_id=store.pk, variant_id=variant.pk, on_hand=_opening_stock(plan.rng, store, sold_out))
                    )
        Stock.objects.bulk_create(stock_rows, batch_size=5000)
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_id=stock.pk,
                    reason=StockMovement.Reason.RECEIPT,
                    on_hand_change=stock.on_hand,
                    reference="seed_demo",
                    note="期初入库",
                )
                for stock in stock_rows
                if stock.on_hand  # a receipt of nothing is no receipt
            ],
            batch_size=5000,
        )
        return products, variants

    # --- Output -------------------------------------------------------------

    def _print_summary(self, *, created: int, thumbnails_made: int, seconds: float) -> None:
        demo = Product.objects.filter(slug__regex=DEMO_SLUG_REGEX)
        lines = [
            self.style.SUCCESS(f"演示数据已就绪 Demo data ready in {seconds:.1f}s"),
            f"  类目 categories: {Category.objects.count()}",
            f"  品牌 brands: {Brand.objects.count()}",
            f"  商品 demo products: {demo.count()} ({created} new)",
            f"  规格 variants: {Variant.objects.filter(product__in=demo).count()}",
            f"  库存行 stock rows: {Stock.objects.count()}",
            f"  图片 images: {ProductImage.objects.count()} ({thumbnails_made} thumbnail sets made)",
            f"  门店 stores: {', '.join(Store.objects.order_by('priority').values_list('name', flat=True))}",
            "",
            f"后台 Admin: http://{settings.SHOP_DOMAIN}/admin/",
        ]
        lines += [f"  {role}: {email} / {password}" for email, password, _su, _staff, role in LOGINS]
        self.stdout.write("\n".join(lines))


def _plan_product(index: int, reference: Reference, now: datetime) -> ProductPlan:
    """Decide everything about demo product ``index`` from its own seeded generator."""
    rng = random.Random(SEED * 1_000_003 + index)  # the same product whether made in one run or several
    top, leaf, leaf_category = reference.leaves[rng.randrange(len(reference.leaves))]
    brand = rng.choice(reference.brands_by_top[top.slug])
    noun_zh, noun_en = rng.choice(leaf.nouns)
    desc_zh, desc_en = rng.choice(leaf.descriptors or top.descriptors)
    origin = rng.choice(top.origins)

    variants, option_value_ids, contents, pack_labels = _plan_variants(rng, leaf, reference)
    name = f"{brand.name} {desc_zh}{noun_zh}"
    if len(variants) == 1 and pack_labels[0]:
        name += f" {pack_labels[0]}"  # "青禾农场 有机红富士苹果 5斤装"
    summary = rng.choice(top.summaries)
    english = f"{desc_en} {noun_en}"
    roll = rng.random()
    if roll < 1 / 6:
        name += f" {english}"
    elif roll < 1 / 3:
        summary += f" · {english}"
    words = {"origin": origin, "noun": noun_zh, "brand": brand.name, "desc": desc_zh}
    sentences = [top.sentences[0]] + rng.sample(top.sentences[1:], rng.randint(1, 2))
    description = "".join(sentence.format(**words) for sentence in sentences)

    available_from = None
    if index in SCHEDULED:
        available_from = now + timedelta(days=3 + index % 7, hours=10)
    created_at = now - timedelta(seconds=rng.randint(0, 90 * 86400))
    product = Product(
        name=name,
        slug=f"p-{index:06d}",
        category_id=leaf_category.pk,
        brand_id=brand.pk,
        summary=summary[:200],
        description=description,
        is_published=index not in UNPUBLISHED,
        is_featured=index % FEATURED_EVERY == 1 and index <= FEATURED_UNTIL,
        available_from=available_from,
    )
    plan = ProductPlan(
        index=index,
        rng=rng,
        leaf_category=leaf_category,
        product=product,
        created_at=created_at,
        variants=variants,
        variant_option_values=option_value_ids,
    )
    for number, variant in enumerate(variants, start=1):
        variant.sku = f"SKU-{index:06d}-{number}"

    organic = desc_zh == "有机" or rng.randrange(100) < top.organic_share
    for code in top.attributes:
        attribute = reference.attributes[code]
        value = ProductAttributeValue(attribute_id=attribute.pk)
        if code == "origin":
            value.option_id = reference.attribute_options[(code, origin)]
        elif code == "organic":
            value.value_boolean = organic
        elif code in ("net-weight", "volume"):
            if not contents[0]:
                continue
            value.value_number = Decimal(contents[0])
        elif code == "shelf-life":
            value.value_number = Decimal(rng.randint(*top.shelf_life))
        elif code == "material":
            value.option_id = reference.attribute_options[(code, rng.choice(leaf.materials or ("纯棉",)))]
        elif code == "audience":
            value.option_id = reference.attribute_options[(code, rng.choice(leaf.audience or ("通用",)))]
        elif code == "flavour":
            value.option_id = reference.attribute_options[(code, rng.choice(list(demo_data.FLAVOURS)))]
        elif code == "scent":
            value.option_id = reference.attribute_options[(code, rng.choice(list(demo_data.SCENTS)))]
        plan.attribute_values.append(value)

    tags = set()
    if organic:
        tags.add("有机")
    if origin == "进口":
        tags.add("进口")
    if created_at > now - timedelta(days=14):
        tags.add("新品")
    for tag, percent in (("热卖", 12), ("限量", 3), ("会员专享", 6), ("门店同款", 10)):
        if rng.randrange(100) < percent:
            tags.add(tag)
    if top.slug == "fresh" and rng.randrange(100) < 25:
        tags.add("产地直采")
    plan.tag_ids = sorted(reference.tags[tag] for tag in tags)

    pool = reference.pool[leaf.slug]
    plan.image_names = rng.sample(pool, rng.randint(1, min(3, len(pool))))
    return plan


def _plan_variants(rng: random.Random, leaf: demo_data.Leaf, reference: Reference):
    """1–4 variants: consecutive pack sizes, or colours (× sizes) at one price."""
    base_yuan = rng.randint(*leaf.price)
    discounted = rng.random() < 0.3
    picks: list[tuple[list[tuple[str, str]], int, str, int]] = []  # option values, weight, multiplier, content
    if leaf.packs in demo_data.PACKS:
        packs = demo_data.PACKS[leaf.packs]
        count = rng.randint(1, min(4, len(packs)))
        first = rng.randint(0, len(packs) - count)
        for label, content, weight, multiplier in packs[first : first + count]:
            picks.append(([("规格", label)], weight, multiplier, content))
    else:
        weight, second, seconds = demo_data.OPTION_KINDS[leaf.packs]
        count = rng.randint(1, 4)
        if second is None:
            for colour in rng.sample(demo_data.COLOURS, count):
                picks.append(([("颜色", colour)], weight, "1", 0))
        else:
            colours = rng.sample(demo_data.COLOURS, 1 if count < 2 else rng.randint(1, 2))
            per_colour = min(len(seconds), math.ceil(count / len(colours)))
            first = rng.randint(0, len(seconds) - per_colour)
            sizes = seconds[first : first + per_colour]
            combos = [(colour, size) for colour in colours for size in sizes][:count]
            for colour, size in combos:
                # The bigger bed costs a little more; clothes cost the same in every size.
                multiplier = "1.2" if second == "规格" and size == seconds[-1] else "1"
                picks.append(([("颜色", colour), (second, size)], weight, multiplier, 0))

    variants, option_value_ids, contents, pack_labels = [], [], [], []
    for position, (values, weight, multiplier, content) in enumerate(picks):
        whole_yuan = int(Decimal(base_yuan) * Decimal(multiplier))
        price = Decimal(max(whole_yuan, 2) - 1) + Decimal(rng.choice(("0.90", "0.80", "0.50", "0.99", "0.00")))
        compare_at = None
        if discounted:
            markup = Decimal(rng.choice(("1.15", "1.2", "1.3", "1.5")))
            compare_at = to_money((price * markup).quantize(Decimal("1"), rounding=ROUND_UP))
        variants.append(
            Variant(price=to_money(price), compare_at_price=compare_at, weight_grams=weight, position=position)
        )
        option_value_ids.append([reference.option_values[pair] for pair in values])
        contents.append(content)
        pack_labels.append(values[0][1] if values[0][0] == "规格" else "")
    return variants, option_value_ids, contents, pack_labels


def _opening_stock(rng: random.Random, store: Store, sold_out: bool) -> int:
    if sold_out:
        return 0
    if store.kind == Store.Kind.WAREHOUSE:
        return rng.randint(20, 400)  # the warehouse always has some, so only sold-out products show as such
    roll = rng.random()
    if roll < 0.12:
        return 0
    if roll < 0.25:
        return rng.randint(1, 5)  # at or under the low-stock threshold
    return rng.randint(6, 120)


def _load_font(size: int):
    if not FONT_PATH.exists():
        return None
    try:
        return ImageFont.truetype(str(FONT_PATH), size, index=FONT_INDEX_SIMPLIFIED)
    except OSError:
        return ImageFont.truetype(str(FONT_PATH), size)


def _render_placeholder(top: demo_data.TopCategory, leaf: demo_data.Leaf, number: int, font) -> bytes:
    """A gradient in the top category's colours with a soft shape and the leaf's name."""
    shape_rng = random.Random(f"{SEED}-{leaf.slug}-{number}")
    start, end = top.colours if number % 2 else top.colours[::-1]
    mask = Image.linear_gradient("L").resize(IMAGE_SIZE)
    if number == 2:
        mask = mask.transpose(Image.Transpose.ROTATE_90)
    image = Image.composite(Image.new("RGB", IMAGE_SIZE, end), Image.new("RGB", IMAGE_SIZE, start), mask)

    overlay = Image.new("RGBA", IMAGE_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    centre_x, centre_y = shape_rng.randint(280, 520), shape_rng.randint(250, 380)
    radius = shape_rng.randint(150, 210)
    box = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
    if number == 1:
        draw.ellipse(box, fill=(255, 255, 255, 120))
    elif number == 2:
        draw.rounded_rectangle(box, radius=48, fill=(255, 255, 255, 110))
    else:
        draw.polygon(
            [(centre_x, centre_y - radius), (centre_x + radius, centre_y + radius), (centre_x - radius, centre_y + radius)],
            fill=(255, 255, 255, 110),
        )
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    if font is not None:
        text = ImageDraw.Draw(image)
        text.text((402, 652), leaf.name, font=font, anchor="mm", fill=(80, 80, 80))
        text.text((400, 650), leaf.name, font=font, anchor="mm", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
