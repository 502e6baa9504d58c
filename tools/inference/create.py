"""create_inference_endpoint: deploy a model from S3 to a new SageMaker real-time endpoint.

Makes the model, the endpoint config and the endpoint, each once per request: a retried request
reuses what its earlier attempt made (found by the request tag) and refuses names taken by others.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from tools.aws import create_once, describe_or_none, error_code
from tools.base import REQUEST_TAG, AwsOperation, Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import catalog, instance_type_for, money, price, price_source
from tools.errors import ToolInputError
from tools.inference.endpoints import VARIANT, EndpointInfo, config_name, fetch_endpoint, model_name
from tools.kinds import ArgKind, Count, InstanceType, Kind, Name
from tools.s3paths import check_model_data
from tools.validation import ImageUri, S3Uri, SageMakerName

MAX_ENDPOINT_NAME = 56  # so that "<name>-config" still fits SageMaker's 63 characters
MAX_INSTANCES = 10000  # a sanity bound; the policy sets the real per-action limit
# Large models take long to download and load; SageMaker's maxima (seconds).
DOWNLOAD_TIMEOUT_S = 3600
STARTUP_TIMEOUT_S = 3600
# The LMI (DJL Serving) deep learning containers: the Neuron build for Inf2, the CUDA build for GPUs.
# 763104351884 publishes them in most regions (not in opt-in regions such as ap-east-1).
NEURON_DLC = "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.30.0-neuronx-sdk2.20.1"
GPU_DLC = "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.36.0-lmi18.0.0-cu128"


class CreateEndpointArgs(ToolArgs):
    """create_inference_endpoint's arguments."""

    endpoint_name: Annotated[
        str,
        Name("endpoint", new=True),
        SageMakerName,
        Field(description="Name of the new endpoint (1-56 letters, digits, hyphens), e.g. llama70b-chat."),
    ]
    instance_type: Annotated[
        str,
        InstanceType("inference"),
        instance_type_for("inference"),
        Field(description="Inference instance type: ml.inf2.xlarge/8xlarge/24xlarge/48xlarge or ml.p6-b200.48xlarge."),
    ]
    instance_count: Annotated[
        int, Count("instance"), Field(default=1, ge=1, le=MAX_INSTANCES, description="Number of instances.")
    ]
    model_s3_uri: Annotated[
        str,
        ArgKind(Kind.S3_URI, role="model"),
        S3Uri,
        Field(description="S3 location of the model: a prefix of uncompressed files or a model.tar.gz."),
    ]
    image_uri: Annotated[
        str | None,
        ArgKind(Kind.IMAGE_URI),
        ImageUri,
        Field(default=None, description="Serving container image in ECR; default: the LMI container for the instance."),
    ]

    @field_validator("endpoint_name")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > MAX_ENDPOINT_NAME:
            raise ToolInputError(
                "endpoint_name", value, f"at most {MAX_ENDPOINT_NAME} characters, so that {value[:8]}...-config fits"
            )
        return value


def resolve_image(ctx: ToolContext, args: CreateEndpointArgs) -> str:
    """The argument, else the configured default, else the LMI container for the instance family."""
    if args.image_uri:
        return args.image_uri
    if ctx.settings.inference_image_uri:
        return ctx.settings.inference_image_uri
    template = NEURON_DLC if args.instance_type.startswith("ml.inf2.") else GPU_DLC
    return template.format(region=ctx.region)


def _tensor_parallel(instance_type: str) -> int:
    row = catalog().get(instance_type)
    assert row is not None and row.accelerator is not None
    # A NeuronCore (two per Inferentia2 chip) or a GPU is one tensor-parallel rank.
    return row.accelerator.neuron_cores or row.accelerator.count


def container(ctx: ToolContext, args: CreateEndpointArgs) -> dict[str, Any]:
    """The model's PrimaryContainer: image, model data (a tarball or an uncompressed S3 prefix), LMI settings."""
    image = resolve_image(ctx, args)
    spec: dict[str, Any] = {"Image": image}
    if args.model_s3_uri.endswith(".tar.gz"):
        spec["ModelDataUrl"] = args.model_s3_uri
    else:
        prefix = args.model_s3_uri if args.model_s3_uri.endswith("/") else args.model_s3_uri + "/"
        spec["ModelDataSource"] = {
            "S3DataSource": {"S3Uri": prefix, "S3DataType": "S3Prefix", "CompressionType": "None"}
        }
    if "/djl-inference:" in image:
        # LMI reads the model from where SageMaker puts the model data and shards it over every device.
        spec["Environment"] = {
            "HF_MODEL_ID": "/opt/ml/model",
            "OPTION_TENSOR_PARALLEL_DEGREE": str(_tensor_parallel(args.instance_type)),
        }
    return spec


