"""A search's candidate read among visible products, as SQL text written here instead of by the ORM.

Every cold search page reads its candidates (catalog.search) once, and asks the planner how many products
hold its words first. Built and compiled by the ORM, the two statements cost about a sixth of a cold
search's Python in the web process, against a few milliseconds in PostgreSQL. These are the same
statements, written from the same decisions (``catalog.search._postgres_match``, ``_rank``, the orders
of ``_candidate_columns``), with values passed as parameters; tests/catalog/test_search_sql.py checks that
both read the same columns for words of every kind (Chinese pairs and single characters, English words,
fragments, SKU codes, LIKE's wildcards).

PostgreSQL only: the ORM's form stays for other databases and for any other queryset.
"""

import json

from django.db import connection
from django.utils import timezone

from catalog.fixed_sql import table
from catalog.models import Product, visible_product_sql

def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own characters escaped, as Django's contains and icontains lookups send it."""
    return "%" + connection.ops.prep_for_like_query(text) + "%"


def match_sql(terms: list[str], fts_query: str | None, substrings: bool, *, config: str) -> tuple[str, list]:
    """The condition of ``catalog.search._postgres_match``: full text in ``config`` (``fts_query``, None when
    a word is one it cannot find), each word as a substring of the search document, or full text or every
    substring."""
    every_term = " AND ".join(["p.search_document::text LIKE %s"] * len(terms))
    substring_params = [like_pattern(term) for term in terms]
    if fts_query is None:
        return f"({every_term})", substring_params
    fts = f"p.search_vector @@ websearch_to_tsquery('{config}'::regconfig, %s)"
    if substrings:
        return f"({fts} OR ({every_term}))", [fts_query, *substring_params]
    return fts, [fts_query]


def rank_sql(query: str, terms: list[str]) -> tuple[str, list]:
    """``catalog.search._rank``: 2 when the name holds the whole query, 1 when it holds every word, else 0."""
    every_term = " AND ".join(["UPPER(p.name::text) LIKE UPPER(%s)"] * len(terms))
    return (
        f"CASE WHEN UPPER(p.name::text) LIKE UPPER(%s) THEN 2 WHEN ({every_term}) THEN 1 ELSE 0 END",
        [like_pattern(query), *[like_pattern(term) for term in terms]],
    )


def _visible(now) -> tuple[str, list]:
    return visible_product_sql("p", "%s"), [now, now]


def estimated_matches(match: tuple[str, list]) -> float:
    """How many visible products the planner expects ``match`` to find (EXPLAIN, not run)."""
    visible, visible_params = _visible(timezone.now())
    sql, params = match
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT p.id FROM {table(Product)} p WHERE {visible} AND {sql}"
            " ORDER BY p.created_at DESC, p.id DESC",
            [*visible_params, *params],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def candidate_rows(query: str, terms: list[str], match: tuple[str, list], *, since=None, by_expression: bool,
                   limit: int) -> list[tuple]:
    """(id, brand id, units sold, price, rank) of the newest ``limit`` visible matches (created at ``since`` or
    later, when given), newest first: ordered by an expression no index serves when ``by_expression``."""
    visible, visible_params = _visible(timezone.now())
    rank, rank_params = rank_sql(query, terms)
    sql, params = match
    window = " AND p.created_at >= %s" if since is not None else ""
    newest = "(p.created_at + interval '0') DESC" if by_expression else "p.created_at DESC"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.brand_id, p.units_sold, p.price, {rank} FROM {table(Product)} p"
            f" WHERE {visible} AND {sql}{window} ORDER BY {newest}, p.id DESC LIMIT %s",
            [*rank_params, *visible_params, *params, *([since] if since is not None else []), limit],
        )
        return cursor.fetchall()
