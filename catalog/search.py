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
import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value, When

MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
# Ranking, counting, facets and filters look at this many matches at most, the newest first.
# A word found in tens of thousands of products would otherwise make every search fetch and
# rank all of them; nobody pages past the first few dozen pages of a search.
MAX_CANDIDATES = 1000
SEARCH_CONFIG = "english"

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


def search_products(queryset: QuerySet, raw_query: str | None) -> QuerySet:
    """Filter ``queryset`` to products matching every word of the query, annotated with ``rank``.

    Only the newest MAX_CANDIDATES matches are kept: finding them walks an index
    and stops early, however many products hold the word. ``rank`` then favours,
    among those, products whose name holds the whole query, then those whose
    name holds every word.
    """
    query = clean_query(raw_query)
    if not query:
        return queryset.none().annotate(rank=Value(0, output_field=IntegerField()))
    terms = query.split()[:MAX_TERMS]
    every_term = Q()
    every_term_in_name = Q()
    for term in terms:
        every_term &= Q(search_document__contains=term)
        every_term_in_name &= Q(name__icontains=term)
    rank = Case(
        When(name__icontains=query, then=Value(2)),
        When(every_term_in_name, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    postgres = connection.vendor == "postgresql"
    match = _postgres_match(terms, every_term) if postgres else every_term
    newest_first = ["-created_at", "-id"]
    if postgres and _tests_substrings(terms):
        # A substring test costs microseconds per row. Walking the created_at index newest first,
        # PostgreSQL would run it on every product until 1,000 match: 35,000 rows and 350 ms for
        # "organic" on the 100k bench catalogue. Ordered by an expression that index cannot serve,
        # it takes the trigram and full-text indexes instead and sorts only the matches (13 ms).
        newest_first[0] = ExpressionWrapper(F("created_at") + Value(dt.timedelta(0)), output_field=DateTimeField()).desc()
    # Fetched once as a list: the page's count, brand facets and rows then look up at most
    # MAX_CANDIDATES primary keys (as one array parameter, shop/lookups.py) instead of each
    # running the match again.
    candidates = list(queryset.filter(match).order_by(*newest_first).values_list("pk", flat=True)[:MAX_CANDIDATES])
    return queryset.filter(pk__any_of=candidates).annotate(rank=rank)


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
    return matches | every_term if _tests_substrings(terms) else matches


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
