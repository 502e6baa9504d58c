"""create_inference_endpoint on the sandbox (plan, run, result, render), and its requests field by field
with botocore's Stubber on a live-mode client (no network: every call is stubbed)."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from tests.tools.helpers import approve_and_run, grant_all, grant_for, lose_first_answer, record
from tests.tools.inference.stubs import CREATE_ARGS, LIVE_ACCOUNT, NEURON_IMAGE, not_found
from tools import runtime
from tools.errors import ApprovalRequiredError, MutationBlockedError, ToolInputError


# --------------------------------------------------------------------------- create_inference_endpoint
def test_create_endpoint_on_the_sandbox(ctx) -> None:
    rec = record(ctx)
    # WHEN the create is planned, approved and run
    plan, out = approve_and_run(ctx, "create_inference_endpoint", CREATE_ARGS)
    # THEN the plan names the type, count, hourly cost and exactly the writes the run made
    assert (plan.instance_type, plan.instance_count, plan.cost_usd_per_hour) == ("ml.inf2.24xlarge", 2, 16.88)
    assert plan.operation_names() == [
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:CreateEndpoint",
    ]
    assert rec.writes() == plan.operation_names()
    assert plan.effect == "write" and plan.risk == "medium" and not plan.warnings
    # AND the result is the new endpoint, Creating, with deterministic names
    r = out.result
    assert (r["endpoint_name"], r["status"], r["instance_count"]) == ("llama70b", "Creating", 2)
    assert (r["model_name"], r["endpoint_config_name"]) == ("llama70b-model", "llama70b-config")
    assert r["image_uri"] == NEURON_IMAGE and r["request_tag"] == "ap-1"
    assert r["created"] == ["model llama70b-model", "endpoint config llama70b-config", "endpoint llama70b"]
    assert "llama70b is Creating: 2 x ml.inf2.24xlarge, $16.88/h" in out.text
    # AND the endpoint carries the request tag and becomes InService
    sm = ctx.clients.client("sagemaker")
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
            "S3DataSource": {
                "S3Uri": "s3://model-artifacts/llama-3-70b/",
                "S3DataType": "S3Prefix",
                "CompressionType": "None",
            }
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
        not_found(stub, "describe_endpoint", "endpoint", {"EndpointName": "llama70b"})
        not_found(stub, "describe_model", "model", {"ModelName": "llama70b-model"})
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
        not_found(stub, "describe_endpoint_config", "endpoint configuration", {"EndpointConfigName": "llama70b-config"})
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
        not_found(stub, "describe_endpoint", "endpoint", {"EndpointName": "llama70b"})
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
        grant = grant_for(live_ctx, "create_inference_endpoint", CREATE_ARGS, CREATE_OPERATIONS)
        out = runtime.run_approved("create_inference_endpoint", CREATE_ARGS, live_ctx, grant)
        # THEN every stubbed request was made, in order, with exactly those parameters
        stub.assert_no_pending_responses()
    assert out.result["status"] == "Creating" and out.result["endpoint_arn"] == arn


CREATE_OPERATIONS = ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint"]


def test_create_survives_a_lost_answer_without_a_second_endpoint(ctx) -> None:
    # GIVEN the answer to a successful CreateEndpoint is lost once (read timeout after the call)
    lost = lose_first_answer(ctx, "sagemaker", "CreateEndpoint")
    rec = record(ctx)
    # WHEN the create runs (tenacity retries the timed-out call)
    _, out = approve_and_run(ctx, "create_inference_endpoint", CREATE_ARGS)
    # THEN CreateEndpoint was sent twice, yet exactly one endpoint exists and the tool returns it
    assert lost == ["CreateEndpoint"]
    assert [op for op, _ in rec.calls].count("CreateEndpoint") == 2
    endpoints = ctx.clients.client("sagemaker").list_endpoints(NameContains="llama70b")["Endpoints"]
    names = [e["EndpointName"] for e in endpoints]
    assert names == ["llama70b"]
    assert out.result["endpoint_name"] == "llama70b" and out.result["endpoint_arn"].endswith("endpoint/llama70b")
    assert "endpoint llama70b" in out.result["created"]


def test_a_resumed_create_reuses_what_its_first_attempt_made(ctx) -> None:
    approve_and_run(ctx, "create_inference_endpoint", CREATE_ARGS)
    rec = record(ctx)
    # WHEN the same approved request runs again (a resume after a crash)
    _, out = approve_and_run(ctx, "create_inference_endpoint", CREATE_ARGS)
    # THEN nothing new is created and the same endpoint is returned
    assert rec.writes() == []
    assert out.result["created"] == [] and len(out.result["reused"]) == 3


def test_create_refuses_a_name_taken_by_another_endpoint(ctx) -> None:
    args = dict(CREATE_ARGS, endpoint_name="chat-prod")
    # THEN the plan refuses it already (nobody is asked to approve a create that cannot happen)
    with pytest.raises(ToolInputError, match="endpoint chat-prod already exists"):
        runtime.plan("create_inference_endpoint", args, ctx)
    rec = record(ctx)
    with pytest.raises(ToolInputError, match="endpoint chat-prod already exists"):
        runtime.run_approved(
            "create_inference_endpoint", args, ctx, grant_for(ctx, "create_inference_endpoint", args, CREATE_OPERATIONS)
        )
    assert rec.writes() == []


def test_create_with_own_image_and_role_and_a_tarball(ctx, monkeypatch) -> None:
    # GIVEN a configured role, an explicit image and a model.tar.gz (uploaded) on P6-B200
    monkeypatch.setattr(ctx.settings, "sagemaker_role_arn", "arn:aws:iam::123456789012:role/custom")
    with grant_all("s3:PutObject"):
        ctx.clients.client("s3").put_object(Bucket="checkpoints", Key="big/model.tar.gz", Body=b"weights")
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-server:1.0"
    args = {
        "endpoint_name": "big",
        "instance_type": "ml.p6-b200.48xlarge",
        "model_s3_uri": "s3://checkpoints/big/model.tar.gz",
        "image_uri": image,
    }
    plan, _ = approve_and_run(ctx, "create_inference_endpoint", args)
    model = ctx.clients.client("sagemaker").describe_model(ModelName="big-model")
    # THEN the model uses them as given, with no LMI settings added to a foreign image
    assert model["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/custom"
    assert model["PrimaryContainer"]["Image"] == image
    assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://checkpoints/big/model.tar.gz"
    assert not model["PrimaryContainer"].get("Environment")
    assert plan.cost_usd_per_hour == 142.42 and plan.instance_count == 1


def test_gpu_default_image_is_the_cuda_lmi_container(ctx) -> None:
    args = {"endpoint_name": "g", "instance_type": "ml.p6-b200.48xlarge", "model_s3_uri": "s3://model-artifacts/llama-3-70b/"}
    plan = runtime.plan("create_inference_endpoint", args, ctx)
    assert plan.facts["image_uri"].endswith("djl-inference:0.36.0-lmi18.0.0-cu128")


def test_create_without_a_grant_for_its_writes_changes_nothing(ctx) -> None:
    grant = grant_for(ctx, "create_inference_endpoint", CREATE_ARGS, [])
    with pytest.raises(MutationBlockedError):
        runtime.run_approved("create_inference_endpoint", CREATE_ARGS, ctx, grant)
    assert not any(m["ModelName"] == "llama70b-model" for m in ctx.clients.client("sagemaker").list_models()["Models"])
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
    rec = record(ctx)
    with pytest.raises(ToolInputError) as err:
        runtime.plan("create_inference_endpoint", dict(CREATE_ARGS, **change), ctx)
    assert err.value.field == field and err.value.value == change[field]
    assert says in err.value.allowed
    assert rec.calls == []


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("s3://no-such-bucket-xyz/model.tar.gz", "bucket no-such-bucket-xyz does not exist"),
        (
            "s3://model-artifacts/llama-3-8b/model.tar.gz",
            "no such object, so SageMaker would find no model artifact; under s3://model-artifacts/llama-3-8b/ there "
            "are: s3://model-artifacts/llama-3-8b/model.safetensors",
        ),
        ("s3://model-artifacts/mixtral/", "no objects under this prefix, so SageMaker would find no model files"),
        ("s3://no-such-bucket-xyz/llama/", "bucket no-such-bucket-xyz does not exist"),
    ],
)
def test_a_create_whose_model_is_not_in_s3_is_refused_by_its_plan(ctx, uri, says) -> None:
    # GIVEN a model artifact, or a prefix of model files, that is not there
    args = {**CREATE_ARGS, "model_s3_uri": uri}
    rec = record(ctx)
    # WHEN the endpoint is planned
    with pytest.raises(ToolInputError) as caught:
        runtime.plan("create_inference_endpoint", args, ctx)
    # THEN the plan fails before anyone is asked, naming model_s3_uri and the value given
    assert (caught.value.field, caught.value.value) == ("model_s3_uri", uri)
    assert says in str(caught.value)
    assert rec.writes() == []
