"""Tools of the inference domain: sizing, and the endpoint writes (create, scale, delete).

The read tools live in ``tools.inference_endpoints`` and the sizing in ``tools.inference_sizing``;
this module holds the writes and exposes the domain's ``TOOLS``.
"""

from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator

from tools.aws import error_code
from tools.base import Effect, Plan, Risk, Tool, ToolContext
from tools.catalog import catalog, check_instance_type
from tools.errors import ToolInputError
from tools.inference_endpoints import (
    DESCRIBE_TOOL,
    GPU_DLC,
    LIST_TOOL,
    NEURON_DLC,
    REQUEST_TAG,
    VARIANT,
    EndpointArgs,
    EndpointInfo,
    check_endpoint_name,
    config_name,
    describe_or_none,
    fetch_endpoint,
    is_not_found,
    model_name,
    money,
    price_of,
    require_endpoint,
)
from tools.inference_sizing import TOOL as RECOMMEND_TOOL
from tools.validation import image_uri, s3_uri

MAX_ENDPOINT_NAME = 56  # so that "<name>-config" still fits SageMaker's 63 characters
MAX_INSTANCES = 10000  # a sanity bound; the policy sets the real per-action limit
# Large models take long to download and load; SageMaker's maxima (seconds).
DOWNLOAD_TIMEOUT_S = 3600
STARTUP_TIMEOUT_S = 3600


def role_arn(ctx: ToolContext) -> str:
    """The execution role models run with: the setting, else opsbot's conventional role in this account."""
    return ctx.settings.sagemaker_role_arn or f"arn:aws:iam::{ctx.account}:role/opsbot-sagemaker-execution"


# ------------------------------------------------------------------------- create_inference_endpoint
class CreateEndpointArgs(EndpointArgs):
    endpoint_name: Annotated[
        str, Field(description="Name of the new endpoint (1-56 letters, digits, hyphens), e.g. llama70b-chat.")
    ]
    instance_type: Annotated[
        str,
        Field(description="Inference instance type: ml.inf2.xlarge/8xlarge/24xlarge/48xlarge or ml.p6-b200.48xlarge."),
    ]
    instance_count: Annotated[int, Field(default=1, ge=1, le=MAX_INSTANCES, description="Number of instances.")]
    model_s3_uri: Annotated[
        str, Field(description="S3 location of the model: a prefix of uncompressed files or a model.tar.gz.")
    ]
    image_uri: Annotated[
        str | None,
        Field(default=None, description="Serving container image in ECR; default: the LMI container for the instance."),
    ]

    @field_validator("endpoint_name")
    @classmethod
    def _short(cls, value: str) -> str:
        check_endpoint_name(value)
        if len(value) > MAX_ENDPOINT_NAME:
            raise ToolInputError(
                "endpoint_name", value, f"at most {MAX_ENDPOINT_NAME} characters, so that {value[:8]}...-config fits"
            )
        return value

    @field_validator("instance_type")
    @classmethod
    def _type(cls, value: str) -> str:
        return check_instance_type(value, "inference").name

    @field_validator("model_s3_uri")
    @classmethod
    def _model(cls, value: str) -> str:
        return s3_uri("model_s3_uri", value)

    @field_validator("image_uri")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return image_uri("image_uri", value) if value is not None else None


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
    # Each Inferentia2 chip has two NeuronCores; a GPU is one tensor-parallel rank.
    return row.accelerator.count * (2 if row.accelerator.kind == "inferentia2" else 1)


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


CREATE_OPERATIONS = ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint"]


def create_plan(ctx: ToolContext, args: CreateEndpointArgs) -> Plan:
    """What the create makes and costs; warns if the name is taken."""
    row = catalog().get(args.instance_type)
    assert row is not None and row.accelerator is not None
    image, role = resolve_image(ctx, args), role_arn(ctx)
    cost = round(row.price_usd_per_hour * args.instance_count, 2)
    existing = fetch_endpoint(ctx, args.endpoint_name)
    warnings = []
    if existing is not None:
        warnings.append(
            f"an endpoint named {args.endpoint_name} already exists ({existing.status}); the create will be "
            "refused unless it is this request's own earlier attempt"
        )
    return Plan(
        tool="create_inference_endpoint",
        args=args.model_dump(mode="json"),
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        summary=(
            f"create endpoint {args.endpoint_name}: {args.instance_count} x {args.instance_type} serving "
            f"{args.model_s3_uri}"
        ),
        changes=[
            f"CreateModel {model_name(args.endpoint_name)}: image {image}, model data {args.model_s3_uri}, role {role}",
            f"CreateEndpointConfig {config_name(args.endpoint_name)}: variant {VARIANT}, "
            f"{args.instance_count} x {args.instance_type}",
            f"CreateEndpoint {args.endpoint_name}, tagged {REQUEST_TAG}=<approval id>",
        ],
        aws_operations=list(CREATE_OPERATIONS),
        cost_usd_per_hour=cost,
        cost_note=(
            f"{args.instance_count} x ${row.price_usd_per_hour:,.2f}/h, billed from creation until the endpoint "
            f"is deleted (on-demand, {catalog().price_region}, {catalog().price_date})"
        ),
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        region=ctx.region,
        facts={
            "model_name": model_name(args.endpoint_name),
            "endpoint_config_name": config_name(args.endpoint_name),
            "image_uri": image,
            "role_arn": role,
            "accelerators": f"{row.accelerator.count * args.instance_count} x {row.accelerator.kind}",
            "accelerator_memory_gib_per_instance": row.accelerator.memory_gib,
            "endpoint_exists": existing is not None,
        },
        warnings=warnings,
    )


