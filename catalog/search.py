"""Product search.

On PostgreSQL two indexes answer a query together:

- full text over ``Product.search_document`` with the English stemmer, so
  "apples" finds "apple". Chinese has no spaces between words, so the
  document also carries every pair of adjacent Chinese characters
  (bigrams) as words of their own, and a query is split the same way:
  "苹果" is then an ordinary indexed word, and "红富士" must contain
  "红富" and "富士";
- a trigram index (pg_trgm) for plain substrings, which catches what the
  tokenizer cannot: a single Chinese character, part of a SKU code, a word
  prefix.

SQLite (the zero-setup demo) has neither and falls back to substrings.
Odd input — operators, quotes, NUL bytes, kilobytes of text — is cleaned
first, and ``websearch_to_tsquery`` never raises on syntax.
"""

import datetime as dt
import math
import re
from collections import Counter
from decimal import Decimal
from typing import NamedTuple

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value, When

from catalog import search_sql
from catalog.cache import page_key, shared_cached, shared_object
from catalog.models import Brand, Product
from catalog.selectors import visible_products

MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
# Ranking, counting, facets and filters look at this many matches at most, the newest first.
# A word found in tens of thousands of products would otherwise make every search fetch and
# rank all of them; nobody pages past the first few dozen pages of a search.
MAX_CANDIDATES = 1000
SEARCH_CONFIG = "english"
# A search whose words the planner expects in more than this many times MAX_CANDIDATES products looks
# among the newest products first (_recent_window).
WINDOW_FROM_MATCHES = 4

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_query(raw: str | None) -> str:
    """What a shopper typed, made safe: no control characters, bounded, lower-case."""
    if not raw:
        return ""
    text = _CONTROL.sub(" ", raw[: MAX_QUERY_LENGTH * 4])
    text = " ".join(text.split())[:MAX_QUERY_LENGTH]
    return text.lower()


def cjk_bigrams(text: str) -> list[str]:
    """Every pair of adjacent Chinese characters: "红富士" → ["红富", "富士"]."""
    pairs = []
    for run in _CJK_RUN.findall(text):
        pairs.extend(run[i : i + 2] for i in range(len(run) - 1))
    return pairs


def with_bigrams(text: str, *, characters_of: str = "") -> str:
    """The text plus its Chinese bigrams, for the full-text side of the index.

    ``characters_of`` (the name, brand, category and tags) also gives each of its Chinese
    characters as a word, so that a one-character search (茶, 米, 鱼) is a full-text lookup
    instead of a substring test on every product (400 ms at 100,000 products). Only those
    short fields: a single character found somewhere in a description is noise, not a match.
    """
    pairs = cjk_bigrams(text)
    singles = list(dict.fromkeys(_CJK_CHAR.findall(characters_of.lower())))
    return " ".join(part for part in (text, " ".join(pairs), " ".join(singles)) if part)


class Candidate(NamedTuple):
    """One of a search's newest matches, with what its page needs to count, facet and sort it without a query."""

    pk: int
    brand_id: int | None
    units_sold: int
    price: Decimal
    rank: int
    newness: int  # its place among the candidates, newest first: the order of (-created_at, -id)


def search_products(queryset: QuerySet, raw_query: str | None) -> QuerySet:
    """Filter ``queryset`` to products matching every word of the query, annotated with ``rank``.

    Only the newest MAX_CANDIDATES matches are kept (``search_candidates``), however
    many products hold the word. ``rank`` then favours,
    among those, products whose name holds the whole query, then those whose
    name holds every word.
    """
    query = clean_query(raw_query)
    return among_candidates(queryset, query, search_candidates(queryset, query))


def among_candidates(queryset: QuerySet, query: str, candidates) -> QuerySet:
    """``queryset`` narrowed to these candidates of ``query`` (a list of Candidates, or CandidateColumns; one
    array parameter, shop/lookups.py), with ``rank``."""
    if not candidates:
        return queryset.none().annotate(rank=Value(0, output_field=IntegerField()))
    pks = candidates.pks if isinstance(candidates, CandidateColumns) else [candidate.pk for candidate in candidates]
    return queryset.filter(pk__any_of=list(pks)).annotate(rank=_rank(query))


def search_candidates(queryset: QuerySet, raw_query: str | None) -> list[Candidate]:
    """The newest MAX_CANDIDATES products of ``queryset`` matching every word, newest first.

    One query reads them (after the planner's estimate for full-text words, see ``_recent_window``; a
    second only when that window held too few). Each comes with its brand, sort keys and ``rank``, so that a search page without filters counts,
    facets, sorts and pages them in Python instead of asking the database three more times.
    """
    return _from_columns(_candidate_columns(queryset, clean_query(raw_query)))