def _model_data(spec: dict[str, Any]) -> str | None:
    return spec.get("ModelDataUrl") or spec.get("ModelDataSource", {}).get("S3DataSource", {}).get("S3Uri")


def variant_spec(args: CreateEndpointArgs) -> dict[str, Any]:
    """The endpoint config's one production variant."""
    return {
        "VariantName": VARIANT,
        "ModelName": model_name(args.endpoint_name),
        "InstanceType": args.instance_type,
        "InitialInstanceCount": args.instance_count,
        "InitialVariantWeight": 1.0,
        "ModelDataDownloadTimeoutInSeconds": DOWNLOAD_TIMEOUT_S,
        "ContainerStartupHealthCheckTimeoutInSeconds": STARTUP_TIMEOUT_S,
    }


class EndpointCreated(BaseModel):
    """The outcome of create_inference_endpoint."""

    endpoint_name: str
    endpoint_arn: str
    status: str
    instance_type: str
    instance_count: int
    model_name: str
    endpoint_config_name: str
    image_uri: str
    model_s3_uri: str
    role_arn: str
    cost_usd_per_hour: float
    created: list[str] = Field(description="Resources this run created.")
    reused: list[str] = Field(description="Resources found from an earlier attempt of this request and reused.")
    request_tag: str | None


def create_operations(ctx: ToolContext, args: CreateEndpointArgs) -> list[AwsOperation]:
    """CreateModel, CreateEndpointConfig and CreateEndpoint, pinned to their names, role and variant."""
    name, mname, cname = args.endpoint_name, model_name(args.endpoint_name), config_name(args.endpoint_name)
    return [
        AwsOperation(
            operation="sagemaker:CreateModel", params={"ModelName": mname, "ExecutionRoleArn": ctx.sagemaker_role_arn}
        ),
        AwsOperation(
            operation="sagemaker:CreateEndpointConfig",
            params={"EndpointConfigName": cname, "ProductionVariants": [variant_spec(args)]},
        ),
        AwsOperation(operation="sagemaker:CreateEndpoint", params={"EndpointName": name, "EndpointConfigName": cname}),
    ]


def create_plan(ctx: ToolContext, args: CreateEndpointArgs) -> Plan:
    """What the create makes and costs; nothing to do when the endpoint exists as asked, refused when the
    name is taken by another or the model data is not in S3."""
    row = catalog().get(args.instance_type)
    assert row is not None and row.accelerator is not None
    image, role = resolve_image(ctx, args), ctx.sagemaker_role_arn
    cost = round(row.price_usd_per_hour * args.instance_count, 2)
    existing = fetch_endpoint(ctx, args.endpoint_name)
    if existing is not None:
        return _existing_plan(ctx, args, existing)
    model_data = check_model_data(ctx, "model_s3_uri", args.model_s3_uri)
    warnings = [w for w in [model_data.warning()] if w]
    return Plan(
        summary=(
            f"create endpoint {args.endpoint_name}: {args.instance_count} x {args.instance_type} serving "
            f"{args.model_s3_uri}"
        ),
        changes=[
            f"CreateModel {model_name(args.endpoint_name)}: image {image}, model data {args.model_s3_uri} "
            f"{model_data.note()}, role {role}",
            f"CreateEndpointConfig {config_name(args.endpoint_name)}: variant {VARIANT}, "
            f"{args.instance_count} x {args.instance_type}",
            f"CreateEndpoint {args.endpoint_name}, tagged {REQUEST_TAG}=<approval id>",
        ],
        aws_operations=create_operations(ctx, args),
        cost_usd_per_hour=cost,
        cost_note=(
            f"{args.instance_count} x {money(row.price_usd_per_hour, per_hour=True)}, billed from creation until "
            f"the endpoint is deleted ({price_source()})"
        ),
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        facts={
            "model_name": model_name(args.endpoint_name),
            "endpoint_config_name": config_name(args.endpoint_name),
            "image_uri": image,
            "role_arn": role,
            "accelerators": f"{row.accelerator.count * args.instance_count} x {row.accelerator.kind}",
            "accelerator_memory_gib_per_instance": row.accelerator.memory_gib,
            "model_data_check": {"ok": model_data.ok, "detail": model_data.detail},
            "endpoint_exists": False,
        },
        warnings=warnings,
    )


