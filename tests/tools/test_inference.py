"""The endpoint writes: create_inference_endpoint, scale_endpoint, delete_endpoint.

Each runs against the sandbox (plan, run, result, render), and its requests are checked field by field
with botocore's Stubber on a live-mode client (no network: every call is stubbed).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from tools import guard, runtime
from tools.aws import AwsClients
from tools.base import ToolContext
from tools.config import get_settings
from tools.errors import ApprovalRequiredError, MutationBlockedError, NotFoundError, ToolInputError
from tools.guard import is_mutating
from tools.registry import get_tool

LIVE_ACCOUNT = "111122223333"
NEURON_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.30.0-neuronx-sdk2.20.1"
CREATE_ARGS = {
    "endpoint_name": "llama70b",
    "instance_type": "inf2.24xlarge",
    "instance_count": 2,
    "model_s3_uri": "s3://checkpoints/llama70b",
}


# ----------------------------------------------------------------------------------------- helpers
def _grant(name: str, raw: dict[str, Any], ctx: ToolContext, ops: list[str], approval: str = "ap-1") -> guard.Grant:
    args = runtime.parse_args(get_tool(name), raw)
    digest = guard.call_hash(
        name, runtime.args_dict(args), ctx.account, ctx.region, ctx.requester or "", ctx.thread or ""
    )
    return guard.Grant(approval, digest, frozenset(ops), time.time() + 60)


def _approve_and_run(name: str, raw: dict[str, Any], ctx: ToolContext, approval: str = "ap-1"):
    plan = runtime.plan(name, raw, ctx)
    return plan, runtime.run_approved(name, raw, ctx, _grant(name, raw, ctx, plan.aws_operations, approval))


class Recorder:
    """Records every SageMaker request (operation, caller's parameters) made through ``ctx``."""

    def __init__(self, ctx: ToolContext) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        ctx.clients.client("sagemaker").raw.meta.events.register("before-parameter-build.sagemaker", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    @property
    def writes(self) -> list[str]:
        return [f"sagemaker:{op}" for op, _ in self.calls if is_mutating("sagemaker", op)]


def _sm(ctx: ToolContext) -> Any:
    return ctx.clients.client("sagemaker")


@pytest.fixture
def live_ctx() -> ToolContext:
    """A live-mode context (real boto3 clients) whose account lookup is stubbed; tests stub the rest."""
    settings = get_settings(live=True)
    clients = AwsClients(settings)
    with Stubber(clients.client("sts").raw) as sts:
        sts.add_response(
            "get_caller_identity",
            {"Account": LIVE_ACCOUNT, "Arn": f"arn:aws:iam::{LIVE_ACCOUNT}:user/alice", "UserId": "AIDA"},
        )
        ctx = runtime.make_context(settings, requester="alice", thread="t-test", clients=clients)
        assert ctx.account == LIVE_ACCOUNT
    return ctx


def _not_found(stub: Stubber, method: str, what: str, params: dict[str, Any]) -> None:
    stub.add_client_error(
        method,
        service_error_code="ValidationException",
        service_message=f'Could not find {what} "arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:x".',
        http_status_code=400,
        expected_params=params,
    )


# --------------------------------------------------------------------------- create_inference_endpoint
def test_create_endpoint_on_the_sandbox(ctx) -> None:
    rec = Recorder(ctx)
    # WHEN the create is planned, approved and run
    plan, out = _approve_and_run("create_inference_endpoint", CREATE_ARGS, ctx)
    # THEN the plan names the type, count, hourly cost and exactly the writes the run made
    assert (plan.instance_type, plan.instance_count, plan.cost_usd_per_hour) == ("ml.inf2.24xlarge", 2, 16.88)
    assert plan.aws_operations == [
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:CreateEndpoint",
    ]
    assert rec.writes == plan.aws_operations
    assert plan.effect == "write" and plan.risk == "medium" and not plan.warnings
    # AND the result is the new endpoint, Creating, with deterministic names
    r = out.result
    assert (r["endpoint_name"], r["status"], r["instance_count"]) == ("llama70b", "Creating", 2)
    assert (r["model_name"], r["endpoint_config_name"]) == ("llama70b-model", "llama70b-config")
    assert r["image_uri"] == NEURON_IMAGE and r["request_tag"] == "ap-1"
    assert r["created"] == ["model llama70b-model", "endpoint config llama70b-config", "endpoint llama70b"]
    assert "llama70b is Creating: 2 x ml.inf2.24xlarge, $16.88/h" in out.text
    # AND the endpoint carries the request tag and becomes InService
    sm = _sm(ctx)
    tags = sm.list_tags(ResourceArn=r["endpoint_arn"])["Tags"]
    assert {"Key": "opsbot:request", "Value": "ap-1"} in tags
    listed = runtime.run_read("list_endpoints", {}, ctx).result["endpoints"]
    assert {"endpoint_name": "llama70b", "instance_count": 2, "cost_usd_per_hour": 16.88}.items() <= next(
        e for e in listed if e["endpoint_name"] == "llama70b"
    ).items()
    assert sm.describe_endpoint(EndpointName="llama70b")["EndpointStatus"] == "InService"


def test_create_request_fields(live_ctx) -> None:
    # GIVEN a live-mode client whose every SageMaker call is stubbed with the exact expected request
    tag = [{"Key": "opsbot:request", "Value": "ap-1"}]
    container = {
        "Image": NEURON_IMAGE,
        "ModelDataSource": {
            "S3DataSource": {"S3Uri": "s3://checkpoints/llama70b/", "S3DataType": "S3Prefix", "CompressionType": "None"}
        },
        "Environment": {"HF_MODEL_ID": "/opt/ml/model", "OPTION_TENSOR_PARALLEL_DEGREE": "12"},
    }
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "llama70b-model",
        "InstanceType": "ml.inf2.24xlarge",
        "InitialInstanceCount": 2,
        "InitialVariantWeight": 1.0,
        "ModelDataDownloadTimeoutInSeconds": 3600,
        "ContainerStartupHealthCheckTimeoutInSeconds": 3600,
    }
    arn = f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint/llama70b"
    now = "2026-11-01T00:00:00Z"
    sm = live_ctx.clients.client("sagemaker").raw
    with Stubber(sm) as stub:
        _not_found(stub, "describe_endpoint", "endpoint", {"EndpointName": "llama70b"})
        _not_found(stub, "describe_model", "model", {"ModelName": "llama70b-model"})
        stub.add_response(
            "create_model",
            {"ModelArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:model/llama70b-model"},
            {
                "ModelName": "llama70b-model",
                "ExecutionRoleArn": f"arn:aws:iam::{LIVE_ACCOUNT}:role/opsbot-sagemaker-execution",
                "PrimaryContainer": container,
                "Tags": tag,
            },
        )
        stub.add_response(
            "describe_model",
            {
                "ModelName": "llama70b-model",
                "ModelArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:model/llama70b-model",
                "CreationTime": now,
                "PrimaryContainer": container,
            },
            {"ModelName": "llama70b-model"},
        )
        _not_found(
            stub, "describe_endpoint_config", "endpoint configuration", {"EndpointConfigName": "llama70b-config"}
        )
        stub.add_response(
            "create_endpoint_config",
            {"EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint-config/x-config"},
            {"EndpointConfigName": "llama70b-config", "ProductionVariants": [variant], "Tags": tag},
        )
        stub.add_response(
            "describe_endpoint_config",
            {
                "EndpointConfigName": "llama70b-config",
                "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint-config/x-config",
                "ProductionVariants": [variant],
                "CreationTime": now,
            },
            {"EndpointConfigName": "llama70b-config"},
        )
        _not_found(stub, "describe_endpoint", "endpoint", {"EndpointName": "llama70b"})
        stub.add_response(
            "create_endpoint",
            {"EndpointArn": arn},
            {"EndpointName": "llama70b", "EndpointConfigName": "llama70b-config", "Tags": tag},
        )
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": "llama70b",
                "EndpointArn": arn,
                "EndpointConfigName": "llama70b-config",
                "EndpointStatus": "Creating",
                "CreationTime": now,
                "LastModifiedTime": now,
            },
            {"EndpointName": "llama70b"},
        )
        stub.add_response("list_tags", {"Tags": tag}, {"ResourceArn": arn})
        # WHEN the approved create runs
        grant = _grant("create_inference_endpoint", CREATE_ARGS, live_ctx, CREATE_OPERATIONS)
        out = runtime.run_approved("create_inference_endpoint", CREATE_ARGS, live_ctx, grant)
        # THEN every stubbed request was made, in order, with exactly those parameters
        stub.assert_no_pending_responses()
    assert out.result["status"] == "Creating" and out.result["endpoint_arn"] == arn


