"""PostgreSQL search indexes: full text (English stems) and trigrams (Chinese substrings).

Skipped on SQLite, where search falls back to a plain substring match.
The full-text index expression must stay identical to what
catalog.search builds, or the planner will not use it.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS product_search_fts ON catalog_product "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(search_document, '')))",
    "CREATE INDEX IF NOT EXISTS product_search_trgm ON catalog_product USING gin (search_document gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS product_name_trgm ON catalog_product USING gin (name gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS product_name_trgm",
    "DROP INDEX IF EXISTS product_search_trgm",
    "DROP INDEX IF EXISTS product_search_fts",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