def _same_endpoint(ctx: ToolContext, args: CreateEndpointArgs, existing: EndpointInfo) -> bool:
    """True if ``existing`` is what ``args`` asks for: opsbot's config, type, count, image and model data."""
    if existing.endpoint_config_name != config_name(args.endpoint_name) or len(existing.variants) != 1:
        return False
    variant = existing.variants[0]
    if (variant.instance_type, variant.desired_instance_count) != (args.instance_type, args.instance_count):
        return False
    model = describe_or_none(ctx.clients.client("sagemaker").describe_model, ModelName=model_name(args.endpoint_name))
    have, want = (model or {}).get("PrimaryContainer", {}), container(ctx, args)
    return have.get("Image") == want["Image"] and _model_data(have) == _model_data(want)


def _existing_plan(ctx: ToolContext, args: CreateEndpointArgs, existing: EndpointInfo) -> Plan:
    """The endpoint is there: as asked, there is nothing to do; otherwise the name is taken (refused now,
    not after an approval)."""
    if not _same_endpoint(ctx, args, existing):
        raise _taken(
            f"endpoint {args.endpoint_name}",
            args.endpoint_name,
            f"({existing.status}, {existing.instance_count} x {existing.instance_type})",
        )
    return Plan(
        summary=f"endpoint {args.endpoint_name} already exists as asked ({existing.status}); nothing to create",
        cost_usd_per_hour=existing.cost_usd_per_hour,
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        facts={"endpoint_exists": True, "status": existing.status},
    )


def _taken(what: str, name: str, detail: str) -> ToolInputError:
    return ToolInputError(
        "endpoint_name", name, f"{what} already exists {detail}; delete it or choose another endpoint name"
    )


def _create_once(create: Any, find: Any) -> tuple[dict[str, Any], bool]:
    """(its description, made by this request): SageMaker refuses a taken model, config or endpoint
    name with a ValidationException, which here means our own earlier attempt whose answer was lost."""
    found, outcome = create_once(find, create, taken=lambda exc: error_code(exc) == "ValidationException")
    return (find() or {}) if outcome == "created" else found, outcome != "existing"


def _ours(sm: Any, endpoint: dict[str, Any], token: str | None, cname: str) -> bool:
    """True if ``endpoint`` was made by the request whose idempotency token is ``token``."""
    tags = sm.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", [])
    owner = {t["Key"]: t["Value"] for t in tags}
    return token is not None and owner.get(REQUEST_TAG) == token and endpoint.get("EndpointConfigName") == cname


