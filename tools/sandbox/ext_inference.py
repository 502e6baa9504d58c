"""Sandbox extensions and seed data for the inference domain (SageMaker real-time endpoints).

moto 5.2 rejects ml.inf2.* and ml.p6-b200.* in endpoint configs (an old enum list), has no
update_endpoint, silently overwrites models, configs and endpoints created twice, and puts every
endpoint InService at once. These handlers answer the create, describe and update operations the
way SageMaker does, storing moto's own objects in its backend so that moto's list, delete and tag
operations keep working on them.

Lifecycle without sleeps: an endpoint is ``Creating`` after CreateEndpoint and ``Updating`` after an
update; a DescribeEndpoint reports that status and moves the endpoint to ``InService``, so the next
describe (or list) sees it in service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from moto.backends import get_backend
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig

from tools.sandbox import ext_metrics  # noqa: F401  (registers CloudWatch statistics with percentiles)
from tools.sandbox.extensions import Call, ExtensionError, extension

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox

IN_PROGRESS = ("Creating", "Updating")


class SandboxEndpointConfig(FakeEndpointConfig):
    """moto's endpoint config without its outdated instance-type list (the handler checks botocore's)."""

    def validate_production_variants(self, production_variants: list[dict[str, Any]]) -> None:
        return None


@cache
def instance_types() -> frozenset[str]:
    """ProductionVariantInstanceType values of botocore's SageMaker model: what the real API accepts."""
    import boto3

    # A client of boto3's default session reuses the service model the sandbox's clients already loaded.
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return frozenset(client.meta.service_model.shape_for("ProductionVariantInstanceType").enum)


def _backend(call: Call) -> Any:
    return get_backend("sagemaker")[call.account][call.region]


