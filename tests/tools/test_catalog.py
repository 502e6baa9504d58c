"""The instance catalog: the one price lookup and the one way money is written for people."""

from __future__ import annotations

import pytest

from tools.catalog import catalog, money, price, price_source


def test_price_is_the_catalog_row_or_none() -> None:
    assert price("ml.trn2.48xlarge") == catalog().get("ml.trn2.48xlarge").price_usd_per_hour
    assert price("ml.nope.xlarge") is None and price(None) is None


@pytest.mark.parametrize(
    ("value", "options", "text"),
    [
        (1234.5, {}, "$1,234.50"),
        (223.88, {"per_hour": True}, "$223.88/h"),
        (0.2185, {"per_hour": True, "digits": 3}, "$0.218/h"),
        (55.97, {"per_hour": True, "signed": True}, "+$55.97/h"),
        (-8.44, {"per_hour": True, "signed": True}, "-$8.44/h"),
        (-8.44, {}, "-$8.44"),
        (None, {"per_hour": True}, "n/a"),
    ],
)
def test_money_is_written_one_way(value: float | None, options: dict, text: str) -> None:
    assert money(value, **options) == text


def test_prices_say_where_they_come_from() -> None:
    assert price_source() == f"on-demand list price, {catalog().price_region}, {catalog().price_date}"