def create_run(ctx: ToolContext, args: CreateEndpointArgs) -> EndpointCreated:
    """CreateModel, CreateEndpointConfig, CreateEndpoint; each skipped if this request already made it."""
    sm = ctx.clients.client("sagemaker")
    name, mname, cname = args.endpoint_name, model_name(args.endpoint_name), config_name(args.endpoint_name)
    token = ctx.idempotency_token
    tags = [{"Key": REQUEST_TAG, "Value": token}] if token else []
    spec, role, variant = container(ctx, args), ctx.sagemaker_role_arn, variant_spec(args)
    created: list[str] = []
    reused: list[str] = []

    def outcome(arn: str, status: str, made: list[str], found: list[str]) -> EndpointCreated:
        """The result for endpoint ``arn`` in ``status``, with what this run made and what it found."""
        return EndpointCreated(
            endpoint_name=name,
            endpoint_arn=arn,
            status=status,
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            model_name=mname,
            endpoint_config_name=cname,
            image_uri=spec["Image"],
            model_s3_uri=args.model_s3_uri,
            role_arn=role,
            cost_usd_per_hour=round((price(args.instance_type) or 0.0) * args.instance_count, 2),
            created=made,
            reused=found,
            request_tag=token,
        )

    # Refuse a name that is taken before creating anything for it.
    existing = describe_or_none(sm.describe_endpoint, EndpointName=name)
    if existing is not None and not _ours(sm, existing, token, cname):
        info = fetch_endpoint(ctx, name)
        if info is not None and _same_endpoint(ctx, args, info):  # already as asked: nothing to make
            reused = [f"model {mname}", f"endpoint config {cname}", f"endpoint {name}"]
            return outcome(info.endpoint_arn, info.status, [], reused)
        raise _taken(f"endpoint {name}", name, f"({existing.get('EndpointStatus')}) and was not made by this request")

    model, made = _create_once(
        lambda: sm.create_model(ModelName=mname, ExecutionRoleArn=role, PrimaryContainer=spec, Tags=tags),
        lambda: describe_or_none(sm.describe_model, ModelName=mname),
    )
    have = model.get("PrimaryContainer", {})
    if have.get("Image") != spec["Image"] or _model_data(have) != _model_data(spec):
        raise _taken(f"model {mname}", name, f"with image {have.get('Image')} and data {_model_data(have)}")
    (created if made else reused).append(f"model {mname}")

    config, made = _create_once(
        lambda: sm.create_endpoint_config(EndpointConfigName=cname, ProductionVariants=[variant], Tags=tags),
        lambda: describe_or_none(sm.describe_endpoint_config, EndpointConfigName=cname),
    )
    got = (config.get("ProductionVariants") or [{}])[0]
    if (got.get("ModelName"), got.get("InstanceType"), got.get("InitialInstanceCount")) != (
        mname,
        args.instance_type,
        args.instance_count,
    ):
        detail = f"with {got.get('InitialInstanceCount')} x {got.get('InstanceType')} serving {got.get('ModelName')}"
        raise _taken(f"endpoint config {cname}", name, detail)
    (created if made else reused).append(f"endpoint config {cname}")

    endpoint, made = _create_once(
        lambda: sm.create_endpoint(EndpointName=name, EndpointConfigName=cname, Tags=tags),
        lambda: describe_or_none(sm.describe_endpoint, EndpointName=name),
    )
    if not _ours(sm, endpoint, token, cname):
        raise _taken(f"endpoint {name}", name, f"({endpoint.get('EndpointStatus')}) and was not made by this request")
    (created if made else reused).append(f"endpoint {name}")

    return outcome(endpoint["EndpointArn"], endpoint["EndpointStatus"], created, reused)


def create_render(r: EndpointCreated) -> str:
    """Status, size, cost, and what was created or reused."""
    lines = [
        f"endpoint {r.endpoint_name} is {r.status}: {r.instance_count} x {r.instance_type}, "
        f"{money(r.cost_usd_per_hour, per_hour=True)} while it exists",
        f"  model {r.model_name} ({r.model_s3_uri}, image {r.image_uri}); config {r.endpoint_config_name}",
    ]
    if r.created:
        lines.append(f"  created: {', '.join(r.created)}")
    if r.reused:
        lines.append(f"  already there from this request's earlier attempt: {', '.join(r.reused)}")
    if r.status != "InService":
        lines.append(f"  `describe_endpoint {r.endpoint_name}` shows when it is InService")
    return "\n".join(lines)


CREATE_TOOL = Tool(
    name="create_inference_endpoint",
    description=(
        "Deploy a model from S3 to a new SageMaker real-time endpoint on Inf2 or P6-B200 "
        "(model, endpoint config and endpoint)."
    ),
    label="create an inference endpoint",
    phrasings=(
        "(create|launch|spin up|provision|set up|setup|stand up|make|build|start|bring up|deploy|kick off|fire "
        "up|new) [me] [a|an] [new] [inference|sagemaker] endpoint [called|named] [{endpoint_name}]",
        "(deploy|host|serve|put) {model_s3_uri} (to|on|as) [a|an] [new] [inference] [endpoint] [called|named] "
        "[{endpoint_name}]",
        "(deploy|host|serve) [a|the] model",
        "(name|call) it {endpoint_name}",
        "(named|called) {endpoint_name}",
        "(model|weights|artifacts|from) [is|are] [at|in] {model_s3_uri}",
        "(on|using|with) {instance_count} [x] {instance_type}",
        "(on|using|with) [a|an] {instance_type}",
        "(image|container|using image|with image) {image_uri}",
    ),
    effect=Effect.WRITE,
    risk=Risk.MEDIUM,
    args_model=CreateEndpointArgs,
    plan=create_plan,
    run=create_run,
    render=create_render,
)