CREATE_OPERATIONS = ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint"]


def test_create_survives_a_lost_answer_without_a_second_endpoint(ctx) -> None:
    # GIVEN the answer to a successful CreateEndpoint is lost once (read timeout after the call)
    raw = _sm(ctx).raw
    lost: list[str] = []

    def lose_answer_once(model: Any, **_: Any) -> None:
        if not lost:
            lost.append(model.name)
            raise ReadTimeoutError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com")

    raw.meta.events.register_last("after-call.sagemaker.CreateEndpoint", lose_answer_once)
    rec = Recorder(ctx)
    # WHEN the create runs (tenacity retries the timed-out call)
    _, out = _approve_and_run("create_inference_endpoint", CREATE_ARGS, ctx)
    # THEN CreateEndpoint was sent twice, yet exactly one endpoint exists and the tool returns it
    assert lost == ["CreateEndpoint"]
    assert [op for op, _ in rec.calls].count("CreateEndpoint") == 2
    names = [e["EndpointName"] for e in _sm(ctx).list_endpoints(NameContains="llama70b")["Endpoints"]]
    assert names == ["llama70b"]
    assert out.result["endpoint_name"] == "llama70b" and out.result["endpoint_arn"].endswith("endpoint/llama70b")
    assert "endpoint llama70b" in out.result["created"]


