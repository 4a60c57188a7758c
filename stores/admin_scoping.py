"""One scoping rule for every store-bound admin page: store staff see their own stores' rows only.

``stores.selectors.store_scope(user)`` says which stores a person is narrowed to (None: not
narrowed, their model permissions alone decide). Every door of a ModelAdmin goes through
``get_queryset``, so scoping it covers the changelist, the change page (GET and POST), delete,
history, autocomplete answers and exports built on the changelist; this mixin adds what
``get_queryset`` alone does not: a 404 (not the "perhaps it was deleted" redirect) for another
store's object, bulk actions that refuse a selection reaching outside the scope, store list
filters and store choices that list only the person's stores.
"""

from django.contrib import messages
from django.contrib.admin import RelatedFieldListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext

from stores.models import Store
from stores.selectors import store_scope


class ScopedStoreListFilter(RelatedFieldListFilter):
    """A store filter that offers only the stores the person may see."""

    def field_choices(self, field, request, model_admin):
        stores = Store.objects.order_by("code")
        scope = store_scope(request.user)
        if scope is not None:
            stores = stores.filter(pk__in=scope)
        return [(store.pk, str(store)) for store in stores]


def _leads_to_store(model, path: str) -> bool:
    """Whether the lookup path (``store``, ``order__store``, ``stock__store``) ends at a store foreign key."""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if not field.is_relation:
            return False
        model = field.related_model
    return field is not None and model is Store


class StoreScopedAdminMixin:
    """Put first among the bases of a ModelAdmin whose rows belong to a store.

    ``store_fields`` are lookup paths from the model to a store (``("order__store",)``); a row is
    visible when any of them is one of the person's stores (a transfer: its sending or receiving store).
    """

    store_fields: tuple[str, ...] = ("store",)

    def scope(self, request) -> frozenset[int] | None:
        return store_scope(request.user)

    def scope_queryset(self, request, queryset):
        """``queryset`` narrowed to the person's stores; exports and custom pages call this too."""
        scope = self.scope(request)
        if scope is None:
            return queryset
        condition = Q()
        for path in self.store_fields:
            condition |= Q(**{f"{path}__in": scope})
        return queryset.filter(condition).distinct() if any("__" in p for p in self.store_fields) else queryset.filter(condition)

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _in_scope_or_404(self, request, object_id) -> None:
        # Checked before Django's permission checks, so a read-only page answers a POST about another
        # store's object with the same 404 as a GET, not a 403 that says it exists.
        if object_id is None or self.scope(request) is None:
            return
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise Http404

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another store's object answers exactly as a missing one, and says nothing about it.
        raise Http404

    def response_action(self, request, queryset):
        # The changelist would quietly drop ids outside the scope and act on the rest; a selection that
        # reaches into another store is refused whole instead, so a tampered form changes nothing.
        selected = set(request.POST.getlist(ACTION_CHECKBOX_NAME))
        if selected and self.scope(request) is not None:
            try:
                visible = self.get_queryset(request).filter(pk__in=selected).count()
            except (ValueError, ValidationError):
                visible = -1
            if visible != len(selected):
                self.message_user(request, gettext("Some of the chosen items are not in your stores; nothing was done."),
                                  messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and _leads_to_store(self.model, entry):
                entry = (entry, ScopedStoreListFilter)
            filters.append(entry)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = self.scope(request)
        if scope is not None and db_field.related_model is Store:
            kwargs["queryset"] = Store.objects.filter(pk__in=scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class StoreListScopedAdminMixin(StoreScopedAdminMixin):
    """For the store list itself: store staff see (and autocomplete) only their own stores."""

    store_fields = ("pk",)
