"""The log-in backend: allauth's, with the member's cart badge read in the same query as the user row.

Every page a member opens loads their user row (Django's session check) and
shows the cart badge; asking for both at once saves a query on each of them.
It lives in orders, not members, because the badge counts cart lines (members
never imports orders).
"""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router

from catalog.fixed_sql import from_db
from orders.models import Cart, CartLine
from shop.sessions import read_user_with_session, user_row_read_with_session


@cache
def _user_with_cart_units_sql(alias: str) -> tuple[str, list[str]] | None:
    """The SELECT (one %s: the user id) and the attribute names of its user columns, built once per process.

    After the user's columns come their cart's id (None without a cart) and the units in it.

    None when a user column needs a converter (a custom field): the plain row would not be the model's value.

    Written out rather than built by the ORM on each request: building and compiling the
    queryset cost several times what PostgreSQL needs to answer it.
    """
    connection = connections[alias]
    quote = connection.ops.quote_name
    user_meta = get_user_model()._meta
    fields = user_meta.concrete_fields
    for field in fields:
        if field.get_db_converters(connection) or connection.ops.get_db_converters(field.get_col(user_meta.db_table)):
            return None
    columns = ", ".join(f"u.{quote(field.column)}" for field in fields)
    line, cart = CartLine._meta, Cart._meta
    lines = quote(line.db_table)
    # The cart's id comes along too: adding to the cart then writes its line without looking the cart up.
    sql = (
        f"SELECT {columns}, c.{quote(cart.pk.column)},"
        f" COALESCE((SELECT SUM({lines}.{quote(line.get_field('quantity').column)}) FROM {lines}"
        f" WHERE {lines}.{quote(line.get_field('cart').column)} = c.{quote(cart.pk.column)}), 0)"
        f" FROM {quote(user_meta.db_table)} u LEFT JOIN {quote(cart.db_table)} c"
        f" ON c.{quote(cart.get_field('user').column)} = u.{quote(user_meta.pk.column)}"
        f" WHERE u.{quote(user_meta.pk.column)} = %s"
    )
    return sql, [field.attname for field in fields]


def _user_sql_for_sessions(alias: str) -> str | None:
    built = _user_with_cart_units_sql(alias)
    return built[0] if built else None


# A member's session load sends this statement along when the process knows whose the session is
# (shop.sessions), so get_user below usually finds the row already read.
read_user_with_session(_user_sql_for_sessions)


class MemberBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is None and credentials.get("password") and "username" not in credentials:
            # An e-mail or phone log-in that failed here fails in allauth's own class too (listed after
            # this one only for sessions from before): stop, instead of hashing the password again there.
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        # cart_units is read at the start of the request; orders.services.cart.cart_count trusts it
        # only while nothing in this request can have changed the cart.
        model = get_user_model()
        try:
            user_id = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        alias = router.db_for_read(model)
        built = _user_with_cart_units_sql(alias)
        if built is None:
            return super().get_user(user_id)  # the badge then counts with its own query
        sql, attnames = built
        read = user_row_read_with_session(alias, user_id)
        if read is not None:
            row = read[0]
        else:
            with connections[alias].cursor() as cursor:
                cursor.execute(sql, [user_id])
                row = cursor.fetchone()
        if row is None:
            return None
        user = from_db(model, attnames, row[:-2], alias)
        user.cart_pk, user.cart_units = row[-2:]
        if not self.user_can_authenticate(user):
            return None
        return user
