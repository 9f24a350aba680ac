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

This package (``litebed._auth``) is the only one that holds secrets. An :class:`Auth` is resolved
once per distinct configuration and cached; it signs each request (SigV4 via
botocore, service name ``bedrock``) with credentials that botocore refreshes
before they expire. Every secret it meets is registered with
:mod:`litebed._auth.redact`, whose log filter it installs on first use.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Optional

from ..errors import AuthenticationError, BadRequestError
from . import redact
from .identity import Auth
from .options import (
    AUTH_PARAMS,
    SECRET_PARAMS,
    SOURCES_TRIED,
    AuthOptions,
    Secret,
    _env_snapshot,
    control_url_for,
    partition_suffix,
)
from .options import (
    endpoints as _endpoints,
)

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


_loader: Any = None


def _shared_loader() -> Any:
    """One botocore data loader for the process (its cache holds the parsed models)."""
    global _loader
    if _loader is None:
        from botocore.loaders import create_loader

        _loader = create_loader()
    return _loader


class _Lazy:
    """The botocore session for the profile (or the default one), created on first need."""

    def __init__(self, profile: Optional[str]) -> None:
        self.profile = profile
        self._session = None

    @property
    def session(self):
        if self._session is None:
            import botocore.session

            session = botocore.session.Session(profile=self.profile)
            if not os.environ.get("AWS_DATA_PATH"):
                # Every session would parse botocore's JSON models again (tens of ms holding the
                # GIL, which stalls an event loop even from a worker thread): parse them once.
                session.register_component("data_loader", _shared_loader())
            self._session = session
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
