"""``litebed.Client``: one object that owns configuration, connections and caches.

    client = litebed.Client(aws_region_name="us-east-1", timeout=30)
    response = client.completion(model="bedrock/anthropic.claude-3-haiku-20240307-v1:0",
                                 messages=[{"role": "user", "content": "Hello"}])

A Client holds the keywords its methods would otherwise take on every call
(credentials, region, endpoint, ``num_retries``, ``timeout``, ``drop_params``
...); keywords given to a method override the client's for that call. It owns
its pools (one sync transport, one async transport per event loop), its
resolved credentials and its ARN lookups, all bounded. ``transport=`` swaps the
HTTP layer for any object with httpx's transport interface (``handle_request``,
and ``handle_async_request`` for async calls), such as
``httpx.MockTransport(handler)``.

The module functions (``litebed.completion`` ...) run on one default Client
whose caches are keyed by each call's configuration.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import threading
from typing import Any, Optional

from ._arn import ArnCache
from ._auth.credentials import AUTH_PARAMS, SECRET_PARAMS, Auth, AuthCache, AuthOptions, Secret
from ._transport.pools import MAX_CONNECTIONS, Transports
from ._transport.sender import BedrockClient, check_num_retries, check_timeout
from .errors import BadRequestError

__all__ = [
    "Client",
    "acompletion",
    "aembed_batch",
    "aembedding",
    "aimage_generation",
    "completion",
    "default_client",
    "embed_batch",
    "embedding",
    "image_generation",
]

#: Keywords a Client stores as defaults for every call.
CALL_DEFAULTS = (*AUTH_PARAMS, "num_retries", "timeout", "drop_params", "modify_params")
#: Keywords only a Client takes (they shape what it owns).
CLIENT_ONLY = ("transport", "max_connections", "allow_private_media", "media_allowed_hosts")

_BEDROCK_CLIENTS_LIMIT = 256


class Client:
    """Calls Bedrock with OpenAI's arguments; see the module docstring.

    Keywords: every credential and endpoint keyword of :func:`litebed.completion`
    (``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``,
    ``aws_region_name``, ``aws_profile_name``, ``aws_role_name``,
    ``aws_session_name``, ``aws_external_id``, ``aws_web_identity_token``,
    ``aws_sts_endpoint``, ``aws_bedrock_runtime_endpoint``,
    ``aws_bedrock_endpoint``, ``api_base``, ``api_key``, ``aws_bedrock_client``),
    the call defaults ``num_retries``, ``timeout``, ``drop_params``,
    ``modify_params``, and the client's own ``transport``, ``max_connections``
    (per pool, default 1000), ``allow_private_media`` and ``media_allowed_hosts``
    (let image URLs reach private addresses; refused by default).
    """

    def __init__(self, **config: Any) -> None:
        unknown = sorted(set(config) - set(CALL_DEFAULTS) - set(CLIENT_ONLY))
        if unknown:
            raise BadRequestError(_unknown_message("Client()", unknown, (*CALL_DEFAULTS, *CLIENT_ONLY)))
        max_connections = config.pop("max_connections", None) or MAX_CONNECTIONS
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise BadRequestError(f"max_connections: must be a positive whole number, got {max_connections!r}")
        self._media = (bool(config.pop("allow_private_media", False)), config.pop("media_allowed_hosts", None) or ())
        self._media_policy: Any = None
        self._transports = Transports(config.pop("transport", None), max_connections=max_connections)
        check_timeout(config.get("timeout"))
        check_num_retries(config.get("num_retries"))
        self._defaults = {
            name: Secret(value) if name in SECRET_PARAMS and type(value) is str else value
            for name, value in config.items()
            if value is not None
        }
        self._auths = AuthCache()
        self._arns = ArnCache()
        self._bedrock: dict[int, BedrockClient] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        shown = {k: v for k, v in self._defaults.items() if k not in SECRET_PARAMS and k != "aws_bedrock_client"}
        return f"litebed.Client({', '.join(f'{k}={v!r}' for k, v in sorted(shown.items()))})"

    # --- what the call paths use ------------------------------------------------

    def call_kwargs(self, kwargs: dict) -> dict:
        """A call's keywords over the client's defaults (the call wins)."""
        return {**self._defaults, **kwargs} if self._defaults else kwargs

    def bedrock(self, options: AuthOptions) -> BedrockClient:
        """The signed, pooled access to Bedrock for ``options`` (resolving credentials if needed)."""
        return self._bedrock_for(self._auths.resolve(options))

    async def abedrock(self, options: AuthOptions) -> BedrockClient:
        """:meth:`bedrock` without blocking the event loop: a first resolution (profiles,
        ``credential_process``, STS) runs in a worker thread."""
        key = self._auths.key(options)
        auth = self._auths.cached(key)
        if auth is None:
            auth = await asyncio.to_thread(self._auths.resolve, options, key)
        return self._bedrock_for(auth)

    def _bedrock_for(self, auth: Auth) -> BedrockClient:
        client = self._bedrock.get(id(auth))
        if client is None or client.auth is not auth:
            with self._lock:
                client = self._bedrock.get(id(auth))
                if client is None or client.auth is not auth:
                    if len(self._bedrock) >= _BEDROCK_CLIENTS_LIMIT:
                        self._bedrock.pop(next(iter(self._bedrock)))
                    client = self._bedrock[id(auth)] = BedrockClient(auth, self._transports, self._arns)
        return client

    @property
    def media_policy(self) -> Any:
        """Where image URLs in messages may be fetched from (see docs/media.md)."""
        if self._media_policy is None:
            from ._media import MediaPolicy

            policy = MediaPolicy.from_env()
            allow_private, hosts = self._media
            if isinstance(hosts, str):
                hosts = hosts.split(",")
            self._media_policy = dataclasses.replace(
                policy,
                allow_private=policy.allow_private or allow_private,
                allowed_hosts=policy.allowed_hosts | {str(host).strip().lower() for host in hosts if str(host).strip()},
            )
        return self._media_policy

    def clear_caches(self) -> None:
        """Forget resolved credentials and ARN lookups (after rotating keys, say)."""
        with self._lock:
            self._auths.clear()
            self._arns.clear()
            self._bedrock.clear()

    # --- the API ----------------------------------------------------------------

    def completion(self, model: str, messages: list, **kwargs: Any) -> Any:
        from . import _completion

        return _completion.completion(self, model, messages, **self.call_kwargs(kwargs))

    async def acompletion(self, model: str, messages: list, **kwargs: Any) -> Any:
        from . import _completion

        return await _completion.acompletion(self, model, messages, **self.call_kwargs(kwargs))

    def embedding(self, model: str, input: Any, **kwargs: Any) -> Any:
        from . import _embeddings

        return _embeddings.embedding(self, model, input, **self.call_kwargs(kwargs))

    async def aembedding(self, model: str, input: Any, **kwargs: Any) -> Any:
        from . import _embeddings

        return await _embeddings.aembedding(self, model, input, **self.call_kwargs(kwargs))

    def image_generation(self, prompt: str, model: str, **kwargs: Any) -> Any:
        from . import _images

        return _images.image_generation(self, prompt, model, **self.call_kwargs(kwargs))

    async def aimage_generation(self, prompt: str, model: str, **kwargs: Any) -> Any:
        from . import _images

        return await _images.aimage_generation(self, prompt, model, **self.call_kwargs(kwargs))

    def embed_batch(self, records: Any, model: str, **kwargs: Any) -> Any:
        from . import _batch

        return _batch.embed_batch(self, records, model, **self.call_kwargs(kwargs))

    def aembed_batch(self, records: Any, model: str, **kwargs: Any) -> Any:
        from . import _batch

        return _batch.aembed_batch(self, records, model, **self.call_kwargs(kwargs))

    def token_counter(self, model: Optional[str] = None, messages: Optional[list] = None, text: Optional[str] = None) -> int:
        from ._tokens import token_counter

        return token_counter(model=model, messages=messages, text=text)

    # --- lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        """Close the client's sync pool (and a transport passed in). Async pools close
        with their event loops, or with :meth:`aclose` from inside one."""
        self._transports.close()

    async def aclose(self) -> None:
        """Close this event loop's pool and the sync pool."""
        await self._transports.aclose()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