def _candidate_columns(queryset: QuerySet, query: str) -> tuple:
    """``search_candidates`` as columns (pks, brand ids, units sold, prices, ranks), newest first: what the cache keeps."""
    if not query:
        return _NO_COLUMNS
    terms = query.split()[:MAX_TERMS]
    every_term = Q()
    for term in terms:
        every_term &= Q(search_document__contains=term)
    postgres = connection.vendor == "postgresql"
    matches = queryset.filter(_postgres_match(terms, every_term) if postgres else every_term)

    def read(since, by_expression: bool) -> tuple:
        newest = _newest_by_expression() if by_expression else "-created_at"
        return _columns(query, matches if since is None else matches.filter(created_at__gte=since), [newest, "-id"])

    if not postgres:
        return read(None, False)
    return _newest_candidates(terms, read, lambda: _estimated_rows(matches))


def _visible_candidate_columns(query: str) -> tuple:
    """``_candidate_columns(visible_products(), query)``; on PostgreSQL read by the fixed SQL texts of
    catalog/search_sql.py, from the same decisions (the ORM's building and compiling of the two statements
    cost about a sixth of a cold search's Python)."""
    if not query or connection.vendor != "postgresql":
        return _candidate_columns(visible_products(), query)
    terms = query.split()[:MAX_TERMS]
    fts_query = _fts_query(terms) if all(_fts_can_find(term) for term in terms) else None
    match = search_sql.visible_match_sql(terms, fts_query, _tests_substrings(terms), config=SEARCH_CONFIG)

    def read(since, by_expression: bool) -> tuple:
        return _as_columns(search_sql.candidate_rows(
            query, terms, match, since=since, by_expression=by_expression, limit=MAX_CANDIDATES,
        ))

    return _newest_candidates(terms, read, lambda: search_sql.estimated_matches(match))


def _newest_candidates(terms: list[str], read, estimate) -> tuple:
    """The newest MAX_CANDIDATES matches on PostgreSQL, as columns: the choices of order and window that the
    ORM's and the fixed form of the read share. ``read(since, by_expression)`` reads the matches created at
    ``since`` or later (all when None), newest first, through an expression no index serves when
    ``by_expression``; ``estimate()`` is the planner's count of the matches."""
    if _tests_substrings(terms):
        # A substring test costs microseconds per row. Walking the created_at index newest first,
        # PostgreSQL would run it on every product until 1,000 match: 35,000 rows and 350 ms for
        # "organic" on the 100k bench catalogue. Ordered by an expression that index cannot serve,
        # it takes the trigram and full-text indexes instead and sorts only the matches (13 ms).
        return read(None, True)
    window = _recent_window(estimate())
    if window is not None:
        # Only products newer than ``window`` are read: when they hold MAX_CANDIDATES matches, those are
        # exactly the newest ones of all, since every match outside is older. Otherwise, read them all.
        # Ordered by an expression, so that PostgreSQL intersects the two indexes instead of walking the date one.
        found = read(window, True)
        if len(found[0]) >= MAX_CANDIDATES:
            return found
    return read(None, False)


def _columns(query: str, matches: QuerySet, newest_first: list) -> tuple:
    return _as_columns(
        matches.annotate(rank=_rank(query))
        .order_by(*newest_first)
        .values_list("pk", "brand_id", "units_sold", "price", "rank")[:MAX_CANDIDATES]
    )


def _as_columns(rows) -> tuple:
    """(id, brand id, units sold, price, rank) rows as the five columns the cache keeps.

    The creation dates themselves are not fetched (parsing a thousand costs more than the query's
    round trip): the rows come newest first, so their place is their order by date and id.
    Turned into columns at once: built as a thousand Candidates, then taken apart for the cache,
    a miss cost a millisecond more.
    """
    rows = list(rows)
    return tuple(map(list, zip(*rows))) if rows else _NO_COLUMNS


# No candidates, as columns (tuples: shared by every empty search, so nobody may append to them).
_NO_COLUMNS = ((), (), (), (), ())


def visible_search_candidates(raw_query: str | None) -> list[Candidate]:
    """``search_candidates`` among the products shoppers see, read once per catalogue version and query."""
    return visible_search_columns(raw_query).candidates()


def visible_search_columns(raw_query: str | None) -> "CandidateColumns":
    """``visible_search_candidates`` as the columns the cache keeps, for a search page.

    Every sort and page of the same words, in every web process, then shares one read (8-12 ms on the
    bench catalogue for a common word), and a catalogue change still shows at once, since the key carries
    the version. They are kept as plain columns: pickling a thousand named tuples and their Decimals costs
    more than reading them.
    """
    query = clean_query(raw_query)
    if not query:
        return CandidateColumns(_NO_COLUMNS)
    return CandidateColumns(shared_cached(
        page_key("search-candidates", query),
        lambda: _storable(_visible_candidate_columns(query)),
    ))


