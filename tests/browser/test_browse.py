"""A shopper browses the shop on a phone: categories, filters, variants, search, language, 404.

Selectors go by role, href, CSS class or form field name rather than by the
interface's wording, which translators change; visible text is only matched
for the data these tests create.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Option, OptionValue
from catalog.services import refresh_product_summary
from tests.browser.steps import fits_the_screen, hold_requests, let_go, wait_until_held
from tests.factories import BrandFactory, CategoryFactory, ProductFactory, ProductImageFactory, VariantFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def fruit_shelf(live_server):
    """A top-level "fruit" category with a subcategory, two brands, and an unrelated category.

    Filtering the fruit by the 红星农场 brand, in stock, up to ¥50 leaves only the
    Fuji apples: the gift box is too dear, the bananas are another brand and
    the cherries are sold out.
    """
    fruit = CategoryFactory(name="水果生鲜", slug="fruit", icon="🍎", position=1)
    tropical = CategoryFactory(name="热带水果", slug="tropical", parent=fruit)
    household = CategoryFactory(name="日用百货", slug="household", icon="🧻", position=2)
    farm = BrandFactory(name="红星农场", slug="hongxing")
    meadow = BrandFactory(name="绿野", slug="lvye")

    apples = ProductFactory(
        name="烟台红富士苹果", slug="fuji-apples", category=fruit, brand=farm, price=Decimal("29.90")
    )
    # The factory's own variant becomes the 1 kg bag; a 2.5 kg box is added.
    weight = Option.objects.create(name="重量")
    one_kg = OptionValue.objects.create(option=weight, value="1kg", position=1)
    big_box = OptionValue.objects.create(option=weight, value="2.5kg", position=2)
    small = apples.variants.get()
    small.sku = "APL-1KG"
    small.save()
    small.option_values.add(one_kg)
    large = VariantFactory(product=apples, sku="APL-25KG", price=Decimal("59.90"), position=1)
    large.option_values.add(big_box)
    refresh_product_summary(product_ids=[apples.pk])
    ProductImageFactory(product=apples, alt_text="一袋红富士苹果")

    ProductFactory(name="新疆阿克苏苹果礼盒", slug="aksu-gift-box", category=fruit, brand=farm, price=Decimal("168.00"))
    ProductFactory(name="海南香蕉", slug="bananas", category=tropical, brand=meadow, price=Decimal("19.90"))
    ProductFactory(
        name="智利车厘子", slug="cherries", category=fruit, brand=farm, price=Decimal("39.90"), is_in_stock=False
    )
    ProductFactory(name="竹纤维抽纸", slug="tissues", category=household, brand=meadow, price=Decimal("24.90"))
    return fruit


def test_a_shopper_finds_filters_picks_a_variant_and_searches_on_a_phone(
    page, fruit_shelf, broken_responses, screenshot
):
    page.goto("/")
    screenshot("home")
    assert fits_the_screen(page)

    page.locator(".category-entries").get_by_role("link", name="水果生鲜").tap()

    expect(page).to_have_url(re.compile(r"/c/fruit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("水果生鲜")
    cards = page.locator(".product-grid .product-card")
    # The top-level category lists its subcategory's products too, and nothing else.
    expect(cards).to_have_count(4)
    expect(cards.filter(has_text="海南香蕉")).to_have_count(1)
    expect(cards.filter(has_text="竹纤维抽纸")).to_have_count(0)
    screenshot("category")
    assert fits_the_screen(page)

    filters = page.locator("details.filters")
    filters.locator("summary").tap()
    expect(filters).to_have_attribute("open", "")
    filters.locator('input[name="brand"][value="hongxing"]').check()
    filters.locator('input[name="in_stock"]').check()
    filters.locator('input[name="price_max"]').fill("50")
    screenshot("filters-filled")
    assert fits_the_screen(page)
    filters.locator('.filter-form button[type="submit"]').tap()

    expect(page).to_have_url(re.compile(r"[?&]price_max=50(&|$)"))
    expect(cards).to_have_count(1)
    expect(cards.filter(has_text="烟台红富士苹果")).to_have_count(1)
    expect(cards.filter(has_text="新疆阿克苏苹果礼盒")).to_have_count(0)
    expect(cards.filter(has_text="海南香蕉")).to_have_count(0)
    expect(cards.filter(has_text="智利车厘子")).to_have_count(0)
    # The drawer comes back closed (issue 13), the three active filters counted, shown as chips and still set.
    expect(filters).to_have_js_property("open", False)
    expect(filters.locator("summary .badge-count")).to_have_text("3")
    expect(page.locator(".active-filters li a:not(.clear)")).to_have_count(3)
    expect(filters.locator('input[name="in_stock"]')).to_be_checked()
    expect(filters.locator('input[name="price_max"]')).to_have_value("50")
    screenshot("category-filtered")
    assert fits_the_screen(page)

    cards.filter(has_text="烟台红富士苹果").get_by_role("link").tap()

    expect(page).to_have_url(re.compile(r"/p/fuji-apples/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("烟台红富士苹果")
    price = page.locator(".buy-box .price.big")
    sku = page.locator(".buy-box .sku")
    current = page.locator('.option-values a[aria-current="true"]')
    expect(price).to_contain_text("¥29.90")
    expect(sku).to_contain_text("APL-1KG")
    expect(current).to_have_text("1kg")
    expect(page.locator(".gallery img").first).not_to_have_js_property("naturalWidth", 0)  # it loaded
    screenshot("product")
    assert fits_the_screen(page)

    page.locator(".option-values").get_by_role("link", name="2.5kg").tap()

    expect(page).to_have_url(re.compile(r"/p/fuji-apples/\?sku=APL-25KG$"))
    expect(price).to_contain_text("¥59.90")
    expect(sku).to_contain_text("APL-25KG")
    expect(current).to_have_count(1)
    expect(current).to_have_text("2.5kg")
    screenshot("product-other-variant")
    assert fits_the_screen(page)

    search = page.locator(".site-header").get_by_role("searchbox")
    search.fill("苹果")
    search.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=%E8%8B%B9%E6%9E%9C$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("苹果")
    expect(cards.filter(has_text="烟台红富士苹果")).to_have_count(1)
    expect(cards.filter(has_text="新疆阿克苏苹果礼盒")).to_have_count(1)
    expect(cards).to_have_count(2)
    expect(search).to_have_value("苹果")
    screenshot("search")
    assert fits_the_screen(page)

    assert broken_responses == []


def test_a_variant_tapped_away_from_does_not_come_back_when_its_answer_is_late(page, fruit_shelf, broken_responses):
    page.goto("/p/fuji-apples/")
    current = page.locator('.option-values a[aria-current="true"]')
    expect(current).to_have_text("1kg")
    # The 2.5 kg page is slow to come; meanwhile the shopper taps back to 1 kg.
    held = hold_requests(page, "**/p/fuji-apples/?sku=APL-25KG", method="GET")
    page.locator(".option-values").get_by_role("link", name="2.5kg").tap()
    wait_until_held(page, held, 1)
    page.locator(".option-values").get_by_role("link", name="1kg").tap()
    expect(page).to_have_url(re.compile(r"/p/fuji-apples/\?sku=APL-1KG$"))
    let_go(held[0])  # the late answer
    page.wait_for_timeout(500)

    expect(current).to_have_text("1kg")
    expect(page.locator(".buy-box .sku")).to_contain_text("APL-1KG")
    expect(page).to_have_url(re.compile(r"/p/fuji-apples/\?sku=APL-1KG$"))
    assert broken_responses == []


def test_the_footer_switches_the_page_to_english_and_back(page, fruit_shelf, screenshot):
    page.goto("/c/fruit/")
    html = page.locator("html")
    switch = page.locator("footer .language-switch")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(switch.locator("strong")).to_have_text("简体中文")
    screenshot("chinese")
    assert fits_the_screen(page)

    switch.get_by_role("link", name="English").tap()

    # Back on the same page, now in English (the language the interface is written in).
    expect(page).to_have_url(re.compile(r"/c/fruit/$"))
    expect(html).to_have_attribute("lang", "en")
    expect(switch.locator("strong")).to_have_text("English")
    expect(page.locator("details.filters summary")).to_contain_text("Filter")
    expect(page.get_by_role("heading", level=1)).to_have_text("水果生鲜")
    screenshot("english")
    assert fits_the_screen(page)

    switch.get_by_role("link", name="繁體中文").tap()

    expect(html).to_have_attribute("lang", "zh-hant")
    expect(switch.locator("strong")).to_have_text("繁體中文")
    screenshot("traditional")
    assert fits_the_screen(page)

    switch.get_by_role("link", name="简体中文").tap()

    expect(page).to_have_url(re.compile(r"/c/fruit/$"))
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(switch.locator("strong")).to_have_text("简体中文")
    expect(switch.get_by_role("link", name="English")).to_be_visible()


def test_an_unknown_product_shows_a_not_found_page_in_the_shops_look(page, live_server, screenshot):
    response = page.goto("/p/no-such-product/")

    assert response.status == 404
    # The shop's own layout and stylesheet, not Django's bare "Not Found".
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(228, 57, 60)")
    expect(page.locator(".site-header").get_by_role("searchbox")).to_be_visible()
    expect(page.locator(".error-page").get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("footer .language-switch")).to_be_visible()
    screenshot("not-found")
    assert fits_the_screen(page)

    page.locator('.error-page a[href="/"]').tap()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(".category-entries")).to_be_attached()
