"""Who sent a request: SigV4 verification (with botocore's own signer), bearer
keys, and the STS operations that issue temporary credentials.

The signature is recomputed from the request exactly as received: the raw
path (botocore's signer re-quotes it, so an encoded ``%3A`` becomes ``%253A``
in the canonical request, docs/bedrock.md §1.4), the headers named in
``SignedHeaders``, the body's SHA-256 and the request's own ``X-Amz-Date``.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_MAX_CLOCK_SKEW = 15 * 60
_KEY_ALPHABET = string.ascii_uppercase + string.digits


class AuthError(Exception):
    """A request that is not authenticated; answered with ``status`` and ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Identity:
    """What the log records about a caller (never a secret)."""

    auth: str                             # "sigv4" | "bearer" | "none"
    access_key_id: Optional[str] = None
    session_token_used: bool = False
    signing_region: Optional[str] = None


@dataclass
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    role_arn: str
    session_name: str

    def __repr__(self) -> str:  # keep the secret and the token out of reprs
        return f"TemporaryCredentials(access_key_id={self.access_key_id!r}, role_arn={self.role_arn!r})"


def _invalid_token() -> AuthError:
    return AuthError(403, "UnrecognizedClientException", "The security token included in the request is invalid.")


def _bad_signature(detail: str = "") -> AuthError:
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )
    return AuthError(403, "InvalidSignatureException", detail or message)


class _RecomputingSigner(SigV4Auth):
    """botocore's SigV4 signer restricted to the headers the client said it signed."""

    def __init__(self, credentials, service_name, region_name, signed_headers):
        super().__init__(credentials, service_name, region_name)
        self._signed_headers = signed_headers

    def headers_to_sign(self, request):
        selected = HTTPHeaders()
        for name in self._signed_headers:
            selected[name] = request.headers.get(name, "")
        return selected


class Authenticator:
    """Checks requests against the configured keys and the credentials STS issued."""

    def __init__(self, config_getter: Callable) -> None:
        self._config = config_getter
        self._issued: dict[str, TemporaryCredentials] = {}

    # -- verification ------------------------------------------------------

    def verify(self, method: str, target: str, headers: dict, body: bytes, *, service: str, allow_bearer: bool = True) -> Identity:
        """Authenticate one request (``headers`` lower-cased); raises ``AuthError``."""
        authorization = headers.get("authorization")
        if not authorization:
            raise AuthError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if authorization[:7].lower() == "bearer ":
            return self._verify_bearer(authorization[7:].strip(), allow_bearer)
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            raise AuthError(400, "IncompleteSignatureException", "Authorization header requires 'AWS4-HMAC-SHA256' or 'Bearer'.")
        fields = _parse_authorization(authorization)
        try:
            access_key, scope_date, region, scope_service, terminator = fields["Credential"].split("/")
            signed_headers = [name for name in fields["SignedHeaders"].split(";") if name]
            signature = fields["Signature"]
        except (KeyError, ValueError):
            raise AuthError(
                400, "IncompleteSignatureException",
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.",
            ) from None

        secret, token_used = self._secret_for(access_key, headers.get("x-amz-security-token"))
        amz_date = headers.get("x-amz-date", "")
        if terminator != "aws4_request":
            raise _bad_signature("Credential should be scoped with a valid terminator: 'aws4_request'.")
        if scope_service != service:
            raise _bad_signature(f"Credential should be scoped to correct service: '{service}'.")
        configured_region = self._config().region
        if configured_region is not None and region != configured_region:
            raise _bad_signature(f"Credential should be scoped to a valid region, not '{region}'.")
        if not amz_date or scope_date != amz_date[:8]:
            raise _bad_signature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.")
        _check_clock_skew(amz_date)
        if "host" not in signed_headers:
            raise _bad_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")

        expected = self._signature(method, target, headers, body, signed_headers, amz_date,
                                   Credentials(access_key, secret), service, region)
        if not hmac.compare_digest(expected, signature):
            raise _bad_signature()
        return Identity("sigv4", access_key, token_used, region)

    def _verify_bearer(self, token: str, allow_bearer: bool) -> Identity:
        accepted = self._config().bearer_tokens
        if allow_bearer and token and any(hmac.compare_digest(token, known) for known in accepted):
            return Identity("bearer")
        # Bedrock's wording for a rejected API key is not documented; 403 either way.
        raise AuthError(403, "AccessDeniedException", "Authentication failed: Please make sure your API Key is valid.")

    def _secret_for(self, access_key: str, token: Optional[str]) -> tuple[str, bool]:
        config = self._config()
        if access_key == config.access_key_id:
            if token is not None and (config.session_token is None or not hmac.compare_digest(token, config.session_token)):
                raise _invalid_token()
            return config.secret_access_key, token is not None
        issued = self._issued.get(access_key)
        if issued is None or token is None or not hmac.compare_digest(token, issued.session_token):
            raise _invalid_token()
        if issued.expiration <= datetime.now(timezone.utc):
            raise AuthError(403, "ExpiredTokenException", "The security token included in the request is expired")
        return issued.secret_access_key, True

    @staticmethod
    def _signature(method, target, headers, body, signed_headers, amz_date, credentials, service, region) -> str:
        signer = _RecomputingSigner(credentials, service, region, signed_headers)
        request = AWSRequest(method=method, url=f"http://{headers.get('host', 'localhost')}{target}",
                             data=body, headers={name: headers.get(name, "") for name in signed_headers})
        content_sha = headers.get("x-amz-content-sha256")
        if content_sha is not None:
            # botocore signs this header's value instead of hashing the body; make it honest.
            if content_sha != "UNSIGNED-PAYLOAD" and content_sha != _sha256_hex(body):
                raise AuthError(
                    400, "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
            request.headers["X-Amz-Content-SHA256"] = content_sha
        request.context["timestamp"] = amz_date
        canonical = signer.canonical_request(request)
        return signer.signature(signer.string_to_sign(request, canonical), request)

    # -- STS ---------------------------------------------------------------

    def issue(self, role_arn: str, session_name: str, duration_seconds: int) -> TemporaryCredentials:
        """Mint temporary credentials (``ASIA...``) that ``verify`` will accept until they expire."""
        credentials = TemporaryCredentials(
            access_key_id="ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
            secret_access_key=secrets.token_urlsafe(30)[:40],
            session_token=base64.b64encode(secrets.token_bytes(96)).decode("ascii"),
            expiration=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=duration_seconds),
            role_arn=role_arn,
            session_name=session_name,
        )
        self._issued[credentials.access_key_id] = credentials
        return credentials


