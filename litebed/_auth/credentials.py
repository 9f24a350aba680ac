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
before they expire. Every secret it meets is registered with
:mod:`litebed._auth.redact`, whose log filter it installs on first use.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from . import redact, sigv4
from ..errors import AuthenticationError, BadRequestError

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

#: The arguments that are secrets.
SECRET_PARAMS = ("aws_secret_access_key", "aws_session_token", "aws_web_identity_token", "api_key")

_SIGNING_NAME = "bedrock"


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
    def from_kwargs(cls, kwargs: dict, *, arn_region: Optional[str] = None) -> "AuthOptions":
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
    _ENCODED_KEYS = tuple(os.environ.encodekey(k) for k in _ENV_KEYS)  # type: ignore[attr-defined]
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


class Auth:
    """Resolved identity plus endpoints for one configuration. Signs requests.

    ``credentials`` is a botocore ``Credentials`` (``RefreshableCredentials``
    refresh themselves); ``bearer_token`` is a string or a botocore token
    provider (``get_frozen_token()``). Neither appears in the repr.
    """

    def __init__(
        self,
        *,
        region: str,
        runtime_url: str,
        control_url: str,
        sts_url: str,
        credentials: Any = None,
        bearer_token: Any = None,
        source: str,
        owner: Any = None,
    ) -> None:
        self.region = region
        self.runtime_url = runtime_url.rstrip("/")
        self.control_url = control_url.rstrip("/")
        self.sts_url = sts_url.rstrip("/")
        self.source = source
        self._credentials = credentials
        self._bearer_token = bearer_token
        # Keeps a passed boto3 client alive while cached: the cache key holds its id().
        self._owner = owner
        self._seen: tuple = ()
        self._sigv4_cls = None
        self._request_cls = None

    def __repr__(self) -> str:
        return f"Auth(source={self.source!r}, region={self.region!r}, runtime_url={self.runtime_url!r})"

    @property
    def auth_type(self) -> str:
        """``"bearer"`` or ``"sigv4"``."""
        return "bearer" if self._bearer_token is not None else "sigv4"

    @property
    def access_key_id(self) -> Optional[str]:
        """The access key id currently signing (not a secret); None for bearer auth."""
        if self._credentials is None:
            return None
        return self._frozen().access_key

    def _frozen(self):
        try:
            frozen = self._credentials.get_frozen_credentials()
        except AuthenticationError:
            raise
        except Exception as exc:  # a failed refresh (STS, SSO, credential_process ...)
            raise AuthenticationError(
                f"refreshing AWS credentials ({self.source}) failed: {redact.scrub(str(exc))}"
            ) from None
        if self._seen != (frozen.secret_key, frozen.token):
            redact.register(frozen.secret_key, frozen.token)
            self._seen = (frozen.secret_key, frozen.token)
        return frozen

    def refresh_due(self) -> bool:
        """Whether the next signature would refresh the credentials first (an STS or process call)."""
        credentials = self._credentials
        refresh_needed = getattr(credentials, "refresh_needed", None)  # RefreshableCredentials only
        return refresh_needed is not None and bool(refresh_needed())

    def refresh(self) -> None:
        """Refresh now if due (blocking: the async path runs this in a thread)."""
        if self._credentials is not None:
            self._frozen()

    def _bearer(self) -> str:
        token = self._bearer_token
        if isinstance(token, str):
            return token
        # a botocore token provider, or an already frozen token
        value = token.get_frozen_token().token if hasattr(token, "get_frozen_token") else token.token
        redact.register(value)
        return value

    def sign(self, method: str, url: str, headers: dict, body: bytes) -> dict:
        """Return ``headers`` plus the authentication headers for this request."""
        if self._bearer_token is not None:
            headers["Authorization"] = "Bearer " + self._bearer()
            return headers
        frozen = self._frozen()
        if sigv4.can_sign(url):
            return sigv4.sign(
                method, url, headers, body,
                access_key=frozen.access_key, secret_key=frozen.secret_key, token=frozen.token,
                region=self.region, service=_SIGNING_NAME,
            )
        if self._sigv4_cls is None:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest

            self._sigv4_cls, self._request_cls = SigV4Auth, AWSRequest
        request = self._request_cls(method=method, url=url, data=body, headers=headers)
        self._sigv4_cls(frozen, _SIGNING_NAME, self.region).add_auth(request)
        return dict(request.headers.items())


_CACHE_LIMIT = 256


