"""factory_boy factories for the catalogue and stores."""

import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import Attribute, AttributeOption, Brand, Category, Product, ProductImage, Tag, Variant
from catalog.services import refresh_product_summary, save_category
from stores.models import Store


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类目{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return save_category(category=model_class(*args, **kwargs))


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"品牌{n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"标签{n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A published product with one variant priced ``price`` (default ¥10.00)."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"商品{n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.SubFactory(CategoryFactory)
    brand = None
    is_published = True
    is_in_stock = True

    @factory.post_generation
    def price(product, create, extracted, **kwargs):
        if not create:
            return
        Variant.objects.create(
            product=product,
            sku=f"SKU-{product.slug}",
            price=extracted or Decimal("10.00"),
            is_in_stock=product.is_in_stock,
        )
        refresh_product_summary(product_ids=[product.pk])
        product.refresh_from_db()


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"VAR-{n:06d}")
    price = Decimal("10.00")
    is_in_stock = True


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attribute

    name = factory.Sequence(lambda n: f"属性{n}")
    code = factory.Sequence(lambda n: f"attr{n}")
    kind = Attribute.Kind.CHOICE


class AttributeOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeOption

    attribute = factory.SubFactory(AttributeFactory)
    value = factory.Sequence(lambda n: f"选项{n}")
    slug = factory.Sequence(lambda n: f"option-{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"门店{n}")
    code = factory.Sequence(lambda n: f"store{n}")


def png_bytes(size=(32, 32), color=(200, 30, 30), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def bomb_png(width=30000, height=30000) -> bytes:
    """A tiny valid PNG whose header claims ``width``×``height`` pixels: a decompression bomb."""
    import struct
    import zlib

    data = bytearray(png_bytes(size=(1, 1)))
    # IHDR is the first chunk: 8-byte signature, 4-byte length, b"IHDR", then width and height.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.LazyFunction(lambda: SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png"))


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.Address"

    recipient = "张三"
    phone = "13800138000"
    province = "上海市"
    city = "上海市"
    district = "徐汇区"
    detail = "漕溪北路 88 号 1201 室"


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.ShippingMethod"

    name = "全国快递"
    code = factory.Sequence(lambda n: f"express-{n}")
    base_fee = Decimal("8.00")
    included_weight_grams = 1000
    fee_per_extra_kg = Decimal("2.00")


def stocked_variant(*, store, on_hand=10, price=Decimal("10.00"), **product_fields):
    """A published product whose single variant has ``on_hand`` units in ``store``."""
    from stores.services import receive_stock

    product = ProductFactory(price=price, is_in_stock=False, **product_fields)
    variant = product.variants.get()
    if on_hand:
        receive_stock(store_id=store.pk, variant_id=variant.pk, quantity=on_hand)
    variant.refresh_from_db()
    return variant