def _sha256_hex(body: bytes) -> str:
    import hashlib

    return hashlib.sha256(body).hexdigest()


def _parse_authorization(value: str) -> dict:
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        name, _, content = part.strip().partition("=")
        fields[name] = content
    return fields


def _check_clock_skew(amz_date: str) -> None:
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise AuthError(400, "IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from None
    if abs(time.time() - signed_at) > _MAX_CLOCK_SKEW:
        raise _bad_signature(f"Signature expired: {amz_date} is now earlier or later than the allowed 15 minutes of skew.")


# -- STS wire format (query protocol in, XML out) ----------------------------

#: runtime-style auth codes -> the codes STS itself answers with
STS_AUTH_CODES = {
    "UnrecognizedClientException": "InvalidClientTokenId",
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "ExpiredTokenException": "ExpiredToken",
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "IncompleteSignatureException": "IncompleteSignature",
    "AccessDeniedException": "AccessDenied",
}


def sts_error_xml(code: str, message: str, request_id: str, *, sender: bool = True) -> bytes:
    """An STS ``ErrorResponse`` document."""
    kind = "Sender" if sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def sts_credentials_xml(action: str, issued: TemporaryCredentials, request_id: str, extra: str = "") -> bytes:
    """The ``<Action>Response`` document botocore's sts model parses."""
    account, role_name = _role_parts(issued.role_arn)
    expiration = issued.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    role_id = "AROA" + issued.access_key_id[4:]
    return (
        f'<{action}Response xmlns="{STS_NAMESPACE}"><{action}Result>'
        f"<Credentials><AccessKeyId>{issued.access_key_id}</AccessKeyId>"
        f"<SecretAccessKey>{escape(issued.secret_access_key)}</SecretAccessKey>"
        f"<SessionToken>{escape(issued.session_token)}</SessionToken>"
        f"<Expiration>{expiration}</Expiration></Credentials>"
        f"<AssumedRoleUser><AssumedRoleId>{role_id}:{escape(issued.session_name)}</AssumedRoleId>"
        f"<Arn>arn:aws:sts::{account}:assumed-role/{escape(role_name)}/{escape(issued.session_name)}</Arn></AssumedRoleUser>"
        f"<PackedPolicySize>0</PackedPolicySize>{extra}"
        f"</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    ).encode()


def web_identity_xml_fields(token: str) -> str:
    """``SubjectFromWebIdentityToken`` / ``Provider`` / ``Audience`` from a JWT's claims, when it has them."""
    claims = {}
    parts = token.split(".")
    if len(parts) == 3:
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            claims = {}
    if not isinstance(claims, dict):
        claims = {}
    audience = claims.get("aud", "sts.amazonaws.com")
    if isinstance(audience, list):
        audience = audience[0] if audience else "sts.amazonaws.com"
    return (
        f"<SubjectFromWebIdentityToken>{escape(str(claims.get('sub', 'litebed-emulator-subject')))}</SubjectFromWebIdentityToken>"
        f"<Provider>{escape(str(claims.get('iss', 'litebed-emulator')))}</Provider>"
        f"<Audience>{escape(str(audience))}</Audience>"
    )


def _role_parts(role_arn: str) -> tuple[str, str]:
    """``arn:aws:iam::123456789012:role/path/Name`` -> ("123456789012", "Name")."""
    parts = role_arn.split(":", 5)
    account = parts[4] if len(parts) == 6 and parts[4] else "123456789012"
    role_name = parts[5].rsplit("/", 1)[-1] if len(parts) == 6 else role_arn
    return account, role_name
