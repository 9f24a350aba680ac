"""The caller's auth arguments, and where they send a call.

:class:`AuthOptions` holds the credential and endpoint keywords of one call
(secrets as :class:`Secret`, which never shows in a repr); :func:`endpoints`
turns them and a region into the runtime, control-plane and STS URLs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional

AUTH_PARAMS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region_name",
    "aws_profile_name",
    "aws_role_name",
    "aws_session_name",
    "aws_external_id",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_bedrock_runtime_endpoint",
    "aws_bedrock_endpoint",
    "api_base",
    "api_key",
    "aws_bedrock_client",
)

#: The arguments that are secrets.
SECRET_PARAMS = ("aws_secret_access_key", "aws_session_token", "aws_web_identity_token", "api_key")

class Secret(str):
    """A secret string: used as the string it is, shown as ``'***'`` in any repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"

#: What the "no credentials" error says was tried, in precedence order.
SOURCES_TRIED = (
    "aws_bedrock_client=",
    "api_key= / AWS_BEARER_TOKEN_BEDROCK",
    "aws_role_name=",
    "aws_access_key_id= + aws_secret_access_key=",
    "aws_profile_name=",
    "environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, "
    "AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), shared config and credentials files, "
    "container and instance metadata",
)


@dataclass(frozen=True)
class AuthOptions:
    """The caller's auth-related arguments. Secrets are excluded from the repr."""

    aws_access_key_id: Optional[str] = None
    aws_secret_access_key: Optional[str] = field(default=None, repr=False)
    aws_session_token: Optional[str] = field(default=None, repr=False)
    aws_region_name: Optional[str] = None
    aws_profile_name: Optional[str] = None
    aws_role_name: Optional[str] = None
    aws_session_name: Optional[str] = None
    aws_external_id: Optional[str] = None
    aws_web_identity_token: Optional[str] = field(default=None, repr=False)
    aws_sts_endpoint: Optional[str] = None
    aws_bedrock_runtime_endpoint: Optional[str] = None
    aws_bedrock_endpoint: Optional[str] = None
    api_key: Optional[str] = field(default=None, repr=False)
    aws_bedrock_client: Any = field(default=None, repr=False, compare=False, hash=False)
    #: The region named inside an ARN model id, a hint below aws_region_name.
    arn_region: Optional[str] = None

    @classmethod
    def from_kwargs(cls, kwargs: dict, *, arn_region: Optional[str] = None) -> AuthOptions:
        """Pop this module's arguments out of ``kwargs`` (``api_base`` is an alias)."""
        values = {name: kwargs.pop(name) for name in AUTH_PARAMS if name in kwargs}
        for name in SECRET_PARAMS:
            value = values.get(name)
            if value is not None and type(value) is str:
                values[name] = Secret(value)  # keeps it out of reprs and traceback locals
        api_base = values.pop("api_base", None)
        if api_base and not values.get("aws_bedrock_runtime_endpoint"):
            values["aws_bedrock_runtime_endpoint"] = api_base
        return cls(**values, arn_region=arn_region)


#: Environment variables that change the outcome of a resolution (part of the cache key).
_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_BEDROCK",
    "AWS_ENDPOINT_URL_STS",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_DISABLED",
)


def _env_snapshot() -> tuple:
    # os.environ.get re-encodes each key and raises KeyError inside for a missing one:
    # ~14 us for these keys, against ~0.6 us reading the underlying dict (runs on every call).
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict) and _ENCODED_KEYS:
        return tuple(map(data.get, _ENCODED_KEYS))
    return tuple(map(os.environ.get, _ENV_KEYS))


try:
    _ENCODED_KEYS = tuple(os.environ.encodekey(k) for k in _ENV_KEYS)
except AttributeError:  # not CPython's os._Environ
    _ENCODED_KEYS = ()

# DNS suffix by region prefix, from botocore's data/partitions.json; GovCloud
# (``us-gov-``) is in the default ``amazonaws.com``. Longest prefixes first.
_PARTITION_SUFFIXES = (
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("us-iso-", "c2s.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("eusc-", "amazonaws.eu"),
    ("cn-", "amazonaws.com.cn"),
)


def partition_suffix(region: str) -> str:
    """The DNS suffix of ``region``'s partition (``amazonaws.com`` unless known otherwise)."""
    for prefix, suffix in _PARTITION_SUFFIXES:
        if region.startswith(prefix):
            return suffix
    return "amazonaws.com"


def endpoints(options: AuthOptions, region: str) -> tuple[str, str, str]:
    """(runtime, control plane, STS) URLs for ``region``."""
    env = os.environ
    suffix = partition_suffix(region)
    custom_runtime = options.aws_bedrock_runtime_endpoint or env.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    runtime = custom_runtime or env.get("AWS_ENDPOINT_URL") or f"https://bedrock-runtime.{region}.{suffix}"
    control = (
        options.aws_bedrock_endpoint
        or env.get("AWS_ENDPOINT_URL_BEDROCK")
        or env.get("AWS_ENDPOINT_URL")
        # Only a runtime endpoint given (an emulator, a proxy): the control plane lives there too.
        or (control_url_for(custom_runtime) if custom_runtime else None)
        or f"https://bedrock.{region}.{suffix}"
    )
    sts = (
        options.aws_sts_endpoint
        or env.get("AWS_ENDPOINT_URL_STS")
        or env.get("AWS_ENDPOINT_URL")
        or f"https://sts.{region}.{suffix}"
    )
    return runtime, control, sts


def control_url_for(runtime_url: str) -> str:
    """The control-plane URL that goes with a runtime URL.

    ``https://bedrock-runtime[-fips].<region>.<suffix>`` -> ``https://bedrock[-fips].<region>.<suffix>``;
    any other URL (emulator, proxy) serves both planes itself.
    """
    scheme, sep, rest = runtime_url.partition("://")
    if sep and rest.startswith("bedrock-runtime"):
        return f"{scheme}://bedrock{rest[len('bedrock-runtime'):]}"
    return runtime_url


