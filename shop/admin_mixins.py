"""Pieces every app's back-office pages share."""


class ReadOnlyAdminMixin:
    """Rows that only services write (ledgers, payments, reports): staff look at them, never add, edit or
    delete them here, and act only through pages that call services. Works for inlines too."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
