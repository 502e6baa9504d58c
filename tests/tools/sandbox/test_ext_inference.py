"""Sandbox endpoints: inf2 and p6-b200 configs, the Creating/Updating lifecycle, update_endpoint, seed, metrics.

Responses are checked against botocore's output shapes; errors against what SageMaker answers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.sandbox import get_sandbox
from tools.sandbox.extensions import validate_output

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.30.0-neuronx-sdk2.20.1"


@pytest.fixture
def sm(settings) -> Iterator[Any]:
    """An unguarded sandbox SageMaker client with the seeded state loaded."""
    sandbox = get_sandbox(settings)
    with sandbox.session():
        yield sandbox.client("sagemaker")


def _model(sm: Any, name: str) -> None:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://checkpoints/m/model.tar.gz"},
    )


def _config(sm: Any, name: str, model: str, instance_type: str = "ml.inf2.xlarge", count: int = 1) -> dict:
    return sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": instance_type,
                "InitialInstanceCount": count,
            }
        ],
    )


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _endpoint(sm: Any, name: str = "ep", instance_type: str = "ml.inf2.xlarge", count: int = 1) -> dict:
    _model(sm, f"{name}-model")
    _config(sm, f"{name}-config", f"{name}-model", instance_type, count)
    return sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


# ---------------------------------------------------------------------------------------------- seed
def test_seed_has_both_endpoints_in_service_on_their_types(sm) -> None:
    listed = sm.list_endpoints()
    validate_output(sm, "ListEndpoints", listed)
    assert {(e["EndpointName"], e["EndpointStatus"]) for e in listed["Endpoints"]} == {
        ("chat-prod", "InService"),
        ("llama8b-inf2", "InService"),
    }
    for name, kind in (("chat-prod", "ml.p6-b200.48xlarge"), ("llama8b-inf2", "ml.inf2.24xlarge")):
        endpoint = sm.describe_endpoint(EndpointName=name)
        validate_output(sm, "DescribeEndpoint", endpoint)
        assert endpoint["EndpointConfigName"] == f"{name}-config"
        assert endpoint["ProductionVariants"][0]["CurrentInstanceCount"] == 1
        config = sm.describe_endpoint_config(EndpointConfigName=f"{name}-config")
        validate_output(sm, "DescribeEndpointConfig", config)
        assert config["ProductionVariants"][0]["InstanceType"] == kind
        assert config["ProductionVariants"][0]["ModelName"] == f"{name}-model"
        assert sm.describe_model(ModelName=f"{name}-model")["PrimaryContainer"]["Image"].endswith(
            "cu128" if "p6" in kind else "neuronx-sdk2.20.1"
        )


def test_seed_has_an_hour_of_endpoint_metrics(settings) -> None:
    sandbox = get_sandbox(settings)
    with sandbox.session():
        cw = sandbox.client("cloudwatch")
        now = datetime.now(UTC)
        dims = [{"Name": "EndpointName", "Value": "llama8b-inf2"}, {"Name": "VariantName", "Value": "AllTraffic"}]
        stats = cw.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=dims,
            StartTime=now - timedelta(hours=1),
            EndTime=now,
            Period=60,
            Statistics=["Sum"],
        )
        validate_output(cw, "GetMetricStatistics", stats)
        assert len(stats["Datapoints"]) >= 55
        assert all(250 <= d["Sum"] <= 350 for d in stats["Datapoints"])
        gpu = cw.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "gpu",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "/aws/sagemaker/Endpoints",
                            "MetricName": "GPUUtilization",
                            "Dimensions": [{"Name": "EndpointName", "Value": "chat-prod"}, dims[1]],
                        },
                        "Period": 3600,
                        "Stat": "Average",
                    },
                }
            ],
            StartTime=now - timedelta(hours=1),
            EndTime=now,
        )
        assert 500 < gpu["MetricDataResults"][0]["Values"][0] < 620  # ~70% on each of 8 GPUs, summed


# ------------------------------------------------------------------------------- configs and models
@pytest.mark.parametrize("kind", ["ml.inf2.xlarge", "ml.inf2.48xlarge", "ml.p6-b200.48xlarge"])
def test_endpoint_config_accepts_inf2_and_p6_b200(sm, kind) -> None:
    _model(sm, "m")
    created = _config(sm, "c", "m", kind)
    validate_output(sm, "CreateEndpointConfig", created)
    assert created["EndpointConfigArn"].endswith(":endpoint-config/c")
    assert sm.describe_endpoint_config(EndpointConfigName="c")["ProductionVariants"][0]["InstanceType"] == kind


def test_endpoint_config_rejects_what_sagemaker_rejects(sm) -> None:
    _model(sm, "m")
    with pytest.raises(ClientError) as err:
        _config(sm, "c", "m", "ml.bogus.xlarge")
    code, message = _code(err)
    assert code == "ValidationException" and "Member must satisfy enum value set" in message
    with pytest.raises(ClientError) as err:
        _config(sm, "c", "no-such-model")
    assert _code(err) == (
        "ValidationException",
        'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/no-such-model".',
    )
    _config(sm, "c", "m")
    with pytest.raises(ClientError) as err:
        _config(sm, "c", "m")
    assert "Cannot create already existing endpoint configuration" in _code(err)[1]


def test_a_model_cannot_be_created_twice(sm) -> None:
    _model(sm, "m")
    with pytest.raises(ClientError) as err:
        _model(sm, "m")
    assert _code(err)[0] == "ValidationException" and "Cannot create already existing model" in _code(err)[1]


# ----------------------------------------------------------------------------------------- lifecycle
def test_endpoint_is_creating_then_in_service_on_the_next_describe(sm) -> None:
    created = _endpoint(sm, count=2)
    validate_output(sm, "CreateEndpoint", created)
    assert sm.list_endpoints(NameContains="ep")["Endpoints"][0]["EndpointStatus"] == "Creating"
    first = sm.describe_endpoint(EndpointName="ep")
    validate_output(sm, "DescribeEndpoint", first)
    assert first["EndpointStatus"] == "Creating"
    assert first["ProductionVariants"][0]["DesiredInstanceCount"] == 2
    assert "CurrentInstanceCount" not in first["ProductionVariants"][0]
    second = sm.describe_endpoint(EndpointName="ep")
    assert second["EndpointStatus"] == "InService"
    assert second["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    assert sm.list_endpoints(NameContains="ep")["Endpoints"][0]["EndpointStatus"] == "InService"


def test_the_advance_on_describe_is_saved_for_other_processes(settings) -> None:
    sandbox = get_sandbox(settings)
    with sandbox.session():
        sm = sandbox.client("sagemaker")
        _endpoint(sm)
    with sandbox.session():
        assert sandbox.client("sagemaker").describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Creating"
    code = (
        "from tools.runtime import make_context\n"
        "sm = make_context().clients.client('sagemaker')\n"
        "print(sm.list_endpoints(NameContains='ep')['Endpoints'][0]['EndpointStatus'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "InService"


def test_create_endpoint_rejects_a_taken_name_and_a_missing_config(sm) -> None:
    _endpoint(sm)
    with pytest.raises(ClientError) as err:
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="ep-config")
    assert "Cannot create already existing endpoint" in _code(err)[1]
    with pytest.raises(ClientError) as err:
        sm.create_endpoint(EndpointName="other", EndpointConfigName="nope")
    assert "Could not find endpoint configuration" in _code(err)[1]
    assert len(sm.list_endpoints(NameContains="ep")["Endpoints"]) == 1


def test_update_endpoint_switches_config_through_updating(sm) -> None:
    _endpoint(sm, count=1)
    sm.describe_endpoint(EndpointName="ep")  # Creating -> InService
    _config(sm, "ep-config-2", "ep-model", "ml.inf2.8xlarge", 3)
    updated = sm.update_endpoint(EndpointName="ep", EndpointConfigName="ep-config-2")
    validate_output(sm, "UpdateEndpoint", updated)
    during = sm.describe_endpoint(EndpointName="ep")
    assert during["EndpointStatus"] == "Updating" and during["EndpointConfigName"] == "ep-config-2"
    variant = during["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (1, 3)
    after = sm.describe_endpoint(EndpointName="ep")
    assert after["EndpointStatus"] == "InService" and after["ProductionVariants"][0]["CurrentInstanceCount"] == 3


def test_update_endpoint_refusals(sm) -> None:
    _endpoint(sm)
    with pytest.raises(ClientError) as err:  # still Creating
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="ep-config")
    assert "Cannot update in-progress endpoint" in _code(err)[1]
    sm.describe_endpoint(EndpointName="ep")
    with pytest.raises(ClientError) as err:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="nope")
    assert "Could not find endpoint configuration" in _code(err)[1]
    with pytest.raises(ClientError) as err:
        sm.update_endpoint(EndpointName="nope", EndpointConfigName="ep-config")
    assert _code(err)[1] == 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nope".'


def test_weights_and_capacities_scale_through_updating(sm) -> None:
    answer = sm.update_endpoint_weights_and_capacities(
        EndpointName="llama8b-inf2",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 4}],
    )
    validate_output(sm, "UpdateEndpointWeightsAndCapacities", answer)
    during = sm.describe_endpoint(EndpointName="llama8b-inf2")
    assert during["EndpointStatus"] == "Updating"
    assert during["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert during["ProductionVariants"][0]["DesiredInstanceCount"] == 4
    after = sm.describe_endpoint(EndpointName="llama8b-inf2")
    assert after["EndpointStatus"] == "InService" and after["ProductionVariants"][0]["CurrentInstanceCount"] == 4


def test_weights_and_capacities_refusals(sm) -> None:
    for desired, says in (
        ([{"VariantName": "Other", "DesiredInstanceCount": 2}], "is/are not present"),
        (
            [{"VariantName": "AllTraffic", "DesiredInstanceCount": 2}, {"VariantName": "AllTraffic"}],
            "non-unique",
        ),
    ):
        with pytest.raises(ClientError) as err:
            sm.update_endpoint_weights_and_capacities(EndpointName="chat-prod", DesiredWeightsAndCapacities=desired)
        assert says in _code(err)[1]
    with pytest.raises(ClientError) as err:
        sm.update_endpoint_weights_and_capacities(
            EndpointName="nope", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic"}]
        )
    assert "Could not find endpoint" in _code(err)[1]


def test_moto_still_lists_tags_and_deletes_our_objects(sm) -> None:
    _model(sm, "m")
    _config(sm, "c", "m", "ml.p6-b200.48xlarge")
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c", Tags=[{"Key": "opsbot:request", "Value": "ap-9"}])
    arn = sm.describe_endpoint(EndpointName="e")["EndpointArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "opsbot:request", "Value": "ap-9"}]
    sm.delete_endpoint(EndpointName="e")
    sm.delete_endpoint_config(EndpointConfigName="c")
    sm.delete_model(ModelName="m")
    with pytest.raises(ClientError):
        sm.describe_endpoint(EndpointName="e")
    assert "c" not in [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]]
