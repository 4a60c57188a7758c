"""The logged-in side of `make bench`: members to log in as, and the catalogue version bump.

Run by bench/run.py with the benchmark's environment; each subcommand prints one JSON object:

    python bench/members.py setup --run RUN --cart-variants 12,34,...
        two members with a verified e-mail and a password, in the best discount tier:
        "browser" has a cart of 5 lines (cart page, member pages), "adder" an empty
        cart (add to cart). run.py logs both in over HTTP through allauth's form.
    python bench/members.py cart-units --email E   units in that member's cart
    python bench/members.py bump                   bump the catalogue version, as an admin save does
"""

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Sum  # noqa: E402

from catalog.cache import bump_catalog_version, catalog_version  # noqa: E402
from members.models import Tier  # noqa: E402
from members.services.accounts import ensure_member  # noqa: E402
from orders.models import CartLine  # noqa: E402
from orders.services import add_to_cart  # noqa: E402
from orders.services.cart import MemberCart  # noqa: E402

CART_LINES = 5


def make_member(run: str, role: str, tier: Tier | None):
    password = secrets.token_urlsafe(16)
    email = f"bench-{run}-{role}@example.com"
    user = get_user_model().objects.create_user(username=f"bench-{run}-{role}", email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    member = ensure_member(user=user)
    if tier is not None:
        member.tier = tier
        member.save(update_fields=["tier"])
    return user, {"email": email, "password": password, "user_id": user.pk}


def setup(run: str, variant_ids: list[int]) -> dict:
    # The best tier with a discount, so the member pages show a tier price.
    tier = Tier.objects.filter(discount_percent__gt=0).order_by("-rank").first() or Tier.objects.first()
    browser, browser_info = make_member(run, "browser", tier)
    cart = MemberCart(browser)
    for variant_id in variant_ids[:: max(1, len(variant_ids) // CART_LINES)][:CART_LINES]:
        add_to_cart(cart=cart, variant_id=variant_id, quantity=2)
    _adder, adder_info = make_member(run, "adder", tier)
    browser_info["cart_units"] = cart_units(browser_info["email"])
    return {"browser": browser_info, "adder": adder_info, "tier": tier.name if tier else None}


def cart_units(email: str) -> int:
    return CartLine.objects.filter(cart__user__email=email).aggregate(n=Sum("quantity"))["n"] or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("setup")
    making.add_argument("--run", required=True)
    making.add_argument("--cart-variants", required=True)
    units = commands.add_parser("cart-units")
    units.add_argument("--email", required=True)
    commands.add_parser("bump")
    args = parser.parse_args()
    if args.command == "setup":
        result = setup(args.run, [int(v) for v in args.cart_variants.split(",") if v])
    elif args.command == "cart-units":
        result = {"units": cart_units(args.email)}
    else:
        bump_catalog_version()  # autocommit: the on-commit bump runs at once too
        result = {"version": catalog_version()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
