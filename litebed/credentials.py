"""Who litebed is when it calls Bedrock, and where it sends the call.

The precedence chain (first match wins; docs/credentials.md has the table):

1. ``aws_bedrock_client=``  a boto3 ``bedrock-runtime`` client: its credentials,
   region and endpoint, nothing else consulted.
2. ``api_key=`` or ``AWS_BEARER_TOKEN_BEDROCK``: a Bedrock API key (bearer auth).
3. ``aws_role_name=`` (STS AssumeRole, or AssumeRoleWithWebIdentity with
   ``aws_web_identity_token=``) on top of base credentials from 4-6.
4. ``aws_access_key_id=`` + ``aws_secret_access_key=`` (+ ``aws_session_token=``).
5. ``aws_profile_name=``: a named profile, through botocore.
6. The environment and botocore's default chain.

This module is the only one that holds secrets. An :class:`Auth` is resolved
once per distinct configuration and cached; it signs each request (SigV4 via
botocore, service name ``bedrock``) with credentials that botocore refreshes
before they expire.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import AuthenticationError, BadRequestError

#: Keyword arguments of completion()/embedding()/... that belong to this module.
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

_SIGNING_NAME = "bedrock"


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
    def from_kwargs(cls, kwargs: dict, *, arn_region: Optional[str] = None) -> "AuthOptions":
        """Pop this module's arguments out of ``kwargs`` (``api_base`` is an alias)."""
        values = {name: kwargs.pop(name) for name in AUTH_PARAMS if name in kwargs}
        api_base = values.pop("api_base", None)
        if api_base and not values.get("aws_bedrock_runtime_endpoint"):
            values["aws_bedrock_runtime_endpoint"] = api_base
        return cls(**values, arn_region=arn_region)


_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
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
)


def _env_snapshot() -> tuple:
    env = os.environ
    return tuple(env.get(k) for k in _ENV_KEYS)


def _partition_suffix(region: str) -> str:
    if region.startswith("cn-"):
        return "amazonaws.com.cn"
    return "amazonaws.com"


class Auth:
    """Resolved identity plus endpoints for one configuration. Signs requests."""

    def __init__(
        self,
        *,
        region: str,
        runtime_url: str,
        control_url: str,
        sts_url: str,
        credentials: Any = None,
        bearer_token: Optional[str] = None,
        source: str,
    ) -> None:
        self.region = region
        self.runtime_url = runtime_url.rstrip("/")
        self.control_url = control_url.rstrip("/")
        self.sts_url = sts_url.rstrip("/")
        self.source = source
        self._credentials = credentials
        self._bearer_token = bearer_token
        self._sigv4_cls = None
        self._request_cls = None

    def __repr__(self) -> str:
        return f"Auth(source={self.source!r}, region={self.region!r}, runtime_url={self.runtime_url!r})"

    @property
    def access_key_id(self) -> Optional[str]:
        if self._credentials is None:
            return None
        return self._credentials.get_frozen_credentials().access_key

    def sign(self, method: str, url: str, headers: dict, body: bytes) -> dict:
        """Return ``headers`` plus the authentication headers for this request."""
        if self._bearer_token is not None:
            headers["Authorization"] = "Bearer " + self._bearer_token
            return headers
        if self._sigv4_cls is None:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest

            self._sigv4_cls, self._request_cls = SigV4Auth, AWSRequest
        frozen = self._credentials.get_frozen_credentials()
        request = self._request_cls(method=method, url=url, data=body, headers=headers)
        self._sigv4_cls(frozen, _SIGNING_NAME, self.region).add_auth(request)
        return dict(request.headers.items())


_cache: dict[tuple, Auth] = {}
_cache_lock = threading.Lock()


def resolve_auth(options: AuthOptions) -> Auth:
    """The cached :class:`Auth` for these options and the current environment."""
    key = (options, id(options.aws_bedrock_client), _env_snapshot())
    auth = _cache.get(key)
    if auth is not None:
        return auth
    with _cache_lock:
        auth = _cache.get(key)
        if auth is None:
            auth = _resolve(options)
            _cache[key] = auth
    return auth