class _Key(tuple):
    """A cache key that holds secrets (options, environment): never shown."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<credentials cache key>"


class AuthCache:
    """Resolved identities by configuration: bounded (least recently used goes), thread-safe.

    Each :class:`~litebed.Client` owns one; nothing in it shows a secret in a repr.
    """

    def __init__(self, limit: int = _CACHE_LIMIT) -> None:
        self._limit = limit
        self._entries: dict[_Key, Auth] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuthCache({len(self._entries)} identities)"

    def key(self, options: AuthOptions) -> _Key:
        return _Key((options, id(options.aws_bedrock_client), _env_snapshot()))

    def cached(self, key: _Key) -> Optional[Auth]:
        return self._entries.get(key)

    def resolve(self, options: AuthOptions, key: Optional[_Key] = None) -> Auth:
        """The :class:`Auth` for ``options`` and the current environment (resolving it at most once).

        Raises :class:`~litebed.errors.AuthenticationError` when no source yields
        credentials (before any request to Bedrock), and
        :class:`~litebed.errors.BadRequestError` when no region can be found.
        """
        key = key or self.key(options)
        auth = self._entries.get(key)
        if auth is not None:
            return auth
        with self._lock:
            auth = self._entries.get(key)
            if auth is None:
                redact.install()
                auth = _resolve(options)
                if len(self._entries) >= self._limit:  # a long-lived process whose env keeps changing
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = auth
        return auth

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_default_cache = AuthCache()
_role_credentials: dict[_Key, Any] = {}
_role_lock = threading.Lock()


def resolve_auth(options: AuthOptions) -> Auth:
    """The process-wide cached :class:`Auth` for these options (see :meth:`AuthCache.resolve`)."""
    return _default_cache.resolve(options)


def clear_cache() -> None:
    """Forget every resolved identity and assumed role (tests, or after rotating keys)."""
    from .._client import clear_default_clients

    _default_cache.clear()
    clear_default_clients()
    with _role_lock:
        _role_credentials.clear()


# --- resolution -----------------------------------------------------------------


class _Lazy:
    """The botocore session for the profile (or the default one), created on first need."""

    def __init__(self, profile: Optional[str]) -> None:
        self.profile = profile
        self._session = None

    @property
    def session(self):
        if self._session is None:
            import botocore.session

            self._session = botocore.session.Session(profile=self.profile)
        return self._session

    def region(self) -> Optional[str]:
        from botocore.exceptions import BotoCoreError

        try:
            return self.session.get_config_variable("region")
        except BotoCoreError:
            return None  # an unknown profile: reported by credentials()

    def credentials(self):
        from botocore.exceptions import ProfileNotFound

        try:
            creds = self.session.get_credentials()
            if creds is not None:
                creds.get_frozen_credentials()  # fetch now: errors surface before any request
        except ProfileNotFound:
            raise AuthenticationError(f"AWS profile {self.profile!r} was not found in the shared config files") from None
        except Exception as exc:
            where = f"profile {self.profile!r}" if self.profile else "the default credential chain"
            raise AuthenticationError(f"loading AWS credentials from {where} failed: {redact.scrub(str(exc))}") from None
        return creds


def _resolve(options: AuthOptions) -> Auth:
    if options.aws_bedrock_client is not None:
        return _from_boto3_client(options.aws_bedrock_client)
    env = os.environ
    _register_secrets(options, env)
    lazy = _Lazy(options.aws_profile_name)
    region = (
        options.aws_region_name
        or options.arn_region
        or env.get("AWS_REGION_NAME")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
    )

    def endpoints() -> dict:
        nonlocal region
        region = region or lazy.region()
        if not region:
            raise BadRequestError(
                "no AWS region: pass aws_region_name=, use an ARN model id, set AWS_REGION "
                "(or AWS_REGION_NAME / AWS_DEFAULT_REGION), or set region in the AWS profile"
            )
        runtime, control, sts = _endpoints(options, region)
        return dict(region=region, runtime_url=runtime, control_url=control, sts_url=sts)

    bearer = options.api_key or env.get("AWS_BEARER_TOKEN_BEDROCK")
    if bearer:
        source = "api_key" if options.api_key else "AWS_BEARER_TOKEN_BEDROCK"
        return Auth(**endpoints(), bearer_token=bearer, source=source)

    if options.aws_role_name:
        where = endpoints()
        creds, source = _assumed_role(options, lazy, where["region"], where["sts_url"])
        return Auth(**where, credentials=creds, source=source)

    creds, source = _base_credentials(options, lazy)
    return Auth(**endpoints(), credentials=creds, source=source)


def _register_secrets(options: AuthOptions, env) -> None:
    redact.register(
        options.aws_secret_access_key,
        options.aws_session_token,
        options.aws_web_identity_token,
        options.api_key,
        env.get("AWS_SECRET_ACCESS_KEY"),
        env.get("AWS_SESSION_TOKEN"),
        env.get("AWS_BEARER_TOKEN_BEDROCK"),
    )


def _base_credentials(options: AuthOptions, lazy: _Lazy) -> tuple[Any, str]:
    """Sources 4-6: explicit keys, a profile, the environment and default chain."""
    if options.aws_access_key_id or options.aws_secret_access_key:
        if not (options.aws_access_key_id and options.aws_secret_access_key):
            raise AuthenticationError("aws_access_key_id and aws_secret_access_key must be given together")
        from botocore.credentials import Credentials

        creds = Credentials(options.aws_access_key_id, options.aws_secret_access_key, options.aws_session_token)
        return creds, "explicit keys"
    creds = lazy.credentials()
    if creds is None:
        if options.aws_profile_name:
            raise AuthenticationError(f"AWS profile {options.aws_profile_name!r} has no credentials")
        raise AuthenticationError("no AWS credentials found; tried " + ", ".join(SOURCES_TRIED))
    if options.aws_profile_name:
        return creds, f"profile {options.aws_profile_name}"
    return creds, f"default chain ({getattr(creds, 'method', 'unknown')})"


def _assumed_role(options: AuthOptions, lazy: _Lazy, region: str, sts_url: str) -> tuple[Any, str]:
    """Source 3: temporary credentials for ``aws_role_name``, cached per role configuration.

    One botocore ``sts`` client is created per role configuration; botocore's
    ``RefreshableCredentials`` calls STS again when the credentials come within
    its refresh window (15 minutes advisory, 10 mandatory) of expiring.
    """
    web_identity = options.aws_web_identity_token
    key = _Key((
        options.aws_role_name, options.aws_session_name, options.aws_external_id, web_identity,
        region, sts_url, options.aws_access_key_id, options.aws_secret_access_key,
        options.aws_session_token, options.aws_profile_name, _env_snapshot(),
    ))
    kind = "web identity" if web_identity else "assumed role"
    source = f"{kind} {options.aws_role_name}"
    cached = _role_credentials.get(key)
    if cached is not None:
        return cached, source

    from botocore.credentials import RefreshableCredentials

    fetch = _sts_fetcher(options, lazy, region, sts_url)
    creds = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role-with-web-identity" if web_identity else "sts-assume-role"
    )
    with _role_lock:
        if len(_role_credentials) >= _CACHE_LIMIT:
            _role_credentials.pop(next(iter(_role_credentials)))
        _role_credentials[key] = creds
    return creds, source


def _sts_fetcher(options: AuthOptions, lazy: _Lazy, region: str, sts_url: str):
    """A function calling STS (through one botocore client) that returns credential metadata."""
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=10, read_timeout=30)
    role = options.aws_role_name
    session_name = options.aws_session_name or f"litebed-{int(time.time())}"
    if options.aws_web_identity_token:
        from botocore import UNSIGNED

        sts = lazy.session.create_client(
            "sts", region_name=region, endpoint_url=sts_url, config=config.merge(Config(signature_version=UNSIGNED))
        )
        operation, call = "AssumeRoleWithWebIdentity", sts.assume_role_with_web_identity
        params = {"RoleArn": role, "RoleSessionName": session_name, "WebIdentityToken": options.aws_web_identity_token}
    else:
        _base_credentials(options, lazy)  # raises when there is nothing to sign AssumeRole with
        # Signed with the base credentials, session token included: role chaining works. Without
        # explicit keys the client shares the session's (refreshable) credentials object.
        explicit = {}
        if options.aws_access_key_id:
            explicit = dict(
                aws_access_key_id=options.aws_access_key_id,
                aws_secret_access_key=options.aws_secret_access_key,
                aws_session_token=options.aws_session_token,
            )
        sts = lazy.session.create_client("sts", region_name=region, endpoint_url=sts_url, config=config, **explicit)
        operation, call = "AssumeRole", sts.assume_role
        params = {"RoleArn": role, "RoleSessionName": session_name}
        if options.aws_external_id:
            params["ExternalId"] = options.aws_external_id

    def fetch() -> dict:
        try:
            issued = call(**params)["Credentials"]
        except Exception as exc:
            raise AuthenticationError(f"STS {operation} for role {role!r} failed: {redact.scrub(str(exc))}") from None
        redact.register(issued["SecretAccessKey"], issued["SessionToken"])
        return {
            "access_key": issued["AccessKeyId"],
            "secret_key": issued["SecretAccessKey"],
            "token": issued["SessionToken"],
            "expiry_time": issued["Expiration"].isoformat(),
        }

    return fetch


def _endpoints(options: AuthOptions, region: str) -> tuple[str, str, str]:
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


def _from_boto3_client(client: Any) -> Auth:
    """Source 1: the passed client's live credentials (or bearer token), region and endpoint."""
    meta = client.meta
    region = meta.region_name
    signer = client._request_signer  # shared with the client: refreshable credentials stay live
    runtime_url = meta.endpoint_url
    common = dict(
        region=region,
        runtime_url=runtime_url,
        control_url=control_url_for(runtime_url),
        sts_url=f"https://sts.{region}.{partition_suffix(region)}",
        source="aws_bedrock_client",
        owner=client,
    )
    token = getattr(signer, "_auth_token", None)
    # botocore picks bearer per request: when configured so, or when it holds a token
    # (AWS_BEARER_TOKEN_BEDROCK at creation) and no credentials were found.
    if token is not None and (signer.signature_version == "bearer" or signer._credentials is None):
        return Auth(**common, bearer_token=token)
    if signer._credentials is None:
        raise AuthenticationError("the boto3 client passed as aws_bedrock_client= has no credentials")
    auth = Auth(**common, credentials=signer._credentials)
    auth._frozen()  # registers its secrets for redaction; a failed refresh surfaces now
    return auth


__all__ = [
    "AUTH_PARAMS",
    "Auth",
    "AuthCache",
    "SECRET_PARAMS",
    "Secret",
    "AuthOptions",
    "SOURCES_TRIED",
    "clear_cache",
    "control_url_for",
    "partition_suffix",
    "resolve_auth",
]