def test_a_resumed_create_reuses_what_its_first_attempt_made(ctx) -> None:
    _approve_and_run("create_inference_endpoint", CREATE_ARGS, ctx)
    rec = Recorder(ctx)
    # WHEN the same approved request runs again (a resume after a crash)
    _, out = _approve_and_run("create_inference_endpoint", CREATE_ARGS, ctx)
    # THEN nothing new is created and the same endpoint is returned
    assert rec.writes == []
    assert out.result["created"] == [] and len(out.result["reused"]) == 3


def test_create_refuses_a_name_taken_by_another_endpoint(ctx) -> None:
    args = dict(CREATE_ARGS, endpoint_name="chat-prod")
    plan = runtime.plan("create_inference_endpoint", args, ctx)
    assert any("already exists" in w for w in plan.warnings)
    rec = Recorder(ctx)
    with pytest.raises(ToolInputError, match="endpoint chat-prod already exists"):
        runtime.run_approved(
            "create_inference_endpoint", args, ctx, _grant("create_inference_endpoint", args, ctx, CREATE_OPERATIONS)
        )
    assert rec.writes == []


def test_create_with_own_image_and_role_and_a_tarball(ctx, monkeypatch) -> None:
    # GIVEN a configured role, an explicit image and a model.tar.gz on P6-B200
    monkeypatch.setattr(ctx.settings, "sagemaker_role_arn", "arn:aws:iam::123456789012:role/custom")
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-server:1.0"
    args = {
        "endpoint_name": "big",
        "instance_type": "ml.p6-b200.48xlarge",
        "model_s3_uri": "s3://checkpoints/big/model.tar.gz",
        "image_uri": image,
    }
    plan, _ = _approve_and_run("create_inference_endpoint", args, ctx)
    model = _sm(ctx).describe_model(ModelName="big-model")
    # THEN the model uses them as given, with no LMI settings added to a foreign image
    assert model["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/custom"
    assert model["PrimaryContainer"]["Image"] == image
    assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://checkpoints/big/model.tar.gz"
    assert not model["PrimaryContainer"].get("Environment")
    assert plan.cost_usd_per_hour == 142.42 and plan.instance_count == 1


def test_gpu_default_image_is_the_cuda_lmi_container(ctx) -> None:
    args = {"endpoint_name": "g", "instance_type": "ml.p6-b200.48xlarge", "model_s3_uri": "s3://checkpoints/g/"}
    plan = runtime.plan("create_inference_endpoint", args, ctx)
    assert plan.facts["image_uri"].endswith("djl-inference:0.36.0-lmi18.0.0-cu128")


def test_create_without_a_grant_for_its_writes_changes_nothing(ctx) -> None:
    grant = _grant("create_inference_endpoint", CREATE_ARGS, ctx, [])
    with pytest.raises(MutationBlockedError):
        runtime.run_approved("create_inference_endpoint", CREATE_ARGS, ctx, grant)
    assert not any(m["ModelName"] == "llama70b-model" for m in _sm(ctx).list_models()["Models"])
    with pytest.raises(ApprovalRequiredError):
        runtime.run_read("create_inference_endpoint", CREATE_ARGS, ctx)


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"instance_count": 0}, "instance_count", ""),
        ({"instance_type": "ml.foo.xlarge"}, "instance_type", "not in the catalog"),
        ({"instance_type": "ml.trn2.48xlarge"}, "instance_type", "allowed: ml.p6-b200.48xlarge, ml.inf2.xlarge"),
        ({"instance_type": "ml.g5.12xlarge"}, "instance_type", "cannot be used for an inference endpoint"),
        ({"model_s3_uri": "s3:/checkpoints/x"}, "model_s3_uri", "s3://bucket/prefix"),
        ({"model_s3_uri": "https://checkpoints.s3.amazonaws.com/x"}, "model_s3_uri", "s3://"),
        ({"model_s3_uri": "s3://Bad_Bucket/x"}, "model_s3_uri", "valid bucket name"),
        ({"endpoint_name": "bad_name"}, "endpoint_name", "letters, digits or hyphens"),
        ({"endpoint_name": "a" * 57}, "endpoint_name", "at most 56"),
        ({"image_uri": "docker.io/vllm:latest"}, "image_uri", "ECR image URI"),
    ],
)
def test_create_bad_input_is_refused_before_any_aws_call(ctx, change, field, says) -> None:
    rec = Recorder(ctx)
    with pytest.raises(ToolInputError) as err:
        runtime.plan("create_inference_endpoint", dict(CREATE_ARGS, **change), ctx)
    assert err.value.field == field and err.value.value == change[field]
    assert says in err.value.allowed
    assert rec.calls == []