def clear_cache() -> None:
    """Forget every resolved identity (tests, or after rotating keys)."""
    with _cache_lock:
        _cache.clear()


def _resolve(options: AuthOptions) -> Auth:
    env = os.environ
    if options.aws_bedrock_client is not None:
        return _from_boto3_client(options.aws_bedrock_client)

    session = None
    if options.aws_profile_name or not (options.aws_access_key_id or options.api_key):
        session = _botocore_session(options.aws_profile_name)

    region = (
        options.aws_region_name
        or options.arn_region
        or env.get("AWS_REGION_NAME")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or (session.get_config_variable("region") if session is not None else None)
    )
    if not region:
        raise BadRequestError(
            "no AWS region: pass aws_region_name=, use an ARN model id, or set AWS_REGION"
        )
    runtime_url, control_url, sts_url = _endpoints(options, region)
    common = dict(region=region, runtime_url=runtime_url, control_url=control_url, sts_url=sts_url)

    bearer = options.api_key or env.get("AWS_BEARER_TOKEN_BEDROCK")
    if bearer:
        return Auth(**common, bearer_token=bearer, source="api_key")

    if options.aws_access_key_id or options.aws_secret_access_key:
        if not (options.aws_access_key_id and options.aws_secret_access_key):
            raise AuthenticationError(
                "aws_access_key_id and aws_secret_access_key must be given together"
            )
        from botocore.credentials import Credentials

        creds = Credentials(
            options.aws_access_key_id, options.aws_secret_access_key, options.aws_session_token
        )
        return Auth(**common, credentials=creds, source="explicit keys")

    creds = session.get_credentials() if session is not None else None
    if creds is None:
        raise AuthenticationError(
            "no AWS credentials found; tried aws_bedrock_client=, api_key= / AWS_BEARER_TOKEN_BEDROCK, "
            "aws_role_name=, aws_access_key_id= / aws_secret_access_key=, aws_profile_name=, "
            "and the environment / default chain"
        )
    source = f"profile {options.aws_profile_name}" if options.aws_profile_name else "environment"
    return Auth(**common, credentials=creds, source=source)


def _botocore_session(profile: Optional[str]):
    import botocore.session

    session = botocore.session.Session(profile=profile) if profile else botocore.session.Session()
    return session


def _endpoints(options: AuthOptions, region: str) -> tuple[str, str, str]:
    env = os.environ
    suffix = _partition_suffix(region)
    runtime = (
        options.aws_bedrock_runtime_endpoint
        or env.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
        or env.get("AWS_ENDPOINT_URL")
        or f"https://bedrock-runtime.{region}.{suffix}"
    )
    control = (
        options.aws_bedrock_endpoint
        or env.get("AWS_ENDPOINT_URL_BEDROCK")
        or env.get("AWS_ENDPOINT_URL")
        or (options.aws_bedrock_runtime_endpoint if options.aws_bedrock_runtime_endpoint else None)
        or f"https://bedrock.{region}.{suffix}"
    )
    sts = (
        options.aws_sts_endpoint
        or env.get("AWS_ENDPOINT_URL_STS")
        or env.get("AWS_ENDPOINT_URL")
        or f"https://sts.{region}.{suffix}"
    )
    return runtime, control, sts


def _from_boto3_client(client: Any) -> Auth:
    meta = client.meta
    region = meta.region_name
    creds = client._request_signer._credentials  # refreshable credentials, shared with the client
    runtime_url = meta.endpoint_url
    control_url = runtime_url.replace("bedrock-runtime", "bedrock", 1)
    sts_url = f"https://sts.{region}.{_partition_suffix(region)}"
    if creds is None:
        raise AuthenticationError("the boto3 client passed as aws_bedrock_client= has no credentials")
    return Auth(
        region=region,
        runtime_url=runtime_url,
        control_url=control_url,
        sts_url=sts_url,
        credentials=creds,
        source="aws_bedrock_client",
    )


__all__ = ["AUTH_PARAMS", "Auth", "AuthOptions", "clear_cache", "resolve_auth"]
