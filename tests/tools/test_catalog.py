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


# ----------------------------------------------------------------- the seed's training instances
SEED_TRAINING = ["ml.p6e-gb200.36xlarge", "ml.p5.48xlarge", "ml.p5e.48xlarge", "ml.trn1n.32xlarge"] + [
    f"ml.g6e.{size}"
    for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")
]


@pytest.mark.parametrize("name", SEED_TRAINING)
def test_the_seed_s_training_instances_have_a_dated_price_and_accelerators(name: str) -> None:
    import botocore.session

    row = catalog().get(name)
    assert row is not None and {"training", "hyperpod"} <= set(row.uses)
    assert row.price_usd_per_hour > 0 and row.price_date and row.accelerator and row.accelerator.count >= 1
    # AND the real API accepts it for training jobs and HyperPod
    model = botocore.session.get_session().get_service_model("sagemaker")
    for shape in ("TrainingInstanceType", "ClusterInstanceType"):
        assert name in model.shape_for(shape).enum


def test_a_type_aws_prices_for_no_one_says_its_price_is_an_estimate() -> None:
    from tools.catalog import price_note, price_notes

    note = price_note("ml.p6e-gb200.36xlarge")
    assert note and "no on-demand price" in note and "estimated" in note
    assert price_note("ml.trn2.48xlarge") is None
    assert price_notes(["ml.trn2.48xlarge", "ml.p6e-gb200.36xlarge", "ml.p6e-gb200.36xlarge"]) == [note]


def test_p6e_gb200_comes_in_ultraservers_of_9_and_18() -> None:
    kinds = catalog().ultraservers_of("ml.p6e-gb200.36xlarge")
    assert [(u.name, u.instance_count) for u in kinds] == [("ml.u-p6e-gb200x36", 9), ("ml.u-p6e-gb200x72", 18)]
    assert catalog().ultraserver("ml.u-p6e-gb200x72") == kinds[1] and catalog().ultraserver("nope") is None


def test_neuron_cores_and_efa_are_stated() -> None:
    assert catalog().get("ml.inf2.48xlarge").accelerator.neuron_cores == 24
    assert catalog().get("ml.trn1n.32xlarge").accelerator.neuron_cores == 32
    assert catalog().get("ml.p6e-gb200.36xlarge").efa and not catalog().get("ml.g6e.xlarge").efa


def test_serverless_caches_are_priced_by_use() -> None:
    valkey = catalog().serverless_caches["valkey"]
    # 10 GB and 1 million ECPUs an hour; below the minimum, the minimum is billed
    assert valkey.per_hour(10, 1e6 / 3600) == pytest.approx(10 * valkey.usd_per_gb_hour + valkey.usd_per_million_ecpu)
    assert valkey.per_hour(0, 0) == pytest.approx(valkey.minimum_gb * valkey.usd_per_gb_hour)
