"""``{% site_header %}`` and ``{% tab_bar %}``: the header and the bottom tab bar of every storefront page.

Both are on every page, members' and cold ones included, and differ per request (the cart badge, the
search words, the active tab, where a guest's log-in link comes back to), so no cache can hold them.
Drawn by the template engine, node by node (thirteen translations and some forty lookups and
conditions), they cost about a third of a millisecond a page: a tenth of a member's cart page. Drawn
here they cost a few hundredths of that. Inputs come from the page's context: ``NAV`` and ``SHOP_NAME``
(shop.context_processors), ``cart_count`` (orders.context_processors), ``user``, ``request`` and, on the
search page, ``q``. Every value shown is escaped.
"""

from django import template
from django.template.defaultfilters import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from shop.markup import esc

register = template.Library()

ACTIVE = ' class="active" aria-current="page"'

ICONS = {
    "home": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 11 12 4l9 7v9h-6v-6H9v6H3z"/></svg>',
    "categories": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z"/>'
                  '</svg>',
    "search": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M10.5 4a6.5 6.5 0 1 1 0 13 6.5 6.5 0 0 1 0-13zm5 11.5L21'
              ' 21"/></svg>',
    "cart": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 4h2l2.2 10.5h11L21 7H6.2M9 19.5a1 1 0 1 0 0 .01M17 19.5a1'
            ' 1 0 1 0 0 .01"/></svg>',
    "me": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 9c0-4 3.6-6.5 8-6.5s8'
          ' 2.5 8 6.5"/></svg>',
}


def _cart_count(context) -> int:
    count = context.get("cart_count")
    return (count() if callable(count) else count) or 0


def _is_member(context) -> bool:
    user = context.get("user")
    return bool(user is not None and user.is_authenticated)


@register.simple_tag(takes_context=True)
def site_header(context) -> SafeString:
    """The bar on top: logo, search box, cart with its badge, and the account or log-in link."""
    nav, request = context["NAV"], context["request"]
    count = _cart_count(context)
    badge = f' <span class="badge-count">{count}</span>' if count else ""
    if _is_member(context):
        account = f'<a href="{esc(nav["account"])}">{esc(gettext("My account"))}</a>'
    else:
        # A guest comes back to this page after logging in, unless the page is one of allauth's own.
        back = "" if request.path.startswith("/accounts/") else f"?next={urlencode(request.get_full_path())}"
        account = f'<a href="{esc(nav["login"])}{esc(back)}">{esc(gettext("Log in"))}</a>'
    search = esc(gettext("Search products"))
    return mark_safe(
        '<header class="site-header">\n'
        '    <div class="bar">\n'
        f'      <a class="logo" href="{esc(nav["home"])}">{esc(context.get("SHOP_NAME", ""))}</a>\n'
        f'      <form class="search-box" action="{esc(nav["search"])}" method="get" role="search">\n'
        f'        <label class="visually-hidden" for="site-search">{search}</label>\n'
        f'        <input id="site-search" type="search" name="q" value="{esc(context.get("q") or "")}"'
        f' placeholder="{search}" maxlength="100">\n'
        f'        <button type="submit">{esc(gettext("Search"))}</button>\n'
        '      </form>\n'
        f'      <nav class="top-links" aria-label="{esc(gettext("Account"))}">\n'
        f'        <a class="cart-link" href="{esc(nav["cart"])}">{esc(gettext("Cart"))}{badge}</a>\n'
        f'        {account}\n'
        '      </nav>\n'
        '    </div>\n'
        '  </header>'
    )


@register.simple_tag(takes_context=True)
def tab_bar(context) -> SafeString:
    """The phone's bottom bar: 首页, 分类, 搜索, 购物车 (with its badge) and 我的, the current one marked."""
    nav, path = context["NAV"], context["request"].path
    count = _cart_count(context)
    badge = f'<span class="badge-count">{count}</span>' if count else ""
    on_cart = path == nav["cart"]
    cart_class, cart_current = (" active", ' aria-current="page"') if on_cart else ("", "")

    def tab(key: str, label: str, active: bool) -> str:
        return f'<a href="{esc(nav[key])}"{ACTIVE if active else ""}>{ICONS[key]}{esc(label)}</a>'

    if _is_member(context):
        me = f'<a href="{esc(nav["account"])}"{ACTIVE if nav["account"] in path else ""}>'
    else:
        # Guests log in from 我的 and come back to it.
        me = f'<a href="{esc(nav["login"])}?next={esc(urlencode(nav["account"]))}">'
    return mark_safe(
        f'<nav class="tab-bar" aria-label="{esc(gettext("Main"))}">\n'
        f'    {tab("home", gettext("Home"), path == nav["home"])}\n'
        f'    {tab("categories", gettext("Categories"), path == nav["categories"] or path.startswith("/c/"))}\n'
        f'    {tab("search", gettext("Search"), path == nav["search"])}\n'
        f'    <a class="tab-cart{cart_class}" href="{esc(nav["cart"])}"{cart_current}>'
        f'{ICONS["cart"]}{esc(gettext("Cart"))}{badge}</a>\n'
        f'    {me}{ICONS["me"]}{esc(gettext("Me"))}</a>\n'
        '  </nav>'
    )
