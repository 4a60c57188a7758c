"""The product page's repeated parts, drawn in Python: its gallery, its option choices, its specifications.

A cold product page spent about half its Python in the template engine, a third of that on these three
loops: every picture, option value and attribute is some ten nodes resolved and escaped one by one (the
selected value, the exact-or-other link, the sold-out mark, the gallery's counter). Drawn here they cost a
small part of that, in the markup catalog/product_detail.html always had. Every value shown is escaped.
"""

from django import template
from django.template.defaultfilters import urlencode
from django.utils.html import linebreaks
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from shop.markup import esc

register = template.Library()


@register.simple_tag
def product_gallery(images, name) -> SafeString:
    """``images``: the page's pictures, the chosen variant's first; ``name``: the alt text of those without one."""
    if not images:
        return SafeString('<span class="no-image" aria-hidden="true"></span>')
    count = len(images)
    parts = []
    for number, image in enumerate(images, 1):
        first = number == 1
        indicator = (
            f'<figcaption class="gallery-indicator" aria-hidden="true">{number} / {count}</figcaption>'
            if count > 1 else ""
        )
        main = ' class="main"' if first else ""
        lazy = "" if first else 'loading="lazy"'
        parts.append(
            f'<figure{main}><img src="{esc(image.detail_url)}" alt="{esc(image.alt_text or name)}" {lazy}'
            f' width="900" height="900">{indicator}</figure>'
        )
    return SafeString("\n".join(parts))


@register.simple_tag
def product_options(groups) -> SafeString:
    """``groups``: catalog.variants.option_choices; each value a link to the variant it leads to (no JavaScript)."""
    parts = []
    for group in groups:
        values = []
        for choice in group.values:
            classes = "option"
            if choice.is_selected:
                classes += " selected"
            if not choice.is_exact:
                classes += " other"
            if not choice.variant.is_in_stock:
                classes += " unavailable"
            current = ' aria-current="true"' if choice.is_selected else ""
            link = f"?sku={urlencode(choice.variant.sku)}#buy"
            values.append(
                f'<li><a href="{esc(link)}" data-variant-link class="{classes}"{current}>{esc(choice.value)}</a></li>'
            )
        parts.append(
            f'<div class="option-group">\n<span class="option-name">{esc(group.option.name)}</span>\n'
            f'<ul class="option-values">\n{"".join(values)}\n</ul>\n</div>'
        )
    return SafeString("\n".join(parts))


@register.simple_tag
def product_specs(product) -> SafeString:
    """The description, the specifications list and the tags, each only when the product has any."""
    parts = []
    if product.description:
        parts.append(
            f'<section class="description">\n<h2>{esc(gettext("Description"))}</h2>\n'
            f"{linebreaks(product.description, autoescape=True)}\n</section>"
        )
    values = product.attribute_values.all()
    if values:
        rows = "".join(f"<dt>{esc(value.attribute.name)}</dt><dd>{esc(value.display_value)}</dd>" for value in values)
        parts.append(
            f'<section class="attributes">\n<h2>{esc(gettext("Specifications"))}</h2>\n<dl>{rows}</dl>\n</section>'
        )
    tags = product.tags.all()
    if tags:
        parts.append(f'<ul class="chips tags">{"".join(f"<li>{esc(tag.name)}</li>" for tag in tags)}</ul>')
    return SafeString("\n".join(parts))
