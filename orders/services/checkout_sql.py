"""A new order's rows written in one fixed PostgreSQL statement.

Placing an order writes the order, its lines, its adjustments, each line's
share of each adjustment, the first order event, the emptied cart and the
outbox message for the receipt. Through the ORM that was seven round trips
and about as many INSERT compilations (~1.5 ms of Python each) while the
database needed well under a millisecond for all of them; under load the
Python time is what queues the buyers. Here they are one statement of
data-modifying CTEs, its text built from the models' fields once per
process: each column travels as one typed array (``unnest``), so the text
does not depend on the number of lines.

The values are the ones ``save``/``bulk_create`` would write: each field's
own ``pre_save`` and ``get_db_prep_save`` (defaults, ``auto_now_add``, JSON).
The order is inserted ``ON CONFLICT (number) DO NOTHING``: a taken random
number makes every dependent CTE find no order, so nothing is written and
the caller draws another number; a clash on the checkout token still raises
IntegrityError. Ids of lines and adjustments are drawn from their sequences
first and joined by position, so the shares find their line and adjustment
without relying on the order of RETURNING rows.

Only for PostgreSQL; checkout keeps the ORM writes for other databases.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.db import connection

from orders.models import (
    CartLine,
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    OrderLineAdjustment,
    OutboxMessage,
)


@dataclass(frozen=True)
class Share:
    """One line's share of one adjustment, by position in the lists given to ``insert_order_rows``."""

    adjustment: int
    line: int
    amount: Decimal


@cache
def _fields(model, *, linked: frozenset = frozenset()) -> tuple:
    # Every stored column but the id and the links the statement fills in itself.
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key and f.name not in linked)


def _array_type(field) -> str:
    # As Django's own UNNEST bulk insert: the type without its length, so nothing is truncated.
    return field.db_type(connection).split("(")[0]


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _unnested(prefix: str, fields) -> str:
    arrays = ", ".join(f"%({prefix}_{f.attname})s::{_array_type(f)}[]" for f in fields)
    names = ", ".join(f"c{i}" for i in range(len(fields)))
    return f"unnest({arrays}) WITH ORDINALITY AS x({names}, n)"


def _picked(fields) -> str:
    return ", ".join(f"x.c{i}" for i in range(len(fields)))


def _scalars(prefix: str, fields) -> str:
    return ", ".join(f"%({prefix}_{f.attname})s::{_array_type(f)}" for f in fields)


def _order_insert(values: str) -> str:
    """INSERT of the order with ``values`` (its placeholders, in ``_fields(Order)`` order), nothing when its number
    is taken; RETURNING its id."""
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(Order._meta.db_table)} ({_columns(_fields(Order))}) VALUES ({values})"
        f" ON CONFLICT ({quote(Order._meta.get_field('number').column)}) DO NOTHING"
        f" RETURNING {quote(Order._meta.pk.column)} AS id"
    )


def _saved(order: Order, order_id: int) -> None:
    # What save() leaves on an instance it inserted.
    order.pk = order_id
    order._state.adding, order._state.db = False, connection.alias


@cache
def _order_only_statement() -> str:
    return _order_insert(", ".join(["%s"] * len(_fields(Order))))


def insert_order_if_number_free(order: Order) -> bool:
    """INSERT the order alone unless its number is taken (ON CONFLICT on the number only); True when it went in.

    Without the savepoint and the ORM's INSERT compiler that ``create`` in a savepoint needs; a clash on the
    checkout token still raises IntegrityError. The values are those ``save`` would write.
    """
    with connection.cursor() as cursor:
        cursor.execute(_order_only_statement(), [_prepared(order, field) for field in _fields(Order)])
        row = cursor.fetchone()
    if row is None:
        return False
    _saved(order, row[0])
    return True


def _ids(model, name: str, count: str) -> str:
    table = model._meta.db_table
    pk = model._meta.pk.column
    return (
        f"{name} AS MATERIALIZED (SELECT n, nextval(pg_get_serial_sequence('{table}', '{pk}')) AS id "
        f"FROM generate_series(1, %({count})s) AS n WHERE EXISTS (SELECT 1 FROM new_order))"
    )


