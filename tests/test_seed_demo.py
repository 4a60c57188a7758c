import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Count, Max, Min

from catalog.models import Category, Product, ProductAttributeValue, ProductImage, Tag, Variant
from marketing.models import Announcement
from stores.models import Stock, StockMovement, Store

pytestmark = pytest.mark.django_db

DEMO_LOGINS = [
    ("admin@example.com", "admin12345"),
    ("staff@example.com", "staff12345"),
    ("clerk@example.com", "clerk12345"),
    ("shopper@example.com", "shopper12345"),
]


def seed(products=60, members=0, orders=0):
    out = io.StringIO()
    call_command("seed_demo", products=products, members=members, orders=orders, stdout=out, verbosity=1)
    return out.getvalue()


@pytest.fixture(scope="module")
def module_media_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("seed-media"))


@pytest.fixture
def media_root(settings, module_media_root):
    # One folder for the module, so the placeholder pool is drawn once rather than once per test.
    settings.MEDIA_ROOT = module_media_root
    return module_media_root


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Category, Product, Variant, Tag, ProductAttributeValue, ProductImage,
            Store, Stock, StockMovement, Announcement, get_user_model(), EmailAddress, Group,
        )
    }


def test_seeding_builds_a_category_tree_three_levels_deep_with_products_only_in_the_leaves(media_root):
    seed()

    assert Category.objects.count() >= 30
    assert Category.objects.aggregate(deepest=Max("depth"))["deepest"] == 2
    top_level = Category.objects.filter(parent=None)
    assert top_level.count() >= 6
    assert all(category.icon for category in top_level)
    assert all(category.filter_attributes.exists() for category in top_level)
    leaf_ids = set(Category.objects.filter(children=None).values_list("pk", flat=True))
    assert set(Product.objects.values_list("category_id", flat=True)) <= leaf_ids


def test_every_demo_product_has_variants_stock_images_and_a_from_price(media_root):
    output = seed()

    assert Product.objects.count() == 60
    assert "admin@example.com" in output
    stores = Store.objects.count()
    assert Store.objects.filter(code="online", kind=Store.Kind.WAREHOUSE, is_pickup_enabled=False).exists()
    assert Store.objects.filter(kind=Store.Kind.STORE, is_pickup_enabled=True).count() >= 2
    for product in Product.objects.annotate(
        variant_count=Count("variants", distinct=True),
        image_count=Count("images", distinct=True),
        cheapest=Min("variants__price"),
    ):
        assert 1 <= product.variant_count <= 4
        assert 1 <= product.image_count <= 3
        assert product.price == product.cheapest
        assert product.name.lower() in product.search_document
        assert product.attribute_values.exists()
    assert Stock.objects.count() == Variant.objects.count() * stores
    assert not ProductImage.objects.filter(card_thumbnail="").exists()
    assert not ProductImage.objects.filter(detail_thumbnail="").exists()
    # Every receipt is in the ledger, and the in-stock flag agrees with the stock rows.
    assert sum(Stock.objects.values_list("on_hand", flat=True)) == sum(
        StockMovement.objects.values_list("on_hand_change", flat=True)
    )
    in_stock = set(Stock.objects.filter(on_hand__gt=0).values_list("variant__product_id", flat=True))
    assert set(Product.objects.filter(is_in_stock=True).values_list("pk", flat=True)) == in_stock
    assert Product.objects.filter(is_featured=True).exists()
    assert Product.objects.filter(is_published=False).count() == 1


def test_the_demo_logins_work_with_verified_email_addresses(media_root):
    seed()

    for email, password in DEMO_LOGINS:
        user = authenticate(request=None, email=email, password=password)
        assert user is not None, email
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).exists()
    admin = get_user_model().objects.get(email="admin@example.com")
    staff = get_user_model().objects.get(email="staff@example.com")
    assert admin.is_superuser and admin.is_staff
    assert staff.is_staff and not staff.is_superuser
    # staff@ is the manager of 上海徐汇店: sees the catalogue, changes no price; clerk@ works the same store.
    assert staff.has_perm("catalog.view_product") and staff.has_perm("stores.view_stock")
    assert not staff.has_perm("catalog.change_product") and not staff.has_perm("catalog.delete_product")
    clerk = get_user_model().objects.get(email="clerk@example.com")
    assert list(staff.store_roles.values_list("store__name", "role")) == [("上海徐汇店", "manager")]
    assert list(clerk.store_roles.values_list("store__name", "role")) == [("上海徐汇店", "clerk")]
    assert clerk.groups.filter(name="Store clerks").exists() and staff.groups.filter(name="Store managers").exists()


def test_running_it_twice_creates_nothing_twice(media_root):
    seed()
    first = counts()

    seed()

    assert counts() == first
    assert authenticate(request=None, email="admin@example.com", password="admin12345") is not None


def test_asking_for_more_products_adds_only_the_missing_ones(media_root):
    seed(products=60)
    slugs = set(Product.objects.values_list("slug", flat=True))

    seed(products=70)

    assert Product.objects.count() == 70
    assert slugs < set(Product.objects.values_list("slug", flat=True))
    assert Variant.objects.values("sku").distinct().count() == Variant.objects.count()


def test_the_demo_has_tiers_members_with_balances_and_orders_in_every_state_across_the_stores(media_root):
    from members.models import MemberProfile, Tier, TopUpBonusRule
    from orders.models import Order, Refund

    seed(products=60, members=6, orders=30)

    assert Tier.objects.count() == 3 and TopUpBonusRule.objects.count() == 3
    members = MemberProfile.objects.filter(user__email__startswith="member")
    assert members.count() == 6
    assert members.filter(points_balance__gt=0).exists() and members.filter(wallet_balance__gt=0).exists()
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses >= {
        "pending_payment", "placed", "paid", "shipped", "ready_for_pickup", "completed", "cancelled", "refunded",
    }
    assert Order.objects.values("store").distinct().count() >= 2
    assert Refund.objects.exists()
    assert Order.objects.filter(placed_at__lt=Order.objects.order_by("-placed_at").first().placed_at).exists()


def test_seeding_the_demo_orders_again_adds_none(media_root):
    from orders.models import Order

    seed(products=60, members=4, orders=20)
    first = Order.objects.count()

    seed(products=60, members=4, orders=20)

    assert Order.objects.count() == first