# ------------------------------------------------------------------------------------- scale_endpoint
def test_scale_endpoint_on_the_sandbox(ctx) -> None:
    rec = Recorder(ctx)
    args = {"endpoint_name": "chat-prod", "instance_count": 3}
    plan, out = _approve_and_run("scale_endpoint", args, ctx)
    # THEN the plan shows old and new count and the cost change
    assert (plan.instance_type, plan.instance_count) == ("ml.p6-b200.48xlarge", 3)
    assert plan.cost_usd_per_hour == 427.26 and plan.facts["cost_usd_per_hour_delta"] == 284.84
    assert plan.facts["old_count"] == 1 and plan.facts["new_count"] == 3
    assert "$142.42/h -> $427.26/h" in (plan.cost_note or "")
    assert plan.aws_operations == ["sagemaker:UpdateEndpointWeightsAndCapacities"] == rec.writes
    # AND the result, then the endpoint settles at 3 instances
    r = out.result
    assert (r["old_count"], r["new_count"], r["changed"], r["status"]) == (1, 3, True, "Updating")
    assert "1 -> 3 x ml.p6-b200.48xlarge" in out.text
    detail = runtime.run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]
    assert detail["status"] == "InService" and detail["instance_count"] == 3
    assert detail["cost_usd_per_hour"] == 427.26