def _arn(call: Call, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{call.region}:{call.account}:{kind}/{name.lower()}"


def _invalid(message: str) -> ExtensionError:
    return ExtensionError("ValidationException", message, 400)


def _endpoint(call: Call) -> FakeEndpoint:
    name = call.params["EndpointName"]
    endpoint = _backend(call).endpoints.get(name)
    if endpoint is None:
        raise _invalid(f'Could not find endpoint "{_arn(call, "endpoint", name)}".')
    return endpoint


def _now() -> datetime:
    # Naive UTC, like moto's own timestamps, so that moto can compare and sort them with ours.
    return datetime.now(UTC).replace(tzinfo=None)


@extension("sagemaker", "CreateModel")
def create_model(call: Call) -> dict[str, Any]:
    """CreateModel that refuses an existing name, as SageMaker does (moto overwrites)."""
    p, backend = call.params, _backend(call)
    if p["ModelName"] in backend._models:
        raise _invalid(f'Cannot create already existing model "{_arn(call, "model", p["ModelName"])}".')
    model = backend.create_model(
        model_name=p["ModelName"],
        execution_role_arn=p.get("ExecutionRoleArn", ""),
        primary_container=p.get("PrimaryContainer"),
        vpc_config=p.get("VpcConfig"),
        containers=p.get("Containers"),
        tags=p.get("Tags"),
    )
    return {"ModelArn": model.arn}


@extension("sagemaker", "CreateEndpointConfig")
def create_endpoint_config(call: Call) -> dict[str, Any]:
    """CreateEndpointConfig that accepts every instance type of the real API (inf2, p6-b200, ...)."""
    p, backend = call.params, _backend(call)
    name = p["EndpointConfigName"]
    if name in backend.endpoint_configs:
        arn = _arn(call, "endpoint-config", name)
        raise _invalid(f'Cannot create already existing endpoint configuration "{arn}".')
    for i, variant in enumerate(p["ProductionVariants"], 1):
        kind = variant.get("InstanceType")
        if kind is None and "ServerlessConfig" not in variant:
            raise _invalid(f"ProductionVariant {variant['VariantName']} needs InstanceType or ServerlessConfig.")
        if kind is not None and kind not in instance_types():
            raise _invalid(
                f"1 validation error detected: Value '{kind}' at 'productionVariants.{i}.member.instanceType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(sorted(instance_types()))}]"
            )
        model = variant.get("ModelName")
        if model not in backend._models:
            raise _invalid(f'Could not find model "{_arn(call, "model", str(model))}".')
    config = SandboxEndpointConfig(
        account_id=call.account,
        region_name=call.region,
        endpoint_config_name=name,
        production_variants=p["ProductionVariants"],
        async_inference_config=p.get("AsyncInferenceConfig"),
        data_capture_config=p.get("DataCaptureConfig"),
        tags=p.get("Tags"),
        kms_key_id=p.get("KmsKeyId"),
    )
    backend.endpoint_configs[name] = config
    return {"EndpointConfigArn": config.endpoint_config_arn}


@extension("sagemaker", "DescribeEndpointConfig")
def describe_endpoint_config(call: Call) -> dict[str, Any]:
    """DescribeEndpointConfig in the real output shape (moto answers an empty, invalid DataCaptureConfig)."""
    name = call.params["EndpointConfigName"]
    config = _backend(call).endpoint_configs.get(name)
    if config is None:
        raise _invalid(f'Could not find endpoint configuration "{_arn(call, "endpoint-config", name)}".')
    body: dict[str, Any] = {
        "EndpointConfigName": config.endpoint_config_name,
        "EndpointConfigArn": config.endpoint_config_arn,
        "ProductionVariants": [dict(v) for v in config.production_variants],
        "CreationTime": config.creation_time,
    }
    optional = {
        "DataCaptureConfig": config.data_capture_config,
        "KmsKeyId": config.kms_key_id,
        "AsyncInferenceConfig": config.async_inference_config,
    }
    body.update({key: value for key, value in optional.items() if value})
    return body


@extension("sagemaker", "CreateEndpoint")
def create_endpoint(call: Call) -> dict[str, Any]:
    """CreateEndpoint: refuses an existing name; the endpoint starts Creating, with no instances yet."""
    p, backend = call.params, _backend(call)
    name, config_name = p["EndpointName"], p["EndpointConfigName"]
    if name in backend.endpoints:
        raise _invalid(f'Cannot create already existing endpoint "{_arn(call, "endpoint", name)}".')
    if config_name not in backend.endpoint_configs:
        raise _invalid(f'Could not find endpoint configuration "{_arn(call, "endpoint-config", config_name)}".')
    endpoint = backend.create_endpoint(endpoint_name=name, endpoint_config_name=config_name, tags=p.get("Tags") or [])
    endpoint.endpoint_status = "Creating"
    for variant in endpoint.production_variants:
        variant.pop("CurrentInstanceCount", None)
        variant.pop("CurrentWeight", None)
    return {"EndpointArn": endpoint.arn}


def settle(endpoint: FakeEndpoint) -> None:
    """Finish a create or update: the desired capacity becomes current and the endpoint InService."""
    for variant in endpoint.production_variants:
        if "DesiredInstanceCount" in variant:
            variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"]
        if "DesiredWeight" in variant:
            variant["CurrentWeight"] = variant["DesiredWeight"]
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = _now()


@extension("sagemaker", "DescribeEndpoint")
def describe_endpoint(call: Call) -> dict[str, Any]:
    """DescribeEndpoint (output shape of the real API); an in-progress endpoint is InService afterwards."""
    endpoint = _endpoint(call)
    body: dict[str, Any] = {
        "EndpointName": endpoint.endpoint_name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": endpoint.endpoint_config_name,
        "ProductionVariants": [dict(v) for v in endpoint.production_variants],
        "EndpointStatus": endpoint.endpoint_status,
        "CreationTime": endpoint.creation_time,
        "LastModifiedTime": endpoint.last_modified_time,
    }
    if endpoint.failure_reason:
        body["FailureReason"] = endpoint.failure_reason
    if endpoint.endpoint_status in IN_PROGRESS:
        settle(endpoint)
        call.changed = True
    return body


def _require_in_service(endpoint: FakeEndpoint) -> None:
    if endpoint.endpoint_status != "InService":
        raise _invalid(f'Cannot update in-progress endpoint "{endpoint.arn}".')


@extension("sagemaker", "UpdateEndpoint")
def update_endpoint(call: Call) -> dict[str, Any]:
    """UpdateEndpoint (moto lacks it): switch to another endpoint config; Updating until described."""
    p, backend = call.params, _backend(call)
    endpoint = _endpoint(call)
    _require_in_service(endpoint)
    config = backend.endpoint_configs.get(p["EndpointConfigName"])
    if config is None:
        arn = _arn(call, "endpoint-config", p["EndpointConfigName"])
        raise _invalid(f'Could not find endpoint configuration "{arn}".')
    current = {v["VariantName"]: v for v in endpoint.production_variants}
    variants = endpoint._process_production_variants(config.production_variants)
    for variant in variants:
        old = current.get(variant["VariantName"], {})
        for key in ("CurrentInstanceCount", "CurrentWeight"):
            if key in old:
                variant[key] = old[key]
            else:
                variant.pop(key, None)
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = variants
    endpoint.endpoint_status = "Updating"
    endpoint.last_modified_time = _now()
    return {"EndpointArn": endpoint.arn}


@extension("sagemaker", "UpdateEndpointWeightsAndCapacities")
def update_weights_and_capacities(call: Call) -> dict[str, Any]:
    """Set desired instance counts and weights; the endpoint is Updating until described."""
    endpoint = _endpoint(call)
    _require_in_service(endpoint)
    variants = {v["VariantName"]: v for v in endpoint.production_variants}
    seen: set[str] = set()
    for desired in call.params["DesiredWeightsAndCapacities"]:
        name = desired["VariantName"]
        if name in seen:
            raise _invalid(f'The variant name "{name}" was non-unique within the request.')
        if name not in variants:
            raise _invalid(
                f'The variant name(s) "{name}" is/are not present within endpoint configuration '
                f'"{endpoint.endpoint_config_name}".'
            )
        seen.add(name)
        if "DesiredInstanceCount" in desired:
            variants[name]["DesiredInstanceCount"] = desired["DesiredInstanceCount"]
        if "DesiredWeight" in desired:
            variants[name]["DesiredWeight"] = desired["DesiredWeight"]
    endpoint.endpoint_status = "Updating"
    endpoint.last_modified_time = _now()
    return {"EndpointArn": endpoint.arn}


# ------------------------------------------------------------------------------------------- seed
NEURON_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.30.0-neuronx-sdk2.20.1"
GPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.36.0-lmi18.0.0-cu128"
# A latency distribution as SageMaker publishes it each minute: values around the mean (x mean) and
# how many requests took that long (per 100). Median 0.87 x mean, p90 1.44 x, p99 2.11 x.
LATENCY_SHAPE = (
    (0.555, 5), (0.666, 10), (0.776, 15), (0.865, 20), (0.943, 15), (1.054, 12), (1.220, 10), (1.442, 6),
    (1.775, 4), (2.108, 2), (2.662, 1),
)  # fmt: skip
SEED_ENDPOINTS: tuple[dict[str, Any], ...] = (
    {
        "name": "chat-prod",
        "instance_type": "ml.p6-b200.48xlarge",
        "image": GPU_IMAGE,
        "model_data": "s3://checkpoints/chat-70b/release-2026-10/",
        "age_days": 21,
        # per minute: invocations and errors; latency means in microseconds (SageMaker's unit)
        "per_minute": {"Invocations": 1200, "Invocation4XXErrors": 6, "Invocation5XXErrors": 1},
        "latency_us": {"ModelLatency": 850_000, "OverheadLatency": 9_000},
        # utilisation summed over devices, as CloudWatch reports it for an endpoint instance
        "instance_metrics": {
            "CPUUtilization": 2300,
            "MemoryUtilization": 35,
            "GPUUtilization": 560,
            "GPUMemoryUtilization": 680,
        },
    },
    {
        "name": "llama8b-inf2",
        "instance_type": "ml.inf2.24xlarge",
        "image": NEURON_IMAGE,
        "model_data": "s3://checkpoints/llama-3.1-8b-neuron/",
        "age_days": 9,
        # 2.1 % of the requests fail with a 5XX: the demo's endpoint that is not healthy
        "per_minute": {"Invocations": 300, "Invocation4XXErrors": 1, "Invocation5XXErrors": 6.3},
        "latency_us": {"ModelLatency": 420_000, "OverheadLatency": 7_000},
        "instance_metrics": {"CPUUtilization": 770, "MemoryUtilization": 22},
        # NeuronCore use as neuron-monitor publishes it (average over the instance's cores)
        "neuron_metrics": {"NeuronCoreUtilization": 64},
    },
)
SEED_ROLE = "arn:aws:iam::{account}:role/opsbot-sagemaker-execution"
VARIANT = "AllTraffic"
NEURON_NAMESPACE = "NeuronMonitor"  # the default of the neuron_metrics_namespace setting


def _seed_metrics(cloudwatch: Any, endpoint: str, spec: dict[str, Any], now: datetime) -> None:
    """One hour of one-minute datapoints with a gentle deterministic wave; latency as distributions."""
    dims = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": VARIANT}]
    units = {"Invocations": "Count", "Invocation4XXErrors": "Count", "Invocation5XXErrors": "Count"}
    by_namespace: dict[str, list[dict[str, Any]]] = {"AWS/SageMaker": [], "/aws/sagemaker/Endpoints": []}
    for minute in range(1, 61):
        wave = 1 + 0.1 * ((minute % 12) - 6) / 6
        at = now - timedelta(minutes=minute)
        point = {"Dimensions": dims, "Timestamp": at}
        calls = spec["per_minute"]["Invocations"] * wave
        for name, base in spec["per_minute"].items():
            by_namespace["AWS/SageMaker"].append(
                {**point, "MetricName": name, "Value": base * wave, "Unit": units[name]}
            )
        for name, mean in spec["latency_us"].items():
            by_namespace["AWS/SageMaker"].append(
                {
                    **point,
                    "MetricName": name,
                    "Values": [round(mean * wave * x) for x, _ in LATENCY_SHAPE],
                    "Counts": [round(calls * share / 100, 2) for _, share in LATENCY_SHAPE],
                    "Unit": "Microseconds",
                }
            )
        for name, base in spec["instance_metrics"].items():
            by_namespace["/aws/sagemaker/Endpoints"].append(
                {**point, "MetricName": name, "Value": float(base) * wave, "Unit": "Percent"}
            )
        for name, base in spec.get("neuron_metrics", {}).items():
            by_namespace.setdefault(NEURON_NAMESPACE, []).append(
                {**point, "MetricName": name, "Value": float(base) * wave, "Unit": "Percent"}
            )
    for namespace, data in by_namespace.items():
        for start in range(0, len(data), 1000):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 1000])


