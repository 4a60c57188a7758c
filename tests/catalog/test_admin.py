import pytest

from catalog.models import Category, Product
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_bulk_publish_and_unpublish_change_only_the_selected_products(admin_client):
    drafts = [ProductFactory(is_published=False) for _ in range(3)]
    untouched = ProductFactory(is_published=False)

    response = admin_client.post(
        "/admin/catalog/product/",
        {"action": "publish", "_selected_action": [p.pk for p in drafts]},
        follow=True,
    )

    assert response.status_code == 200
    assert Product.objects.filter(is_published=True).count() == 3
    assert not Product.objects.get(pk=untouched.pk).is_published

    admin_client.post("/admin/catalog/product/", {"action": "unpublish", "_selected_action": [drafts[0].pk]})
    assert Product.objects.filter(is_published=True).count() == 2


def test_staff_can_search_products_by_sku_in_the_admin(admin_client):
    wanted = ProductFactory(name="有机燕麦")
    ProductFactory(name="别的")

    response = admin_client.get("/admin/catalog/product/", {"q": wanted.variants.get().sku})

    assert list(response.context["cl"].result_list) == [wanted]


def test_moving_a_category_in_the_admin_moves_its_subtree(admin_client):
    old_root, new_root = CategoryFactory(), CategoryFactory()
    middle = CategoryFactory(parent=old_root)
    leaf = CategoryFactory(parent=middle)

    response = admin_client.post(
        f"/admin/catalog/category/{middle.pk}/change/",
        {"name": middle.name, "slug": middle.slug, "parent": new_root.pk, "position": 0, "is_active": "on"},
    )

    assert response.status_code == 302
    leaf.refresh_from_db()
    assert leaf.ancestor_ids == [new_root.pk, middle.pk]


def test_the_admin_refuses_to_put_a_category_inside_itself(admin_client):
    root = CategoryFactory()
    child = CategoryFactory(parent=root)

    response = admin_client.post(
        f"/admin/catalog/category/{root.pk}/change/",
        {"name": root.name, "slug": root.slug, "parent": child.pk, "position": 0, "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]
    assert Category.objects.get(pk=root.pk).parent is None


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/catalog/product/",
        "/admin/catalog/product/add/",
        "/admin/catalog/category/",
        "/admin/catalog/attribute/add/",
        "/admin/stores/stock/",
        "/admin/stores/stockmovement/",
        "/admin/marketing/announcement/",
    ],
)
def test_admin_pages_open_for_staff(admin_client, url):
    ProductFactory()

    assert admin_client.get(url).status_code == 200


def test_shoppers_cannot_open_the_admin(client, shopper):
    client.force_login(shopper)

    response = client.get("/admin/catalog/product/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
