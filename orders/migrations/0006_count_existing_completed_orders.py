from django.db import migrations
from django.db.models import F


def count_existing(apps, schema_editor):
    """Orders completed before counted_at existed were credited already: mark them counted."""
    Order = apps.get_model("orders", "Order")
    Order.objects.filter(
        counted_at__isnull=True, completed_at__isnull=False, status__in=["completed", "refunded"]
    ).update(counted_at=F("completed_at"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_order_language")]

    operations = [migrations.RunPython(count_existing, migrations.RunPython.noop)]