def seed(sandbox: Sandbox) -> None:
    """Endpoints chat-prod (1 x ml.p6-b200.48xlarge) and llama8b-inf2 (1 x ml.inf2.24xlarge), InService,
    with their models, endpoint configs and an hour of CloudWatch metrics."""
    sm, cloudwatch = sandbox.client("sagemaker"), sandbox.client("cloudwatch")
    backend = get_backend("sagemaker")[sandbox.account][sandbox.region]
    now = _now()
    for spec in SEED_ENDPOINTS:
        name = spec["name"]
        tags = [{"Key": "opsbot:request", "Value": "seed"}]
        sm.create_model(
            ModelName=f"{name}-model",
            ExecutionRoleArn=SEED_ROLE.format(account=sandbox.account),
            PrimaryContainer={
                "Image": spec["image"],
                "ModelDataSource": {
                    "S3DataSource": {"S3Uri": spec["model_data"], "S3DataType": "S3Prefix", "CompressionType": "None"}
                },
                "Environment": {"HF_MODEL_ID": "/opt/ml/model"},
            },
            Tags=tags,
        )
        sm.create_endpoint_config(
            EndpointConfigName=f"{name}-config",
            ProductionVariants=[
                {
                    "VariantName": VARIANT,
                    "ModelName": f"{name}-model",
                    "InstanceType": spec["instance_type"],
                    "InitialInstanceCount": 1,
                    "InitialVariantWeight": 1.0,
                }
            ],
            Tags=tags,
        )
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tags)
        endpoint = backend.endpoints[name]
        settle(endpoint)
        endpoint.creation_time = now - timedelta(days=spec["age_days"])
        endpoint.last_modified_time = endpoint.creation_time + timedelta(minutes=12)
        _seed_metrics(cloudwatch, name, spec, datetime.now(UTC))
