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
from catalog.selectors import unindexed_order_sql


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own characters escaped, as Django's contains and icontains lookups send it."""
    return "%" + connection.ops.prep_for_like_query(text) + "%"


def visible_match_sql(terms: list[str], fts_query: str | None, substrings: bool, *, config: str) -> tuple[str, list]:
    """Visible now, and the condition of ``catalog.search._postgres_match``: full text in ``config``
    (``fts_query``, None when a word is one it cannot find), each word as a substring of the search
    document, or full text or every substring. The moment is taken once, as visible_products() takes it,
    so the estimate and the reads of one search see the same products."""
    now = timezone.now()
    visible = visible_product_sql("p", "%s")  # the moment twice
    every_term = " AND ".join(["p.search_document::text LIKE %s"] * len(terms))
    substring_params = [like_pattern(term) for term in terms]
    if fts_query is None:
        return f"{visible} AND ({every_term})", [now, now, *substring_params]
    fts = f"p.search_vector @@ websearch_to_tsquery('{config}'::regconfig, %s)"
    if substrings:
        # The substrings first: see catalog.search._postgres_match.
        return f"{visible} AND (({every_term}) OR {fts})", [now, now, *substring_params, fts_query]
    return f"{visible} AND {fts}", [now, now, fts_query]


def rank_sql(query: str, terms: list[str]) -> tuple[str, list]:
    """``catalog.search._rank``: 2 when the name holds the whole query, 1 when it holds every word, else 0 (one
    test for a query of one word)."""
    if terms == [query]:
        return "CASE WHEN UPPER(p.name::text) LIKE UPPER(%s) THEN 2 ELSE 0 END", [like_pattern(query)]
    every_term = " AND ".join(["UPPER(p.name::text) LIKE UPPER(%s)"] * len(terms))
    return (
        f"CASE WHEN UPPER(p.name::text) LIKE UPPER(%s) THEN 2 WHEN ({every_term}) THEN 1 ELSE 0 END",
        [like_pattern(query), *[like_pattern(term) for term in terms]],
    )


def planned_rows(sql: str, params: list) -> float:
    """How many rows the planner expects ``sql`` to return (EXPLAIN without running it: a fraction of a ms)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def estimated_matches(match: tuple[str, list]) -> float:
    """How many products the planner expects ``match`` (``visible_match_sql``) to find."""
    sql, params = match
    return planned_rows(
        f"SELECT p.id FROM {table(Product)} p WHERE {sql} ORDER BY p.created_at DESC, p.id DESC", params
    )


def candidate_rows(query: str, terms: list[str], match: tuple[str, list], *, since=None, by_expression: bool,
                   limit: int) -> list[tuple]:
    """(id, brand id, units sold, price, rank) of the newest ``limit`` products of ``match`` (created at
    ``since`` or later, when given), newest first: ordered by an expression no index serves when
    ``by_expression``."""
    rank, rank_params = rank_sql(query, terms)
    sql, params = match
    window = " AND p.created_at >= %s" if since is not None else ""
    newest = unindexed_order_sql("-created_at", "p") if by_expression else "p.created_at DESC"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.brand_id, p.units_sold, p.price, {rank} FROM {table(Product)} p"
            f" WHERE {sql}{window} ORDER BY {newest}, p.id DESC LIMIT %s",
            [*rank_params, *params, *([since] if since is not None else []), limit],
        )
        return cursor.fetchall()
