"""Model identifiers and the ``bedrock`` control plane (docs/bedrock.md §2).

``resolve_base_model`` turns any runtime ``modelId`` into the base model id a
family serves; the GET operations answer in the shapes of botocore's
``bedrock`` service model, so a client can find which base model an opaque
ARN (provisioned, custom, imported, application profile) runs.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import unquote

#: cross-Region inference profile prefixes (§2.1) -> the Regions they route to
GEO_PREFIXES = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2"),
    "global": ("us-east-1", "eu-west-1", "ap-northeast-1"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
}
#: ARN resource types whose base model only the ``models`` mapping knows
OPAQUE_RESOURCES = ("provisioned-model", "custom-model", "custom-model-deployment", "imported-model", "application-inference-profile")
FIXED_TIME = "2024-01-01T00:00:00Z"
INVALID_IDENTIFIER = "The provided model identifier is invalid."


class ApiError(Exception):
    """An error answered in Bedrock's shape: ``status``, ``x-amzn-ErrorType: code``, ``{"message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def strip_geo_prefix(model_id: str) -> str:
    """``us.anthropic.claude-...`` -> ``anthropic.claude-...``; other ids unchanged."""
    prefix, dot, rest = model_id.partition(".")
    if dot and prefix in GEO_PREFIXES and "." in rest:
        return rest
    return model_id


def split_arn(identifier: str) -> Optional[tuple[str, str, str, str]]:
    """A bedrock ARN -> (region, account, resource type, resource id); None if not one."""
    parts = identifier.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "bedrock":
        return None
    resource_type, _, resource_id = parts[5].partition("/")
    return parts[3], parts[4], resource_type, resource_id


def resolve_base_model(identifier: str, models: dict) -> str:
    """Any runtime ``modelId`` -> the base model id (raises ApiError for an unknown ARN)."""
    if not identifier.startswith("arn:"):
        return strip_geo_prefix(identifier)
    arn = split_arn(identifier)
    if arn is None:
        raise ApiError(400, "ValidationException", INVALID_IDENTIFIER)
    _, _, resource_type, resource_id = arn
    if resource_type == "foundation-model":
        return resource_id
    if resource_type == "inference-profile":
        return strip_geo_prefix(resource_id)
    if resource_type in OPAQUE_RESOURCES:
        base = models.get(identifier)
        if base is None:
            raise ApiError(404, "ResourceNotFoundException", f"Could not find the resource {identifier}.")
        return base
    raise ApiError(400, "ValidationException", INVALID_IDENTIFIER)


# -- the GET operations -------------------------------------------------------


def handle(path: str, query: dict, *, models: dict, region: str) -> dict:
    """Answer one control-plane GET (``path`` as received, still percent-encoded)."""
    segments = path.strip("/").split("/")
    collection = segments[0]
    identifier = unquote(segments[1]) if len(segments) == 2 else None
    if collection == "foundation-models" and len(segments) == 1:
        return {"modelSummaries": list_foundation_models(query, region)}
    if identifier is None or len(segments) != 2:
        raise ApiError(404, "UnknownOperationException", f"No operation matches {path}.")
    if collection == "foundation-models":
        return {"modelDetails": get_foundation_model(identifier, region)}
    if collection == "provisioned-model-throughput":
        return get_provisioned_model(identifier, models)
    if collection == "custom-models":
        return get_custom_model(identifier, models)
    if collection == "imported-models":
        return get_imported_model(identifier, models)
    if collection == "inference-profiles":
        return get_inference_profile(identifier, models, region)
    raise ApiError(404, "UnknownOperationException", f"No operation matches {path}.")


