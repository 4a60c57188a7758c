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

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When

MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
SEARCH_CONFIG = "english"

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


def with_bigrams(text: str) -> str:
    """The text plus its Chinese bigrams, for the full-text side of the index."""
    pairs = cjk_bigrams(text)
    return f"{text} {' '.join(pairs)}" if pairs else text


def search_products(queryset: QuerySet, raw_query: str | None) -> QuerySet:
    """Filter ``queryset`` to products matching the query, annotated with ``rank``."""
    query = clean_query(raw_query)
    if not query:
        return queryset.none().annotate(rank=Value(0.0, output_field=FloatField()))
    terms = query.split()[:MAX_TERMS]
    every_term = Q()
    for term in terms:
        every_term &= Q(search_document__contains=term)
    name_match = Case(When(name__icontains=query, then=Value(1.0)), default=Value(0.0), output_field=FloatField())

    if connection.vendor != "postgresql":
        return queryset.filter(every_term).annotate(rank=name_match)

    # The vector expression must match the index in catalog/migrations/0002.
    vector = SearchVector("search_document", config=SEARCH_CONFIG)
    tsquery = SearchQuery(_fts_query(terms), config=SEARCH_CONFIG, search_type="websearch")
    return (
        queryset.annotate(document=vector)
        .filter(Q(document=tsquery) | every_term)
        .annotate(rank=SearchRank(F("document"), tsquery) + name_match)
    )


def _fts_query(terms: list[str]) -> str:
    """Websearch syntax with quotes dropped and each Chinese run replaced by its bigrams."""
    split = (_CJK_RUN.sub(lambda run: " " + " ".join(cjk_bigrams(run.group())) + " ", t) for t in terms)
    return " ".join(" ".join(split).replace('"', " ").split())