@cache
def _statement(with_cart: bool) -> str:
    quote = connection.ops.quote_name
    order_fields = _fields(Order)
    line_fields = _fields(OrderLine, linked=frozenset({"order"}))
    adjustment_fields = _fields(OrderAdjustment, linked=frozenset({"order"}))
    share_fields = _fields(OrderLineAdjustment, linked=frozenset({"adjustment", "line"}))
    event_fields = _fields(OrderEvent, linked=frozenset({"order"}))
    outbox_fields = _fields(OutboxMessage, linked=frozenset({"order"}))
    fk = {model: quote(model._meta.get_field("order").column) for model in (OrderLine, OrderAdjustment, OrderEvent, OutboxMessage)}
    share_adjustment = quote(OrderLineAdjustment._meta.get_field("adjustment").column)
    share_line = quote(OrderLineAdjustment._meta.get_field("line").column)
    line_pk, adjustment_pk = quote(OrderLine._meta.pk.column), quote(OrderAdjustment._meta.pk.column)
    emptied = (
        f"""emptied AS (
            DELETE FROM {quote(CartLine._meta.db_table)}
            WHERE {quote(CartLine._meta.get_field("cart").column)} = %(cart)s AND EXISTS (SELECT 1 FROM new_order)
        ),"""
        if with_cart
        else ""
    )
    return f"""
        WITH new_order AS (
            {_order_insert(", ".join(f"%(order_{f.attname})s" for f in order_fields))}
        ),
        {_ids(OrderLine, "line_ids", "line_count")},
        {_ids(OrderAdjustment, "adjustment_ids", "adjustment_count")},
        new_lines AS (
            INSERT INTO {quote(OrderLine._meta.db_table)} ({line_pk}, {fk[OrderLine]}, {_columns(line_fields)})
            SELECT i.id, o.id, {_picked(line_fields)}
            FROM new_order o CROSS JOIN {_unnested("line", line_fields)} JOIN line_ids i ON i.n = x.n
        ),
        new_adjustments AS (
            INSERT INTO {quote(OrderAdjustment._meta.db_table)} ({adjustment_pk}, {fk[OrderAdjustment]}, {_columns(adjustment_fields)})
            SELECT i.id, o.id, {_picked(adjustment_fields)}
            FROM new_order o CROSS JOIN {_unnested("adjustment", adjustment_fields)} JOIN adjustment_ids i ON i.n = x.n
        ),
        new_shares AS (
            INSERT INTO {quote(OrderLineAdjustment._meta.db_table)} ({share_adjustment}, {share_line}, {_columns(share_fields)})
            SELECT a.id, l.id, {_picked(share_fields)}
            FROM (SELECT * FROM unnest(%(share_adjustment)s::bigint[], %(share_line)s::bigint[]) WITH ORDINALITY
                  AS s(adjustment_n, line_n, n)) s
            JOIN {_unnested("share", share_fields)} ON x.n = s.n
            JOIN adjustment_ids a ON a.n = s.adjustment_n
            JOIN line_ids l ON l.n = s.line_n
        ),
        new_event AS (
            INSERT INTO {quote(OrderEvent._meta.db_table)} ({fk[OrderEvent]}, {_columns(event_fields)})
            SELECT o.id, {_scalars("event", event_fields)} FROM new_order o
        ),
        {emptied}
        new_message AS (
            INSERT INTO {quote(OutboxMessage._meta.db_table)} ({fk[OutboxMessage]}, {_columns(outbox_fields)})
            SELECT o.id, {_scalars("message", outbox_fields)} FROM new_order o
            RETURNING {quote(OutboxMessage._meta.pk.column)} AS id
        )
        SELECT (SELECT id FROM new_order), (SELECT id FROM new_message)
    """


def _prepared(obj, field):
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def _columns_of(prefix: str, model, instances, params: dict, *, linked: frozenset = frozenset()) -> None:
    for field in _fields(model, linked=linked):
        params[f"{prefix}_{field.attname}"] = [_prepared(obj, field) for obj in instances]


def _row_of(prefix: str, model, obj, params: dict, *, linked: frozenset = frozenset()) -> None:
    for field in _fields(model, linked=linked):
        params[f"{prefix}_{field.attname}"] = _prepared(obj, field)


def insert_order_rows(
    *,
    order: Order,
    lines: list[OrderLine],
    adjustments: list[OrderAdjustment],
    shares: list[Share],
    event: OrderEvent,
    message: OutboxMessage,
    cart_id: int | None,
) -> int | None:
    """Write the order and all its rows, and empty the cart ``cart_id`` (None: leave any cart alone).

    Returns the outbox message's id, or None when the order's number was taken (then nothing was written).
    The order gets its pk; the other instances only lend their values. Raises IntegrityError on a
    clash of the checkout token, as ``save`` would.
    """
    params: dict = {"line_count": len(lines), "adjustment_count": len(adjustments), "cart": cart_id}
    _row_of("order", Order, order, params)
    _columns_of("line", OrderLine, lines, params, linked=frozenset({"order"}))
    _columns_of("adjustment", OrderAdjustment, adjustments, params, linked=frozenset({"order"}))
    # Positions are 1-based, as WITH ORDINALITY and generate_series count.
    params["share_adjustment"] = [share.adjustment + 1 for share in shares]
    params["share_line"] = [share.line + 1 for share in shares]
    _columns_of("share", OrderLineAdjustment, [OrderLineAdjustment(amount=s.amount) for s in shares], params,
                linked=frozenset({"adjustment", "line"}))
    _row_of("event", OrderEvent, event, params, linked=frozenset({"order"}))
    _row_of("message", OutboxMessage, message, params, linked=frozenset({"order"}))
    with connection.cursor() as cursor:
        cursor.execute(_statement(cart_id is not None), params)
        order_id, message_id = cursor.fetchone()
    if order_id is None:
        return None
    _saved(order, order_id)
    return message_id