def test_scale_to_the_current_count_makes_no_call(ctx) -> None:
    rec = Recorder(ctx)
    args = {"endpoint_name": "llama8b-inf2", "instance_count": 1}
    plan, out = _approve_and_run("scale_endpoint", args, ctx)
    assert plan.facts["cost_usd_per_hour_delta"] == 0 and any("nothing would change" in w for w in plan.warnings)
    assert rec.writes == [] and out.result["changed"] is False
    assert "nothing changed" in out.text


def test_scale_request_fields(live_ctx) -> None:
    arn = f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint/chat-prod"
    now = "2026-11-01T00:00:00Z"

    def described(status: str, current: int, desired: int) -> dict[str, Any]:
        return {
            "EndpointName": "chat-prod",
            "EndpointArn": arn,
            "EndpointConfigName": "chat-prod-config",
            "EndpointStatus": status,
            "CreationTime": now,
            "LastModifiedTime": now,
            "ProductionVariants": [
                {"VariantName": "AllTraffic", "CurrentInstanceCount": current, "DesiredInstanceCount": desired}
            ],
        }

    config = {
        "EndpointConfigName": "chat-prod-config",
        "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint-config/x-config",
        "CreationTime": now,
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "ModelName": "chat-prod-model", "InstanceType": "ml.p6-b200.48xlarge"}
        ],
    }
    with Stubber(live_ctx.clients.client("sagemaker").raw) as stub:
        stub.add_response("describe_endpoint", described("InService", 1, 1), {"EndpointName": "chat-prod"})
        stub.add_response("describe_endpoint_config", config, {"EndpointConfigName": "chat-prod-config"})
        stub.add_response(
            "update_endpoint_weights_and_capacities",
            {"EndpointArn": arn},
            {
                "EndpointName": "chat-prod",
                "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 4}],
            },
        )
        stub.add_response("describe_endpoint", described("Updating", 1, 4), {"EndpointName": "chat-prod"})
        stub.add_response("describe_endpoint_config", config, {"EndpointConfigName": "chat-prod-config"})
        args = {"endpoint_name": "chat-prod", "instance_count": 4}
        grant = _grant("scale_endpoint", args, live_ctx, ["sagemaker:UpdateEndpointWeightsAndCapacities"])
        out = runtime.run_approved("scale_endpoint", args, live_ctx, grant)
        stub.assert_no_pending_responses()
    assert out.result["status"] == "Updating" and out.result["cost_usd_per_hour_after"] == 569.68


