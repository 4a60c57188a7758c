from functools import partial

from django.contrib import admin, messages
from django.db import models, transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import services
from catalog.models import (
    Attribute,
    AttributeOption,
    Brand,
    Category,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    Review,
    ReviewPhoto,
    Tag,
    Variant,
)
from shop.queue import queue_task


class DepthFilter(admin.SimpleListFilter):
    """Filter the tree by level, labelled for staff (the depth column itself has no verbose name)."""

    title = _("level")
    parameter_name = "depth"

    def lookups(self, request, model_admin):
        levels = Category.objects.order_by("depth").values_list("depth", flat=True).distinct()
        return [(str(depth), _("level %(number)d") % {"number": depth + 1}) for depth in levels]

    def queryset(self, request, queryset):
        return queryset.filter(depth=int(self.value())) if (self.value() or "").isdigit() else queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "slug", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", DepthFilter]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    filter_horizontal = ["filter_attributes"]
    ordering = ["path"]
    list_per_page = 200

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, category):
        return format_html('<span style="padding-left:{}em">{}</span>', category.depth * 1.5, category.name)

    def save_model(self, request, obj, form, change):
        # The service keeps the materialised path of the whole subtree right.
        services.save_category(category=obj)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class AttributeOptionInline(admin.TabularInline):
    model = AttributeOption
    extra = 1
    prepopulated_fields = {"slug": ["value"]}


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "unit", "is_filterable", "position"]
    list_filter = ["kind", "is_filterable"]
    search_fields = ["name", "code"]
    inlines = [AttributeOptionInline]


class OptionValueInline(admin.TabularInline):
    model = OptionValue
    extra = 1


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]
    inlines = [OptionValueInline]


@admin.register(OptionValue)
class OptionValueAdmin(admin.ModelAdmin):
    list_display = ["option", "value", "position"]
    list_filter = ["option"]
    search_fields = ["value", "option__name"]

    def has_module_permission(self, request):
        return False  # edited inside Option; registered for autocomplete only


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "price", "compare_at_price", "option_values", "weight_grams", "is_active", "position"]
    autocomplete_fields = ["option_values"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["preview", "image", "variant", "alt_text", "position"]
    readonly_fields = ["preview"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "variant":
            field.label = _("variant (SKU)")  # the model field has no verbose name of its own
        return field

    @admin.display(description=_("preview"))
    def preview(self, image):
        if not image.pk or not image.image:
            return ""
        return format_html('<img src="{}" style="height:64px;width:64px;object-fit:cover">', image.card_url)


class AttributeValueInline(admin.TabularInline):
    model = ProductAttributeValue
    extra = 0
    fields = ["attribute", "option", "value_text", "value_number", "value_boolean"]
    autocomplete_fields = ["attribute", "option"]


@admin.register(AttributeOption)
class AttributeOptionAdmin(admin.ModelAdmin):
    search_fields = ["value", "attribute__name"]

    def has_module_permission(self, request):
        return False  # edited inside Attribute; registered for autocomplete only


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "brand", "price", "is_published", "is_in_stock", "is_featured", "created_at"]
    list_filter = ["is_published", "is_featured", "is_in_stock", "brand", "category", "tags"]
    list_select_related = ["category", "brand"]
    search_fields = ["name", "slug", "variants__sku"]
    search_help_text = _("Search by name, slug or SKU code.")
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category", "brand", "related_products"]
    filter_horizontal = ["tags"]
    readonly_fields = ["price", "is_in_stock", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [VariantInline, ProductImageInline, AttributeValueInline]
    actions = ["publish", "unpublish"]
    list_per_page = 50
    # A video link typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "slug", "category", "brand", "tags", "summary", "description", "video_url"]}),
        (_("Availability"), {"fields": ["is_published", "is_featured", "available_from", "available_until"]}),
        (_("Search engines"), {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]}),
        (_("Related products"), {"fields": ["related_products"], "classes": ["collapse"]}),
        (_("Kept up to date automatically"), {"fields": ["price", "is_in_stock", "created_at", "updated_at"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        product = form.instance
        services.refresh_product_summary(product_ids=[product.pk])
        for image in product.images.filter(card_thumbnail=""):
            transaction.on_commit(partial(queue_task, "catalog.tasks.make_thumbnails_task", image.pk))

    @admin.action(description=_("Publish the selected products"), permissions=["change"])
    def publish(self, request, queryset):
        count = services.set_published(product_ids=queryset.values_list("pk", flat=True), is_published=True)
        self.message_user(
            request, ngettext("%d product published.", "%d products published.", count) % count, messages.SUCCESS
        )

    @admin.action(description=_("Unpublish the selected products"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = services.set_published(product_ids=queryset.values_list("pk", flat=True), is_published=False)
        self.message_user(
            request, ngettext("%d product unpublished.", "%d products unpublished.", count) % count, messages.SUCCESS
        )


class ReviewPhotoInline(admin.TabularInline):
    model = ReviewPhoto
    extra = 0
    fields = ["image", "position"]
    readonly_fields = ["image", "position"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Moderation: publish or reject with the actions, reply on the review's page (the reply shows under it)."""

    list_display = ["product", "rating", "status", "order_number", "created_at", "has_reply"]
    list_filter = ["status", "rating"]
    search_fields = ["product__name", "order_number", "text"]
    list_select_related = ["product"]
    fields = ["product", "variant", "user", "order_number", "rating", "text", "status", "helpful_count",
              "created_at", "published_at", "reply", "replied_by", "replied_at"]
    readonly_fields = ["product", "variant", "user", "order_number", "rating", "text", "status", "helpful_count",
                       "created_at", "published_at", "replied_by", "replied_at"]
    inlines = [ReviewPhotoInline]
    actions = ["publish_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False  # reviews come from buyers only

    @admin.display(boolean=True, description=_("replied"))
    def has_reply(self, review):
        return bool(review.reply)

    def save_model(self, request, obj, form, change):
        from catalog.reviews import reply_to_review

        # Only the reply is editable; the service stamps who replied and when.
        reply_to_review(review=obj, reply=form.cleaned_data.get("reply", ""), staff_user=request.user)

    @admin.action(description=_("Publish the selected reviews"), permissions=["change"])
    def publish_selected(self, request, queryset):
        from catalog.reviews import publish_reviews

        count = publish_reviews(review_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%(count)d review published.", "%(count)d reviews published.", count)
                          % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Reject the selected reviews"), permissions=["change"])
    def reject_selected(self, request, queryset):
        from catalog.reviews import reject_reviews

        count = reject_reviews(review_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%(count)d review rejected.", "%(count)d reviews rejected.", count)
                          % {"count": count}, messages.SUCCESS)
