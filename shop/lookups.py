"""``field__any_of=[...]``: membership in a list as one array parameter.

``pk__in`` with a thousand ids writes a thousand placeholders into the SQL,
which Django and the driver build and quote one by one, on every query that
reuses the list (a search page counts, facets and pages its candidates). On
PostgreSQL ``= ANY(%s)`` sends the list as one array instead; other
databases get the ordinary ``IN``.
"""

from django.db.models import BigAutoField, Lookup
from django.db.models.lookups import In


@BigAutoField.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if not self.rhs:
            return "1 = 0", []  # nothing can match an empty list (and Postgres cannot type an empty array)
        if connection.vendor != "postgresql":
            return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, [int(value) for value in self.rhs]]
