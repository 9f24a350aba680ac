"""A resolved identity: region, endpoints and credentials, which signs requests.

botocore ``Credentials`` (``RefreshableCredentials`` refresh themselves before
they expire) or a bearer token sign each request; neither appears in a repr,
and every secret met is registered with :mod:`litebed._auth.redact`.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import AuthenticationError
from . import redact, sigv4

_SIGNING_NAME = "bedrock"


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
        # botocore's SigV4Auth and AWSRequest, imported on first use (see sign()).
        self._sigv4_cls: Any = None
        self._request_cls: Any = None

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


