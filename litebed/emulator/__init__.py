"""A Bedrock emulator: a real HTTP/1.1 server on loopback that speaks the
bedrock-runtime, bedrock (control plane) and STS wire protocols.

    with Emulator() as emu:
        creds = emu.credentials
        client = boto3.client(
            "bedrock-runtime", endpoint_url=emu.base_url, region_name=creds["aws_region_name"],
            aws_access_key_id=creds["aws_access_key_id"], aws_secret_access_key=creds["aws_secret_access_key"])

Importing this module is cheap: the server (and botocore) load on ``start()``.
``startup_lines(emu)`` are the lines ``python -m litebed.emulator`` prints: the
base URL, then ``export`` lines that point boto3 and litebed at it.
See docs/emulator.md.
"""

from __future__ import annotations

import dataclasses
import shlex
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from .faults import FAULT_OUTCOMES, check_outcome

if TYPE_CHECKING:
    import asyncio

    from .server import EmulatorServer

__all__ = ["ADMIN_HEADERS", "DEFAULT_MODELS", "Emulator", "EmulatorConfig", "FAULT_OUTCOMES", "startup_lines"]

#: What a request to the ``/_emulator/*`` admin endpoints must carry (the JSON type matters for POST).
ADMIN_HEADERS = {"X-Litebed-Emulator": "1", "Content-Type": "application/json"}
#: 32 MiB: well above Bedrock's 25,000,000-byte limit on a model payload, so any body
#: Bedrock would take reaches the emulator's validation (and gets Bedrock's own error).
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

_ACCOUNT = "123456789012"

#: Control-plane fixtures: ARNs whose base model only the control plane knows.
DEFAULT_MODELS = {
    f"arn:aws:bedrock:us-east-1:{_ACCOUNT}:provisioned-model/abc123def456": "anthropic.claude-v2",
    f"arn:aws:bedrock:us-east-1:{_ACCOUNT}:custom-model/amazon.titan-text-express-v1/abcdef123456": "amazon.titan-text-express-v1",
    f"arn:aws:bedrock:us-east-1:{_ACCOUNT}:custom-model-deployment/abcdef123456": "amazon.titan-text-express-v1",
    f"arn:aws:bedrock:us-east-1:{_ACCOUNT}:imported-model/abc123def456": "meta.llama3-8b-instruct-v1:0",
    f"arn:aws:bedrock:us-east-1:{_ACCOUNT}:application-inference-profile/abc123def456": "anthropic.claude-3-haiku-20240307-v1:0",
}