def _unknown_message(where: str, unknown: list[str], known: Any) -> str:
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"{where} got unknown keyword argument(s): {', '.join(hints)}"


# --- the default client ------------------------------------------------------------

_default: Optional[Client] = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The Client behind the module functions (created on first use)."""
    global _default
    client = _default
    if client is None:
        with _default_lock:
            if _default is None:
                _default = Client()
            client = _default
    return client


def clear_default_clients() -> None:
    """Start the module functions on a new default client (tests; after changing proxy settings)."""
    global _default
    with _default_lock:
        old, _default = _default, None
    if old is not None:
        old.close()


# --- the module functions: the default client's methods ------------------------------


def completion(model: str, messages: list, **kwargs: Any) -> Any:
    """Create a chat completion on Bedrock with OpenAI's arguments and shapes.

    ``model`` is ``"bedrock/<model-id>"`` (``bedrock/invoke/...`` is the default
    route, ``bedrock/converse/...`` uses Converse). Keywords: OpenAI's
    (``stream``, ``stream_options``, ``max_tokens``/``max_completion_tokens``,
    ``temperature``, ``top_p``, ``stop``, ``n``, ``tools``, ``tool_choice``,
    ``response_format``, ...), litebed's (``drop_params``, ``modify_params``,
    ``model_id`` to send to an ARN while ``model`` names its base model,
    ``base_model``, ``timeout``, ``num_retries``), credentials and endpoints
    (``aws_*``, ``api_key``, ``api_base``), and native fields of the model family
    (``top_k`` ...). Returns a ``ModelResponse``, or with ``stream=True`` a
    ``Stream`` of ``ModelResponseChunk`` (the request is sent, and its errors
    raised, before it returns).
    """
    return default_client().completion(model, messages, **kwargs)


async def acompletion(model: str, messages: list, **kwargs: Any) -> Any:
    """The async twin of :func:`completion` (never blocks the event loop)."""
    return await default_client().acompletion(model, messages, **kwargs)


def embedding(model: str, input: Any, **kwargs: Any) -> Any:
    """Embed ``input`` (a string or a list of strings); see docs/embeddings.md."""
    return default_client().embedding(model, input, **kwargs)


async def aembedding(model: str, input: Any, **kwargs: Any) -> Any:
    """The async twin of :func:`embedding`."""
    return await default_client().aembedding(model, input, **kwargs)


def image_generation(prompt: str, model: str, **kwargs: Any) -> Any:
    """Generate images for ``prompt``; see docs/images.md."""
    return default_client().image_generation(prompt, model, **kwargs)


async def aimage_generation(prompt: str, model: str, **kwargs: Any) -> Any:
    """The async twin of :func:`image_generation`."""
    return await default_client().aimage_generation(prompt, model, **kwargs)


def embed_batch(records: Any, model: str, **kwargs: Any) -> Any:
    """Embed many records, yielding one ``BatchResult`` each as they finish; see docs/batch.md."""
    return default_client().embed_batch(records, model, **kwargs)


def aembed_batch(records: Any, model: str, **kwargs: Any) -> Any:
    """The async twin of :func:`embed_batch` (an async iterator)."""
    return default_client().aembed_batch(records, model, **kwargs)
