"""Post a page's form as a browser would: every hidden field, every checked radio and box, every text value.

Tests that fill in a dict by hand skip what the browser really sends (a
pre-selected radio of the fulfilment the shopper did not choose, a hidden
expected total); this reads them off the rendered page instead.
"""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_class: str):
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_class in (attrs.get("class") or "").split():
            self.inside = True
            return
        if not self.inside or tag != "input" or not attrs.get("name"):
            return
        kind = attrs.get("type", "text")
        if kind in ("radio", "checkbox"):
            if "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "on")))
        elif kind not in ("submit", "button", "file"):
            self.fields.append((attrs["name"], attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def browser_form_data(html: str, form_class: str, **changes) -> dict:
    """The fields ``form.<form_class>`` sends, with ``changes`` applied as the shopper's clicks and typing."""
    parser = _FormFields(form_class)
    parser.feed(html)
    data = dict(parser.fields)
    data.update({name: value for name, value in changes.items() if value is not None})
    return data