def _taken(what: str, name: str, detail: str) -> ToolInputError:
    return ToolInputError(
        "endpoint_name", name, f"{what} already exists {detail}; delete it or choose another endpoint name"
    )


def _create_once(create: Any, find: Any) -> tuple[dict[str, Any], bool]:
    """Describe before create. A create refused because the resource now exists (our own attempt whose
    answer was lost, then retried) is answered by describing it. Returns (description, created)."""
    found = find()
    if found is not None:
        return found, False
    try:
        create()
    except ClientError as exc:
        found = find() if error_code(exc) == "ValidationException" else None
        if found is None:
            raise
        return found, True
    return find() or {}, True


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
    spec, role, variant = container(ctx, args), role_arn(ctx), variant_spec(args)
    created, reused = [], []
    # Refuse a name that is taken before creating anything for it.
    existing = describe_or_none(sm.describe_endpoint, EndpointName=name)
    if existing is not None and not _ours(sm, existing, token, cname):
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

    return EndpointCreated(
        endpoint_name=name,
        endpoint_arn=endpoint["EndpointArn"],
        status=endpoint["EndpointStatus"],
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        model_name=mname,
        endpoint_config_name=cname,
        image_uri=spec["Image"],
        model_s3_uri=args.model_s3_uri,
        role_arn=role,
        cost_usd_per_hour=round((price_of(args.instance_type) or 0.0) * args.instance_count, 2),
        created=created,
        reused=reused,
        request_tag=token,
    )


def create_render(r: EndpointCreated) -> str:
    """Status, size, cost, and what was created or reused."""
    lines = [
        f"endpoint {r.endpoint_name} is {r.status}: {r.instance_count} x {r.instance_type}, "
        f"{money(r.cost_usd_per_hour)} while it exists",
        f"  model {r.model_name} ({r.model_s3_uri}, image {r.image_uri}); config {r.endpoint_config_name}",
    ]
    if r.created:
        lines.append(f"  created: {', '.join(r.created)}")
    if r.reused:
        lines.append(f"  already there from this request's earlier attempt: {', '.join(r.reused)}")
    if r.status != "InService":
        lines.append(f"  `describe_endpoint {r.endpoint_name}` shows when it is InService")
    return "\n".join(lines)


# -------------------------------------------------------------------------------------- scale_endpoint
class ScaleEndpointArgs(EndpointArgs):
    instance_count: Annotated[
        int, Field(ge=1, le=MAX_INSTANCES, description="The instance count the endpoint should have.")
    ]


class EndpointScaled(BaseModel):
    endpoint_name: str
    variant_name: str
    instance_type: str | None
    old_count: int
    new_count: int
    changed: bool
    status: str
    cost_usd_per_hour_before: float | None
    cost_usd_per_hour_after: float | None


def _scale_target(ctx: ToolContext, args: ScaleEndpointArgs) -> tuple[EndpointInfo, int, int]:
    info = require_endpoint(ctx, args.endpoint_name)
    if len(info.variants) != 1:
        names = ", ".join(v.variant_name for v in info.variants) or "none"
        raise ToolInputError(
            "endpoint_name",
            args.endpoint_name,
            f"has {len(info.variants)} variants ({names}); scale_endpoint scales endpoints with exactly one",
        )
    v = info.variants[0]
    current = v.current_instance_count if v.current_instance_count is not None else (v.desired_instance_count or 0)
    return info, current, v.desired_instance_count if v.desired_instance_count is not None else current


def _costs(info: EndpointInfo, old: int, new: int) -> tuple[float | None, float | None]:
    price = info.price_usd_per_hour
    return (round(price * old, 2), round(price * new, 2)) if price is not None else (None, None)


