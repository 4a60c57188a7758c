"""Uploaded files' URLs: the shop's storage gives exactly the URL Django's file system storage gives."""

import pytest
from django.core.files.storage import FileSystemStorage, storages

from shop.media_storage import MediaStorage

NAMES = [
    "thumbs/card/475-kitchen-tableware-1.jpg",
    "products/有机 大米 5kg.jpg",
    "products/a:b/c?d#e.png",
    "products/100%25 off & more+.webp",
    "/products/leading-slash.jpg",
    "products/./here.jpg",
    "products/../elsewhere.jpg",
    "./products/x.jpg",
    "products/.hidden.jpg",
    "products\\windows\\path.jpg",
    "",
]


def test_uploaded_files_are_stored_by_the_shops_storage():
    assert isinstance(storages["default"], MediaStorage)


@pytest.mark.parametrize("base_url", ["/media/", "/media", "https://cdn.example.com/shop/media/", "//cdn.example.com/m/"])
@pytest.mark.parametrize("name", NAMES)
def test_a_files_url_is_the_one_djangos_storage_gives(tmp_path, base_url, name):
    ours = MediaStorage(location=tmp_path, base_url=base_url)
    django_s = FileSystemStorage(location=tmp_path, base_url=base_url)

    assert ours.url(name) == django_s.url(name)


def test_a_storage_without_a_base_url_refuses_as_djangos_does(tmp_path, settings):
    settings.MEDIA_URL = None
    with pytest.raises(ValueError):
        MediaStorage(location=tmp_path).url("x.jpg")
