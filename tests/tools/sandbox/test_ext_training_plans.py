"""Sandbox training-plan extension: deterministic offerings, plans bought from them, botocore's shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.tools.helpers import grant_all
from tools.base import ToolContext
from tools.sandbox import core
from tools.sandbox.ext_training_common import now
from tools.sandbox.extensions import validate_output

TRN2 = 55.97


@pytest.fixture
def sm(ctx: ToolContext) -> Iterator[Any]:
    with grant_all("sagemaker:CreateTrainingPlan"):
        yield ctx.clients.client("sagemaker")


def _search(sm: Any, **params: Any) -> list[dict[str, Any]]:
    query = {"InstanceType": "ml.trn2.48xlarge", "InstanceCount": 4, "DurationHours": 100, **params}
    response = sm.search_training_plan_offerings(**query)
    validate_output(sm.raw, "SearchTrainingPlanOfferings", response)
    return response["TrainingPlanOfferings"]


def test_offerings_are_deterministic_whole_days_and_discounted(sm: Any) -> None:
    offerings = _search(sm)
    assert [o["TrainingPlanOfferingId"] for o in offerings] == [o["TrainingPlanOfferingId"] for o in _search(sm)]
    assert len(offerings) == 3
    on_demand = TRN2 * 4 * 120  # 100 h are sold as 5 whole days
    fees = [float(o["UpfrontFee"]) for o in offerings]
    assert fees == [pytest.approx(on_demand * f, abs=0.01) for f in (0.88, 0.80, 0.74)]
    for o in offerings:
        [reserved] = o["ReservedCapacityOfferings"]
        assert (reserved["InstanceType"], reserved["InstanceCount"], o["DurationHours"]) == ("ml.trn2.48xlarge", 4, 120)
        assert reserved["StartTime"] > now() and reserved["EndTime"] - reserved["StartTime"] == timedelta(hours=120)
        assert (reserved["StartTime"].hour, reserved["StartTime"].minute) == (11, 30)


@pytest.mark.parametrize(("count", "expected"), [(16, 3), (17, 2), (64, 2), (100, 1), (129, 0)])
def test_big_blocks_get_fewer_offerings(sm: Any, count: int, expected: int) -> None:
    assert len(_search(sm, InstanceCount=count)) == expected


def test_end_time_bound_drops_later_offerings(sm: Any) -> None:
    offerings = _search(sm, EndTimeBefore=now() + timedelta(days=9))
    assert len(offerings) == 1 and offerings[0]["RequestedEndTimeBefore"]


def test_search_needs_type_count_and_duration(sm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sm.search_training_plan_offerings(InstanceType="ml.trn2.48xlarge", InstanceCount=1)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_buy_describe_and_list_a_plan(sm: Any) -> None:
    offering = _search(sm)[0]
    created = sm.create_training_plan(TrainingPlanName="p1", TrainingPlanOfferingId=offering["TrainingPlanOfferingId"])
    validate_output(sm.raw, "CreateTrainingPlan", created)
    described = sm.describe_training_plan(TrainingPlanName="p1")
    validate_output(sm.raw, "DescribeTrainingPlan", described)
    assert (described["Status"], described["UpfrontFee"], described["TotalInstanceCount"]) == (
        "Scheduled",
        offering["UpfrontFee"],
        4,
    )
    assert sm.describe_training_plan(TrainingPlanName=created["TrainingPlanArn"])["TrainingPlanName"] == "p1"
    listed = sm.list_training_plans(Filters=[{"Name": "Status", "Value": "Scheduled"}])
    validate_output(sm.raw, "ListTrainingPlans", listed)
    assert [p["TrainingPlanName"] for p in listed["TrainingPlanSummaries"]] == ["p1"]
    assert sm.list_training_plans(Filters=[{"Name": "Status", "Value": "Active"}])["TrainingPlanSummaries"] == []


def test_plan_errors_follow_aws(sm: Any) -> None:
    offering_id = _search(sm)[0]["TrainingPlanOfferingId"]
    sm.create_training_plan(TrainingPlanName="p1", TrainingPlanOfferingId=offering_id)
    with pytest.raises(ClientError) as dup:
        sm.create_training_plan(TrainingPlanName="p1", TrainingPlanOfferingId=offering_id)
    assert dup.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as unknown:
        sm.create_training_plan(TrainingPlanName="p2", TrainingPlanOfferingId="tpo-never-offered")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as missing:
        sm.describe_training_plan(TrainingPlanName="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_an_offering_found_by_a_search_can_be_bought_from_another_process(sm: Any, sandbox: Any) -> None:
    # GIVEN an offering found by a search in this process (a read: nothing else was written)
    offering_id = _search(sm)[0]["TrainingPlanOfferingId"]
    # WHEN another opsbot process on the same home (a fresh sandbox that loads the saved state) buys it
    other = core.Sandbox(sandbox.home, core.SEED_REGION)
    client = other.client("sagemaker")
    created = other.call(
        client.create_training_plan, {"TrainingPlanName": "bought-elsewhere", "TrainingPlanOfferingId": offering_id}
    )
    # THEN the purchase succeeds: the search kept the offering in the persisted state
    assert created["TrainingPlanArn"].endswith(":training-plan/bought-elsewhere")


def test_offerings_whose_reservation_began_can_no_longer_be_bought(sm: Any, sandbox: Any) -> None:
    # GIVEN an offering found by a search, whose reservation start has since passed
    offering = _search(sm)[0]
    stored = sandbox.ext["training_plan_offerings"][offering["TrainingPlanOfferingId"]]
    stored["ReservedCapacityOfferings"][0]["StartTime"] = now() - timedelta(minutes=1)
    # WHEN it is bought
    with pytest.raises(ClientError) as caught:
        sm.create_training_plan(TrainingPlanName="late", TrainingPlanOfferingId=offering["TrainingPlanOfferingId"])
    # THEN it is not found, and the stale offering is dropped from the store
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    assert offering["TrainingPlanOfferingId"] not in sandbox.ext["training_plan_offerings"]