def test_scale_bad_input(ctx) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.plan("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 0}, ctx)
    assert err.value.field == "instance_count" and err.value.value == 0
    with pytest.raises(ToolInputError) as err:
        runtime.plan("scale_endpoint", {"endpoint_name": "chat prod", "instance_count": 2}, ctx)
    assert err.value.field == "endpoint_name"
    with pytest.raises(NotFoundError):
        runtime.plan("scale_endpoint", {"endpoint_name": "missing", "instance_count": 2}, ctx)


# ------------------------------------------------------------------------------------ delete_endpoint
def test_delete_endpoint_on_the_sandbox(ctx) -> None:
    rec = Recorder(ctx)
    plan, out = _approve_and_run("delete_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx)
    # THEN the plan is destructive and critical, and lists exactly what the run deleted
    assert plan.effect == "destructive" and plan.risk == "critical"
    assert (plan.instance_type, plan.instance_count, plan.cost_usd_per_hour) == ("ml.inf2.24xlarge", 1, 0.0)
    assert plan.facts["cost_usd_per_hour_delta"] == -8.44
    assert plan.aws_operations == [
        "sagemaker:DeleteEndpoint",
        "sagemaker:DeleteEndpointConfig",
        "sagemaker:DeleteModel",
    ]
    assert rec.writes == plan.aws_operations
    assert out.result["deleted"] == [
        "endpoint llama8b-inf2",
        "endpoint config llama8b-inf2-config",
        "model llama8b-inf2-model",
    ]
    assert "$8.44/h no longer billed" in out.text
    names = [e["EndpointName"] for e in _sm(ctx).list_endpoints()["Endpoints"]]
    assert names == ["chat-prod"]
    # AND a resumed run finds nothing left to do
    grant = _grant("delete_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx, plan.aws_operations)
    again = runtime.run_approved("delete_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx, grant)
    assert again.result["already_gone"] is True and again.result["deleted"] == []


def test_delete_keeps_a_config_opsbot_did_not_name(ctx) -> None:
    # GIVEN chat-prod moved to a config with another name
    sm = _sm(ctx)
    with guard.activated(
        guard.Grant(
            "t", "h", frozenset({"sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint"}), time.time() + 60
        )
    ):
        sm.create_endpoint_config(
            EndpointConfigName="chat-prod-v2",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "chat-prod-model",
                    "InstanceType": "ml.p6-b200.48xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sm.update_endpoint(EndpointName="chat-prod", EndpointConfigName="chat-prod-v2")
    plan = runtime.plan("delete_endpoint", {"endpoint_name": "chat-prod"}, ctx)
    assert plan.aws_operations == ["sagemaker:DeleteEndpoint"]


def test_delete_request_fields(live_ctx) -> None:
    arn = f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint/chat-prod"
    now = "2026-11-01T00:00:00Z"
    described = {
        "EndpointName": "chat-prod",
        "EndpointArn": arn,
        "EndpointConfigName": "chat-prod-config",
        "EndpointStatus": "InService",
        "CreationTime": now,
        "LastModifiedTime": now,
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1, "DesiredInstanceCount": 1}],
    }
    config = {
        "EndpointConfigName": "chat-prod-config",
        "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint-config/x-config",
        "CreationTime": now,
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "ModelName": "chat-prod-model", "InstanceType": "ml.p6-b200.48xlarge"}
        ],
    }
    ops = ["sagemaker:DeleteEndpoint", "sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel"]
    with Stubber(live_ctx.clients.client("sagemaker").raw) as stub:
        stub.add_response("describe_endpoint", described, {"EndpointName": "chat-prod"})
        stub.add_response("describe_endpoint_config", config, {"EndpointConfigName": "chat-prod-config"})
        stub.add_response("delete_endpoint", {}, {"EndpointName": "chat-prod"})
        stub.add_response("delete_endpoint_config", {}, {"EndpointConfigName": "chat-prod-config"})
        stub.add_response("delete_model", {}, {"ModelName": "chat-prod-model"})
        grant = _grant("delete_endpoint", {"endpoint_name": "chat-prod"}, live_ctx, ops)
        out = runtime.run_approved("delete_endpoint", {"endpoint_name": "chat-prod"}, live_ctx, grant)
        stub.assert_no_pending_responses()
    assert out.result["cost_usd_per_hour_saved"] == 142.42


def test_delete_is_refused_without_approval_and_the_endpoint_stays(ctx) -> None:
    with pytest.raises(ApprovalRequiredError):
        runtime.run_read("delete_endpoint", {"endpoint_name": "chat-prod"}, ctx)
    assert _sm(ctx).describe_endpoint(EndpointName="chat-prod")["EndpointStatus"] == "InService"


def test_delete_bad_input(ctx) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.plan("delete_endpoint", {"endpoint_name": "x" * 64}, ctx)
    assert err.value.field == "endpoint_name"
    with pytest.raises(NotFoundError):
        runtime.plan("delete_endpoint", {"endpoint_name": "not-there"}, ctx)