def _storable(columns: tuple) -> tuple:
    pks, brand_ids, units_sold, prices, ranks = columns
    # A price as text: Decimal("12.50") survives the round trip exactly, and text pickles ten times faster.
    return pks, brand_ids, units_sold, list(map(str, prices)), ranks


def _from_columns(columns: tuple) -> list[Candidate]:
    return CandidateColumns(columns).candidates()


class CandidateColumns:
    """A search's candidates as columns, newest first: their ids, brand ids, units sold, prices and ranks.

    What a search page does with them (count, facet by brand, sort, take one page of ids) is done on the
    columns by position: building a Candidate for each of a thousand took half a millisecond a page, more
    than everything else done with them. A price may be text (as the cache keeps it, ``_storable``); it is
    read as a Decimal only to sort by price.
    """

    __slots__ = ("pks", "brand_ids", "units_sold", "prices", "ranks")

    def __init__(self, columns: tuple):
        self.pks, self.brand_ids, self.units_sold, self.prices, self.ranks = columns

    def __len__(self) -> int:
        return len(self.pks)

    def candidates(self) -> list[Candidate]:
        # The candidates come newest first, so their place is their newness. Decimal() takes a Decimal as it is.
        return list(map(Candidate._make, zip(
            self.pks, self.brand_ids, self.units_sold, map(Decimal, self.prices), self.ranks, range(len(self.pks)),
        )))

    def column(self, field: str):
        """The values of one Candidate field, by position ("newness": the positions themselves)."""
        if field == "newness":
            return range(len(self.pks))
        if field == "price":
            return list(map(Decimal, self.prices))
        return {"pk": self.pks, "brand_id": self.brand_ids, "units_sold": self.units_sold, "rank": self.ranks}[field]


def _rank(query: str) -> Case:
    """2 when the name holds the whole query, 1 when it holds every word, else 0.

    A query of one word is its only word: the second test would repeat the first on every name the first
    missed, so it is left out (PostgreSQL upper-cases each candidate's name for each test).
    """
    terms = query.split()[:MAX_TERMS]
    whole = When(name__icontains=query, then=Value(2))
    if terms == [query]:
        return Case(whole, default=Value(0), output_field=IntegerField())
    every_term_in_name = Q()
    for term in terms:
        every_term_in_name &= Q(name__icontains=term)
    return Case(whole, When(every_term_in_name, then=Value(1)), default=Value(0), output_field=IntegerField())


def _newest_by_expression():
    return ExpressionWrapper(F("created_at") + Value(dt.timedelta(0)), output_field=DateTimeField()).desc()


# The sort keys (catalog.filters.SORTS) a list of candidates can be ordered by without the database.
_CANDIDATE_FIELDS = {"rank": "rank", "id": "pk", "units_sold": "units_sold", "price": "price"}


def sorted_pks(columns: CandidateColumns, keys: tuple[str, ...]) -> list[int] | None:
    """The candidates' ids in the order ``ORDER BY keys`` would give ("-rank", "-created_at", "-id"), or None
    when a key is not one a candidate carries. Every sort ends on the id, so the order is total and the
    same as the database's. The positions are sorted, a stable sort per key (the last key first)."""
    fields = _sort_fields(keys)
    if fields is None:
        return None
    order = range(len(columns))  # the positions: newest first
    steps = list(reversed(fields))
    if steps[:1] == [("newness", False)]:
        steps.pop(0)  # the last key orders them newest first: as they already are
    for field, descending in steps:
        order = sorted(order, key=columns.column(field).__getitem__, reverse=descending)
    pks = columns.pks
    return [pks[position] for position in order]


def _sort_fields(keys: tuple[str, ...]) -> list[tuple[str, bool]] | None:
    """(Candidate field, descending) per sort key, "-created_at", "-id" read as newness; None for a key
    a candidate does not carry."""
    fields = []
    rest = list(keys)
    while rest:
        key = rest.pop(0)
        if key == "-created_at" and rest[:1] == ["-id"]:
            rest.pop(0)
            fields.append(("newness", False))  # newest first, then the higher id: the candidates' own order
        elif key.lstrip("-") in _CANDIDATE_FIELDS:
            fields.append((_CANDIDATE_FIELDS[key.lstrip("-")], key.startswith("-")))
        else:
            return None
    return fields


def brand_facets_of(brand_ids, brands: list[tuple[int, str, str]], *, limit: int = 30) -> list[dict]:
    """What ``selectors.brand_facets`` finds among candidates with these brand ids, counted without a query.

    ``brands`` are (id, slug, name) in the database's order by name, so that brands with as many
    products come in the order its collation gives, not Python's.
    """
    counts = Counter(brand_id for brand_id in brand_ids if brand_id is not None)
    position = {pk: index for index, (pk, _slug, _name) in enumerate(brands)}
    by_pk = {pk: (slug, name) for pk, slug, name in brands}
    ranked = sorted((pk for pk in counts if pk in by_pk), key=lambda pk: (-counts[pk], position[pk]))
    return [
        {"brand__slug": by_pk[pk][0], "brand__name": by_pk[pk][1], "count": counts[pk]} for pk in ranked[:limit]
    ]


