"""Print, as JSON, the real URLs `bench/run.py` measures, chosen from the seeded database.

Run by run.py as `python bench/pick_urls.py` with the benchmark's environment
(DJANGO_SETTINGS_MODULE=bench.settings). Every choice favours the heavy end:
the top-level category with the most products, the leaf category with the most
products in stock, the product with the most variants and images, and search
words that match many products. Also a spread of in-stock variant ids for the
add-to-cart run (``cart_variants``).
"""

import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402

from catalog.models import Brand, Category, Product, ProductImage, Variant  # noqa: E402
from catalog.search import cjk_bigrams  # noqa: E402

# Words a shopper would type, tried first; otherwise the commonest word in the catalogue.
PREFERRED_CHINESE = ("有机", "新鲜", "精选")
PREFERRED_ENGLISH = ("organic", "fresh", "classic")
SAMPLE_SIZE = 20_000
CART_VARIANTS = 200  # the add-to-cart run rotates over this many SKUs
MIN_SHARE = 0.01  # a preferred word must appear in at least 1% of the sampled products
# The cold rows ask for a different URL on each request, drawn from these many:
COLD_PRODUCTS = 5_000
COLD_SEARCHES = 3_000
COLD_CATEGORY_URLS = 3_000
# Words no product holds: a search that matches nothing must be fast too.
NOTHING_WORDS = ("qzxjv", "zzyzx", "xqwvb", "镭钫", "kjhgq")

_ENGLISH_WORD = re.compile(r"\b[a-z]{4,}\b")


def category_url(category: Category, **params: str) -> str:
    url = f"/c/{quote(category.slug)}/"
    return f"{url}?{urlencode(params)}" if params else url


def top_category() -> tuple[Category, int]:
    """The active top-level category with the most visible products in its subtree."""
    best = None
    for root in Category.objects.filter(parent=None, is_active=True):
        count = (
            Product.objects.visible()
            .filter(category__path__startswith=root.path, category__is_active=True)
            .count()
        )
        if best is None or count > best[1]:
            best = (root, count)
    if best is None:
        raise SystemExit("pick_urls: no active top-level category; did seed_demo run?")
    return best


def leaf_category() -> tuple[Category, int]:
    """The active category without active children that has the most visible products in stock."""
    parents = Category.objects.filter(is_active=True).exclude(parent=None).values("parent_id")
    leaves = Category.objects.filter(is_active=True).exclude(pk__in=parents)
    row = (
        Product.objects.visible()
        .filter(category__in=leaves, is_in_stock=True)
        .values("category_id")
        .annotate(count=Count("id"))
        .order_by("-count", "category_id")
        .first()
    )
    if row is None:
        raise SystemExit("pick_urls: no leaf category has a product in stock; did seed_demo run?")
    return Category.objects.get(pk=row["category_id"]), row["count"]