def foundation_model_arn(model_id: str, region: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _summary(entry: dict, region: str) -> dict:
    summary = {"modelArn": foundation_model_arn(entry["modelId"], region), "customizationsSupported": [],
               "modelLifecycle": {"status": "ACTIVE"}}
    summary.update(entry)
    return summary


def list_foundation_models(query: dict, region: str) -> list[dict]:
    """ListFoundationModels with its ``by*`` filters."""
    from . import families

    summaries = [_summary(entry, region) for entry in families.catalogue()]
    provider = query.get("byProvider")
    if provider:
        wanted = provider.lower()
        summaries = [s for s in summaries if s.get("providerName", "").lower() == wanted or s["modelId"].split(".")[0] == wanted]
    for name, member in (("byOutputModality", "outputModalities"), ("byInferenceType", "inferenceTypesSupported"),
                         ("byCustomizationType", "customizationsSupported")):
        if query.get(name):
            summaries = [s for s in summaries if query[name] in s.get(member, ())]
    return summaries


def get_foundation_model(identifier: str, region: str) -> dict:
    from . import families

    arn = split_arn(identifier) if identifier.startswith("arn:") else None
    model_id = arn[3] if arn and arn[2] == "foundation-model" else identifier
    for entry in families.catalogue():
        if entry["modelId"] == model_id:
            return _summary(entry, region)
    raise ApiError(404, "ResourceNotFoundException", f"Could not find model {identifier}.")


def _lookup(identifier: str, models: dict, resource_type: str) -> tuple[str, str]:
    """An ARN, or the id/name at its end, -> (full ARN, base model id)."""
    for arn, base in models.items():
        parsed = split_arn(arn)
        if parsed and parsed[2] == resource_type and identifier in (arn, parsed[3], parsed[3].rsplit("/", 1)[-1]):
            return arn, base
    raise ApiError(404, "ResourceNotFoundException", f"Could not find the {resource_type} {identifier}.")


def _region_of(arn: str) -> str:
    parsed = split_arn(arn)  # an ARN _lookup() matched, so never None in practice
    return (parsed[0] if parsed else "") or "us-east-1"


def get_provisioned_model(identifier: str, models: dict) -> dict:
    arn, base = _lookup(identifier, models, "provisioned-model")
    model_arn = foundation_model_arn(base, _region_of(arn))
    return {
        "modelUnits": 1, "desiredModelUnits": 1, "provisionedModelName": arn.rsplit("/", 1)[-1],
        "provisionedModelArn": arn, "modelArn": model_arn, "desiredModelArn": model_arn,
        "foundationModelArn": model_arn, "status": "InService",
        "creationTime": FIXED_TIME, "lastModifiedTime": FIXED_TIME,
    }


def get_custom_model(identifier: str, models: dict) -> dict:
    arn, base = _lookup(identifier, models, "custom-model")
    return {
        "modelArn": arn, "modelName": arn.rsplit("/", 1)[-1], "creationTime": FIXED_TIME,
        "baseModelArn": foundation_model_arn(base, _region_of(arn)),
        "customizationType": "FINE_TUNING", "modelStatus": "Active",
    }


def _architecture(base_model_id: str) -> str:
    """Custom Model Import architecture names for the families an import can be."""
    provider, _, name = base_model_id.partition(".")
    if provider == "meta":
        return "llama2" if name.startswith("llama2") else "llama3"
    if provider == "mistral":
        return "mixtral" if name.startswith("mixtral") else "mistral"
    return provider


def get_imported_model(identifier: str, models: dict) -> dict:
    arn, base = _lookup(identifier, models, "imported-model")
    return {
        "modelArn": arn, "modelName": arn.rsplit("/", 1)[-1], "creationTime": FIXED_TIME,
        "modelArchitecture": _architecture(base), "instructSupported": True,
    }


def get_inference_profile(identifier: str, models: dict, region: str) -> dict:
    """A system (cross-Region) profile by id or ARN, or an application profile from ``models``."""
    arn = split_arn(identifier) if identifier.startswith("arn:") else None
    if (arn and arn[2] == "application-inference-profile") or (not arn and "." not in identifier):
        profile_arn, base = _lookup(identifier, models, "application-inference-profile")
        profile_id = profile_arn.rsplit("/", 1)[-1]
        return {
            "inferenceProfileName": f"application-{profile_id}", "inferenceProfileArn": profile_arn,
            "inferenceProfileId": profile_id, "status": "ACTIVE", "type": "APPLICATION",
            "models": [{"modelArn": foundation_model_arn(base, _region_of(profile_arn))}],
            "createdAt": FIXED_TIME, "updatedAt": FIXED_TIME,
        }
    profile_id = arn[3] if arn and arn[2] == "inference-profile" else identifier
    geo, _, base = profile_id.partition(".")
    from . import families

    if geo not in GEO_PREFIXES or families.family_for(base) is None:
        raise ApiError(404, "ResourceNotFoundException", f"Could not find the inference profile {identifier}.")
    account = arn[1] if arn else "123456789012"
    home = arn[0] if arn else region
    return {
        "inferenceProfileName": f"{geo.upper()} {base}",
        "inferenceProfileArn": f"arn:aws:bedrock:{home}:{account}:inference-profile/{profile_id}",
        "inferenceProfileId": profile_id, "status": "ACTIVE", "type": "SYSTEM_DEFINED",
        "models": [{"modelArn": foundation_model_arn(base, r)} for r in GEO_PREFIXES[geo]],
        "createdAt": FIXED_TIME, "updatedAt": FIXED_TIME,
    }