def brands_by_name() -> list[tuple[int, str, str]]:
    """Every brand as (id, slug, name) in the database's order by name, once per catalogue version."""
    return shared_object(
        page_key("brands-by-name"), lambda: list(Brand.objects.order_by("name").values_list("pk", "slug", "name"))
    )


def _recent_window(estimated: float) -> dt.datetime | None:
    """A creation date after which the newest products should hold about 1.5 × MAX_CANDIDATES matches, or None.

    Walking the created_at index newest first, a word held by one product in ten (家居, 通勤) reads ten
    products and their stored vectors for each match kept: 10,000 rows and 45-55 ms on the bench
    catalogue. Limited to the newest products, PostgreSQL instead intersects the full-text index with
    the date index and reads only the matches in that window (about 1,500). The planner's own estimate
    of how many products hold the words (``estimated``), and its histogram of creation dates, size the
    window; both only make the search faster or slower, never different (``search_candidates`` checks the
    count).
    """
    if estimated < WINDOW_FROM_MATCHES * MAX_CANDIDATES:
        return None
    total, bounds = shared_object(page_key("search-creation-dates"), _creation_dates)
    buckets = len(bounds) - 1
    if buckets < 1 or total <= 0:
        return None  # the table was never analysed
    share = 1.5 * MAX_CANDIDATES / min(estimated, total)
    first = buckets - math.ceil(share * buckets)  # bounds[i] has about (buckets - i) / buckets of products after it
    return bounds[first] if first > 0 else None


def _estimated_rows(queryset: QuerySet) -> float:
    """How many rows the planner expects ``queryset`` to find (EXPLAIN without running it: a fraction of a ms)."""
    return search_sql.planned_rows(*queryset.values("pk").query.sql_with_params())


def _creation_dates() -> tuple[float, list[dt.datetime]]:
    """The product table's row estimate and the planner's histogram of creation dates (equal-sized buckets)."""
    table = Product._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.histogram_bounds::text::timestamptz[] FROM pg_class c "
            "LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname "
            "AND s.attname = 'created_at' WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
    if row is None:
        return 0.0, []
    return float(row[0] or 0), list(row[1] or [])


def _postgres_match(terms: list[str], every_term: Q) -> Q:
    """The cheapest condition that finds every product containing all the words.

    Full text answers whole words and Chinese pairs from its index. The
    trigram index answers substrings of three or more characters, so it is
    added for those (word prefixes, parts of SKU codes). A word full text
    cannot see — a single Chinese character, a two-letter fragment — leaves
    only the substring test, slower but still correct.
    """
    if any(not _fts_can_find(term) for term in terms):
        return every_term
    # Product.search_vector is stored and GIN-indexed (catalog/migrations/0004).
    tsquery = SearchQuery(_fts_query(terms), config=SEARCH_CONFIG, search_type="websearch")
    matches = Q(search_vector=tsquery)
    if not _tests_substrings(terms):
        return matches
    # The substring test first. The trigram index is lossy, so PostgreSQL tests each row it finds again,
    # left to right: the search document sits in the row, while half the products' full-text vectors are
    # large enough to be stored apart (TOAST). Tested first, the vector had to be fetched for nearly every
    # match; now only for those the words' substrings miss (a stemmed "eggs" finding "egg"). A common
    # word's read on the bench catalogue: a third of the buffers, 20-25 ms down to 14.
    return every_term | matches


def _tests_substrings(terms: list[str]) -> bool:
    """Whether these words are tested as substrings: alone (full text cannot see one of them), or beside
    full text when every word is long enough for the trigram index (prefixes, parts of SKU codes)."""
    return any(not _fts_can_find(term) for term in terms) or all(len(term) >= 3 for term in terms)


def _fts_can_find(term: str) -> bool:
    """Whether the full-text index holds this word: a Chinese character, pair or run, or a Latin word."""
    if _CJK_CHAR.fullmatch(term):
        return True  # a lone character: indexed for names, brands, categories and tags (with_bigrams)
    if _CJK_RUN.search(term):
        return _CJK_RUN.sub("", term) == "" or len(term) >= 3
    return len(term) >= 2 and not _CJK_CHAR.search(term)


def _fts_query(terms: list[str]) -> str:
    """Websearch syntax with quotes dropped and each Chinese run replaced by its bigrams."""
    split = (_CJK_RUN.sub(lambda run: " " + " ".join(cjk_bigrams(run.group())) + " ", t) for t in terms)
    return " ".join(" ".join(split).replace('"', " ").split())