def scale_plan(ctx: ToolContext, args: ScaleEndpointArgs) -> Plan:
    """Old and new count and the change in hourly cost."""
    info, old, _ = _scale_target(ctx, args)
    new = args.instance_count
    before, after = _costs(info, old, new)
    delta = round(after - before, 2) if before is not None and after is not None else None
    warnings = []
    if info.status != "InService":
        warnings.append(f"endpoint is {info.status}; SageMaker accepts a new capacity only when it is InService")
    if old == new:
        warnings.append(f"{info.endpoint_name} already has {old} instance(s); nothing would change")
    return Plan(
        tool="scale_endpoint",
        args=args.model_dump(mode="json"),
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        summary=f"scale endpoint {info.endpoint_name} ({info.instance_type}) from {old} to {new} instance(s)",
        changes=[
            f"UpdateEndpointWeightsAndCapacities {info.endpoint_name}/{info.variants[0].variant_name}: "
            f"DesiredInstanceCount {old} -> {new}"
        ],
        aws_operations=["sagemaker:UpdateEndpointWeightsAndCapacities"],
        cost_usd_per_hour=after,
        cost_note=f"{money(before)} -> {money(after)} ({'+' if (delta or 0) >= 0 else '-'}${abs(delta or 0):,.2f}/h)"
        if delta is not None
        else f"{info.instance_type} is not in the price catalog",
        instance_type=info.instance_type,
        instance_count=new,
        region=ctx.region,
        facts={
            "old_count": old,
            "new_count": new,
            "cost_usd_per_hour_before": before,
            "cost_usd_per_hour_after": after,
            "cost_usd_per_hour_delta": delta,
            "status": info.status,
        },
        warnings=warnings,
    )


def scale_run(ctx: ToolContext, args: ScaleEndpointArgs) -> EndpointScaled:
    """Set the variant's desired instance count; no call if it is already the target."""
    sm = ctx.clients.client("sagemaker")
    info, old, desired = _scale_target(ctx, args)
    variant, new = info.variants[0].variant_name, args.instance_count
    changed = desired != new
    if changed:
        try:
            sm.update_endpoint_weights_and_capacities(
                EndpointName=info.endpoint_name,
                DesiredWeightsAndCapacities=[{"VariantName": variant, "DesiredInstanceCount": new}],
            )
        except ClientError:
            # A retry after a lost answer finds the endpoint already Updating towards our count.
            _, _, now_desired = _scale_target(ctx, args)
            if now_desired != new:
                raise
    after = require_endpoint(ctx, info.endpoint_name)
    before_cost, after_cost = _costs(info, old, new)
    return EndpointScaled(
        endpoint_name=info.endpoint_name,
        variant_name=variant,
        instance_type=info.instance_type,
        old_count=old,
        new_count=new,
        changed=changed,
        status=after.status,
        cost_usd_per_hour_before=before_cost,
        cost_usd_per_hour_after=after_cost,
    )


def scale_render(r: EndpointScaled) -> str:
    """Old and new count and cost."""
    if not r.changed:
        return f"endpoint {r.endpoint_name} already has {r.new_count} x {r.instance_type}; nothing changed ({r.status})"
    return (
        f"endpoint {r.endpoint_name} ({r.status}): {r.variant_name} {r.old_count} -> {r.new_count} x "
        f"{r.instance_type}, {money(r.cost_usd_per_hour_before)} -> {money(r.cost_usd_per_hour_after)}"
    )


# ------------------------------------------------------------------------------------- delete_endpoint
class EndpointDeleted(BaseModel):
    endpoint_name: str
    deleted: list[str]
    already_gone: bool
    cost_usd_per_hour_saved: float | None


def _delete_targets(ctx: ToolContext, name: str) -> tuple[EndpointInfo | None, str | None, list[str]]:
    """The endpoint, and the config and model opsbot made for it (by their names); others' are kept."""
    sm = ctx.clients.client("sagemaker")
    info = fetch_endpoint(ctx, name)
    cname, mname = config_name(name), model_name(name)
    if info is not None:
        config = cname if info.endpoint_config_name == cname else None
        models = sorted({v.model_name for v in info.variants if v.model_name == mname}) if config else []
        return info, config, models
    # Gone already (a resumed delete): finish the clean-up of what is left.
    config = cname if describe_or_none(sm.describe_endpoint_config, EndpointConfigName=cname) else None
    models = [mname] if describe_or_none(sm.describe_model, ModelName=mname) else []
    return None, config, models