def rich_product() -> tuple[Product, int, int]:
    """The visible product with the most active variants, then the most images."""

    def count_of(model, **filters):
        rows = (
            model.objects.filter(product=OuterRef("pk"), **filters)
            .order_by()
            .values("product")
            .annotate(count=Count("id"))
            .values("count")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    product = (
        Product.objects.visible()
        .filter(category__is_active=True)
        .annotate(n_variants=count_of(Variant, is_active=True), n_images=count_of(ProductImage))
        .order_by("-n_variants", "-n_images", "id")
        .first()
    )
    if product is None:
        raise SystemExit("pick_urls: no visible product; did seed_demo run?")
    return product, product.n_variants, product.n_images


def common_word(words_of, preferred: tuple[str, ...], texts: list[str]) -> str:
    """A preferred word if it is common enough in ``texts``, else the commonest word there."""
    documents = Counter()
    for text in texts:
        documents.update(set(words_of(text)))
    if not documents:
        raise SystemExit("pick_urls: found no search words in the product names")
    for word in preferred:
        if documents[word] >= MIN_SHARE * len(texts):
            return word
    return documents.most_common(1)[0][0]


def matches(word: str) -> int:
    """Visible products whose search text contains the word (what the search page filters on)."""
    return Product.objects.visible().filter(search_document__contains=word).count()


def cart_variants() -> list[int]:
    """Active, in-stock variants of visible products, spread over the catalogue, for the add-to-cart run."""
    ids = list(
        Variant.objects.filter(is_active=True, is_in_stock=True, product__in=Product.objects.visible())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        raise SystemExit("pick_urls: no variant is on sale and in stock; did seed_demo run?")
    step = max(1, len(ids) // CART_VARIANTS)
    return ids[::step][:CART_VARIANTS]


def cold_products(rng: random.Random) -> list[str]:
    """Product page paths spread over the whole catalogue, in random order."""
    ids = list(Product.objects.visible().filter(category__is_active=True).values_list("id", flat=True))
    chosen = set(rng.sample(ids, min(COLD_PRODUCTS, len(ids))))
    slugs = [slug for pk, slug in Product.objects.filter(pk__in=chosen).values_list("pk", "slug")]
    rng.shuffle(slugs)
    return [f"/p/{quote(slug)}/" for slug in slugs]


def cold_searches(rng: random.Random, names: list[str], documents: list[str]) -> list[str]:
    """Search paths over many words: common ones (tens of thousands of matches), rare ones,
    two-word queries, words that match nothing, with other sorts and later pages now and then."""
    chinese = Counter()
    english = Counter()
    for name, document in zip(names, documents):
        chinese.update(set(cjk_bigrams(name)))
        english.update(set(_ENGLISH_WORD.findall(document)))
    words = [w for w, _n in chinese.most_common(400)] + [w for w, _n in english.most_common(400)]
    if not words:
        raise SystemExit("pick_urls: found no search words in the product names")
    paths = []
    for _ in range(COLD_SEARCHES):
        roll = rng.random()
        if roll < 0.05:
            query = rng.choice(NOTHING_WORDS)
        elif roll < 0.25:
            query = f"{rng.choice(words)} {rng.choice(words)}"
        else:
            query = rng.choice(words)
        params = {"q": query}
        if rng.random() < 0.2:
            params["sort"] = rng.choice(["new", "price", "-price"])
        if rng.random() < 0.2:
            params["page"] = str(rng.randint(2, 5))
        paths.append("/search/?" + urlencode(params))
    return paths


def cold_category_urls(rng: random.Random) -> list[str]:
    """Category pages with filters: any active category, a sort, in stock, a price band, a brand."""
    categories = list(Category.objects.filter(is_active=True))
    brands = list(Brand.objects.values_list("slug", flat=True)[:200])
    paths = []
    for _ in range(COLD_CATEGORY_URLS):
        category = rng.choice(categories)
        params = {"sort": rng.choice(["new", "price", "-price", "name"])}
        if rng.random() < 0.5:
            params["in_stock"] = "on"
        if rng.random() < 0.4:
            low = rng.choice([0, 10, 20, 50, 100])
            params["price_min"] = str(low)
            params["price_max"] = str(low * 3 + rng.choice([20, 50, 200]))
        if brands and rng.random() < 0.3:
            params["brand"] = rng.choice(brands)
        if rng.random() < 0.2:
            params["page"] = str(rng.randint(2, 4))
        paths.append(category_url(category, **params))
    return paths


def main() -> None:
    top, top_count = top_category()
    leaf, leaf_count = leaf_category()
    product, n_variants, n_images = rich_product()
    sample = Product.objects.visible().order_by("id")[:SAMPLE_SIZE]
    names = list(sample.values_list("name", flat=True))
    documents = list(sample.values_list("search_document", flat=True))
    chinese = common_word(cjk_bigrams, PREFERRED_CHINESE, names)
    english = common_word(_ENGLISH_WORD.findall, PREFERRED_ENGLISH, documents)

    pages = [
        {"page": "home", "kind": "catalogue", "url": "/", "note": ""},
        {
            "page": "category (top)",
            "kind": "catalogue",
            "url": category_url(top),
            "note": f"{top.name}: {top_count} products",
        },
        {
            "page": "category (leaf, filtered)",
            "kind": "catalogue",
            "url": category_url(leaf, sort="price", in_stock="on"),
            "note": f"{leaf.name}: {leaf_count} products in stock",
        },
        {
            "page": "product",
            "kind": "catalogue",
            "url": f"/p/{quote(product.slug)}/",
            "note": f"{n_variants} variants, {n_images} images",
        },
        {
            "page": "search (Chinese)",
            "kind": "search",
            "url": "/search/?" + urlencode({"q": chinese}),
            "note": f"q={chinese}: {matches(chinese)} matches",
        },
        {
            "page": "search (English)",
            "kind": "search",
            "url": "/search/?" + urlencode({"q": english}),
            "note": f"q={english}: {matches(english)} matches",
        },
    ]
    rng = random.Random(int(os.environ.get("BENCH_SEED", "9")))
    cold = {
        "product": cold_products(rng),
        "search": cold_searches(rng, names, documents),
        "category": cold_category_urls(rng),
    }
    json.dump(
        {
            "products": Product.objects.visible().count(),
            "pages": pages,
            "cart_variants": cart_variants(),
            "cold": cold,
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()