@dataclass
class EmulatorConfig:
    """Everything the emulator can be told. Fault probabilities are floats in [0, 1]."""

    access_key_id: str = "AKIALITEBEDEMULATOR1"
    secret_access_key: str = field(default="litebed-emulator-secret", repr=False)
    #: an extra static session token accepted with ``access_key_id`` (None: none required)
    session_token: Optional[str] = field(default=None, repr=False)
    #: accepted ``Authorization: Bearer`` keys (Bedrock API keys)
    bearer_tokens: tuple = field(default=(), repr=False)
    #: the only signing region accepted; None accepts any (it is logged either way)
    region: Optional[str] = None
    latency_ms: float = 0
    jitter_ms: float = 0
    throttle: float = 0.0
    error500: float = 0.0
    error503: float = 0.0
    timeout408: float = 0.0
    reset: float = 0.0
    truncate: float = 0.0
    stream_exception: float = 0.0
    seed: Optional[int] = None
    #: outcomes consumed one per runtime request (see FAULT_OUTCOMES)
    script: list = field(default_factory=list)
    sts_credential_seconds: int = 3600
    #: ARN -> base model id, for ARNs that hide their model (see DEFAULT_MODELS)
    models: dict = field(default_factory=lambda: dict(DEFAULT_MODELS))
    #: seconds a connection may take to send a whole request head (idle keep-alive
    #: connections included) before it is closed; None: no limit
    head_timeout: Optional[float] = 30.0
    #: a larger request body is answered 413 and the connection closed
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        if self.head_timeout is not None and not self.head_timeout > 0:
            raise ValueError(f"head_timeout must be a positive number of seconds or None, got {self.head_timeout}")
        if self.max_body_bytes < 0:
            raise ValueError(f"max_body_bytes must not be negative, got {self.max_body_bytes}")
        for name in ("throttle", "error500", "error503", "timeout408", "reset", "truncate", "stream_exception"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
            setattr(self, name, value)
        for outcome in self.script:
            check_outcome(outcome)
        self.bearer_tokens = tuple(self.bearer_tokens)
        self.script = list(self.script)
        self.models = dict(self.models)


class Emulator:
    """The emulator served from a background thread with its own event loop.

    ``Emulator(config=None, **overrides)``: ``overrides`` are EmulatorConfig
    fields. Use as a context manager, or call ``start()`` / ``stop()``.
    """

    def __init__(self, config: Optional[EmulatorConfig] = None, *, host: str = "127.0.0.1", port: int = 0, **overrides: Any) -> None:
        config = config or EmulatorConfig()
        self.config = dataclasses.replace(config, **overrides) if overrides else config
        self.host = host
        self.port = port
        self._server: Optional[EmulatorServer] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stopping: Optional[asyncio.Event] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving; returns once the socket is listening."""
        if self._thread is not None:
            return self
        import asyncio

        from .server import EmulatorServer

        server = self._server = EmulatorServer(self.config)
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            stopping = self._stopping = asyncio.Event()
            try:
                await server.start(self.host, self.port)
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                return
            finally:
                ready.set()
            await stopping.wait()
            await server.close()

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), name="litebed-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        assert server.port is not None  # set once it listens
        self.port = server.port
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        if self._thread is None:
            return
        # serve() set both before start() returned.
        assert self._loop is not None and self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._thread = None
        self._loop = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- what clients need -------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; pass it as ``endpoint_url``."""
        self._started()
        return f"http://{self.host}:{self.port}"

    @property
    def credentials(self) -> dict:
        """``aws_access_key_id``, ``aws_secret_access_key`` and ``aws_region_name`` (the region to sign for)."""
        return {
            "aws_access_key_id": self.config.access_key_id,
            "aws_secret_access_key": self.config.secret_access_key,
            "aws_region_name": self.config.region or "us-east-1",
        }

    # -- run-time control --------------------------------------------------

    def requests(self) -> list[dict]:
        """A copy of the request log, oldest first (no secrets in it)."""
        return self._started().state.log_snapshot()

    def reset(self) -> None:
        """Clear the log and the script; restore faults, latency and models to the config's."""
        self._started().state.reset()

    def configure(self, **fields: Any) -> None:
        """Change EmulatorConfig fields at run time (latency, faults, script, ...)."""
        self._started().state.configure(**fields)

    def register_model(self, arn: str, base_model_id: str) -> None:
        """Make ``arn`` resolve to ``base_model_id`` (runtime and control plane)."""
        self._started().state.register_model(arn, base_model_id)

    @property
    def prompt_cache(self):
        """This server's prompt cache (``litebed.emulator.prompt_cache.PromptCache``): ``clear()``,
        ``len()``, and a replaceable ``clock`` to expire entries in tests. ``reset()`` clears it."""
        return self._started().state.prompt_cache

    def _started(self) -> EmulatorServer:
        """The running server (``RuntimeError`` before ``start()`` or after ``stop()``)."""
        if self._server is None or self._thread is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._server

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._thread else "stopped"
        return f"<Emulator {where}>"


def startup_lines(emulator: Emulator) -> list[str]:
    """What ``python -m litebed.emulator`` prints once it listens: the base URL, then shell
    lines that point any boto3 or litebed code at the running ``emulator`` (one paste).

    boto3 and litebed both read the service-specific ``AWS_ENDPOINT_URL_<SERVICE>``
    variables; boto3 reads its region only from ``AWS_DEFAULT_REGION``. A leftover
    session token or Bedrock API key in the shell would be sent instead of (or with)
    these keys and be refused, hence the ``unset``.
    """
    base_url = emulator.base_url
    creds = emulator.credentials
    exports = {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": base_url,
        "AWS_ENDPOINT_URL_BEDROCK": base_url,
        "AWS_ENDPOINT_URL_STS": base_url,
        "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
        "AWS_REGION": creds["aws_region_name"],
        "AWS_DEFAULT_REGION": creds["aws_region_name"],
    }
    leftovers = ["AWS_BEARER_TOKEN_BEDROCK"]
    if emulator.config.session_token:
        exports["AWS_SESSION_TOKEN"] = emulator.config.session_token
    else:
        leftovers.insert(0, "AWS_SESSION_TOKEN")
    return [base_url, *(f"export {name}={shlex.quote(value)}" for name, value in exports.items()),
            f"unset {' '.join(leftovers)}"]