def _delete_operations(info: EndpointInfo | None, config: str | None, models: list[str]) -> list[str]:
    ops = ["sagemaker:DeleteEndpoint"] if info is not None else []
    ops += ["sagemaker:DeleteEndpointConfig"] if config else []
    return ops + (["sagemaker:DeleteModel"] if models else [])


def delete_plan(ctx: ToolContext, args: EndpointArgs) -> Plan:
    """What goes and the hourly spend that stops."""
    info = require_endpoint(ctx, args.endpoint_name)
    _, config, models = _delete_targets(ctx, args.endpoint_name)
    changes = [f"DeleteEndpoint {info.endpoint_name} ({info.status}, {info.instance_count} x {info.instance_type})"]
    changes += [f"DeleteEndpointConfig {config}"] if config else []
    changes += [f"DeleteModel {m}" for m in models]
    saved = info.cost_usd_per_hour
    return Plan(
        tool="delete_endpoint",
        args=args.model_dump(mode="json"),
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        summary=f"delete endpoint {info.endpoint_name} ({info.instance_count} x {info.instance_type}, "
        f"{money(saved)} stops)",
        changes=changes,
        aws_operations=_delete_operations(info, config, models),
        cost_usd_per_hour=0.0,
        cost_note=f"stops {money(saved)}" if saved is not None else None,
        instance_type=info.instance_type,
        instance_count=info.instance_count,
        region=ctx.region,
        facts={
            "status": info.status,
            "endpoint_config_name": info.endpoint_config_name,
            "models": models,
            "cost_usd_per_hour_delta": -saved if saved is not None else None,
        },
        warnings=[f"requests to {info.endpoint_name} fail from now on; the model data in S3 is kept"],
    )


def _delete(call: Any, **kwargs: Any) -> bool:
    """True if deleted, False if it was already gone."""
    try:
        call(**kwargs)
        return True
    except ClientError as exc:
        if is_not_found(exc):
            return False
        raise


def delete_run(ctx: ToolContext, args: EndpointArgs) -> EndpointDeleted:
    """DeleteEndpoint, then the endpoint config and model opsbot made for it. Safe to run again."""
    sm = ctx.clients.client("sagemaker")
    info, config, models = _delete_targets(ctx, args.endpoint_name)
    deleted = []
    if info is not None and _delete(sm.delete_endpoint, EndpointName=args.endpoint_name):
        deleted.append(f"endpoint {args.endpoint_name}")
    if config and _delete(sm.delete_endpoint_config, EndpointConfigName=config):
        deleted.append(f"endpoint config {config}")
    for m in models:
        if _delete(sm.delete_model, ModelName=m):
            deleted.append(f"model {m}")
    return EndpointDeleted(
        endpoint_name=args.endpoint_name,
        deleted=deleted,
        already_gone=info is None,
        cost_usd_per_hour_saved=info.cost_usd_per_hour if info else None,
    )


def delete_render(r: EndpointDeleted) -> str:
    """What was deleted and the spend that stopped."""
    if r.already_gone and not r.deleted:
        return f"endpoint {r.endpoint_name} was already deleted; nothing left to remove"
    saved = f"; {money(r.cost_usd_per_hour_saved)} no longer billed" if r.cost_usd_per_hour_saved is not None else ""
    return f"deleted {', '.join(r.deleted)}{saved}"


TOOLS: list[Tool] = [
    RECOMMEND_TOOL,
    Tool(
        name="create_inference_endpoint",
        domain="inference",
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        description=(
            "Deploy a model from S3 to a new SageMaker real-time endpoint on Inf2 or P6-B200 "
            "(model, endpoint config and endpoint)."
        ),
        args_model=CreateEndpointArgs,
        plan=create_plan,
        run=create_run,
        render=create_render,
        keywords=("deploy", "create endpoint", "serve", "host", "new endpoint"),
    ),
    LIST_TOOL,
    DESCRIBE_TOOL,
    Tool(
        name="scale_endpoint",
        domain="inference",
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        description="Change the instance count of a SageMaker endpoint (its one variant).",
        args_model=ScaleEndpointArgs,
        plan=scale_plan,
        run=scale_run,
        render=scale_render,
        keywords=("scale endpoint", "scale", "more instances", "fewer instances", "replicas"),
    ),
    Tool(
        name="delete_endpoint",
        domain="inference",
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        description="Delete a SageMaker endpoint, with the endpoint config and model opsbot created for it.",
        args_model=EndpointArgs,
        plan=delete_plan,
        run=delete_run,
        render=delete_render,
        keywords=("delete endpoint", "tear down", "remove endpoint", "stop serving"),
    ),
]
