"""Add the single Chinese characters of each product's name, brand, category and tags to its search words.

catalog.search.with_bigrams now writes them for every product saved; this gives
the products already stored the same words, so a one-character search finds them
from the full-text index (see catalog/search.py). PostgreSQL only: SQLite has no
full-text column and searches by substring.
"""

from django.db import migrations

CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

APPEND_CHARACTERS = rf"""
WITH naming AS (
    SELECT p.id, lower(concat_ws(' ', p.name, b.name, c.name,
        (SELECT string_agg(t.name, ' ') FROM catalog_product_tags pt JOIN catalog_tag t ON t.id = pt.tag_id
          WHERE pt.product_id = p.id))) AS text
      FROM catalog_product p
      JOIN catalog_category c ON c.id = p.category_id
      LEFT JOIN catalog_brand b ON b.id = p.brand_id
), characters AS (
    SELECT naming.id, string_agg(ch, ' ' ORDER BY first_seen) AS words
      FROM naming, LATERAL (
          SELECT m[1] AS ch, min(n) AS first_seen
            FROM regexp_matches(naming.text, '({CJK})', 'g') WITH ORDINALITY AS found(m, n)
           GROUP BY m[1]
      ) AS distinct_characters
     GROUP BY naming.id
)
UPDATE catalog_product p
   SET search_document = p.search_document || ' ' || characters.words,
       search_vector = to_tsvector('english', p.search_document || ' ' || characters.words)
  FROM characters
 WHERE characters.id = p.id
"""


def append_characters(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_CHARACTERS)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_verbose_names")]

    operations = [migrations.RunPython(append_characters, migrations.RunPython.noop)]
