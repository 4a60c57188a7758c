import pytest

from catalog.models import Category
from catalog.selectors import category_ancestors, category_tree
from catalog.services import save_category
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_a_new_category_gets_a_path_below_its_parent():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    grandchild = CategoryFactory(parent=child)

    assert grandchild.path == f"{root.pk:06d}/{child.pk:06d}/{grandchild.pk:06d}/"
    assert (root.depth, child.depth, grandchild.depth) == (0, 1, 2)
    assert grandchild.ancestor_ids == [root.pk, child.pk]


def test_moving_a_category_moves_its_whole_subtree():
    first_root, second_root = CategoryFactory(), CategoryFactory()
    middle = CategoryFactory(parent=first_root)
    leaf = CategoryFactory(parent=middle)

    middle.parent = second_root
    save_category(category=middle)

    leaf.refresh_from_db()
    assert leaf.path.startswith(second_root.path)
    assert leaf.ancestor_ids == [second_root.pk, middle.pk]
    assert leaf.depth == 2


def test_moving_a_category_to_the_top_makes_it_a_root():
    root = CategoryFactory()
    middle = CategoryFactory(parent=root)
    leaf = CategoryFactory(parent=middle)

    middle.parent = None
    save_category(category=middle)

    leaf.refresh_from_db()
    assert leaf.ancestor_ids == [middle.pk]
    assert leaf.depth == 1


def test_the_breadcrumb_of_a_deep_category_costs_one_query(django_assert_num_queries):
    node = CategoryFactory()
    for _ in range(6):
        node = CategoryFactory(parent=node)

    with django_assert_num_queries(1):
        crumbs = category_ancestors(node)

    assert len(crumbs) == 7
    assert crumbs[-1] == node


def test_the_tree_hides_inactive_categories_and_everything_below_them(django_assert_num_queries):
    root = CategoryFactory(name="生鲜")
    hidden = CategoryFactory(parent=root, is_active=False)
    CategoryFactory(parent=hidden, name="看不见")
    CategoryFactory(parent=root, name="水果")

    with django_assert_num_queries(1):
        tree = category_tree()

    assert [node.category.name for node in tree] == ["生鲜"]
    assert [child.category.name for child in tree[0].children] == ["水果"]


def test_a_category_cannot_be_put_inside_its_own_subtree():
    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    root.parent = child

    with pytest.raises(Exception) as raised:
        root.full_clean()

    assert "parent" in str(raised.value)
    assert Category.objects.get(pk=root.pk).parent is None
