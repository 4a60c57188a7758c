"""Production's static storage answers each file's hashed URL from the manifest, and remembers it."""

import json

import pytest

from shop.static_storage import ManifestStaticStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/shop.css": "css/shop.0123456789ab.css"}})
    )
    return ManifestStaticStorage(location=str(tmp_path), base_url="/static/")


def test_a_file_s_url_is_its_hashed_name_from_the_manifest(storage):
    assert storage.url("css/shop.css") == "/static/css/shop.0123456789ab.css"


def test_a_file_s_url_is_worked_out_once_per_process(storage):
    first = storage.url("css/shop.css")
    storage.hashed_files = {}  # were it asked again, the manifest would no longer know the file

    assert storage.url("css/shop.css") == first


def test_a_file_missing_from_the_manifest_is_refused_every_time_not_remembered(storage):
    for _ in range(2):
        with pytest.raises(ValueError):
            storage.url("css/missing.css")
