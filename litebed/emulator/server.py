"""The emulator's HTTP/1.1 server: connections, routing, faults, the request log.

One asyncio server; each connection is a keep-alive loop of request -> answer.
Non-stream answers carry ``Content-Length``; event streams are sent with
``Transfer-Encoding: chunked`` (one HTTP chunk per frame), which botocore's
urllib3 and httpx both read and which keeps the connection reusable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import random
import sys
import threading
import time
import uuid
from collections import deque
from http import HTTPStatus
from typing import Optional
from urllib.parse import parse_qsl, unquote

from . import EmulatorConfig, prompt_cache
from .auth import (
    STS_AUTH_CODES,
    Authenticator,
    AuthError,
    sts_credentials_xml,
    sts_error_xml,
    web_identity_xml_fields,
)
from .controlplane import INVALID_IDENTIFIER, ApiError, resolve_base_model
from .eventstream import chunk_frame, event_frame, exception_frame
from .faults import (
    ERROR_FAULTS,
    STREAM_EXCEPTIONS,
    FaultPlan,
    check_outcome,
    stream_exception_member,
)
from .http import (
    Answer,
    BodyTooLarge,
    Request,
    drain_refused_body,
    error_answer,
    json_answer,
    read_request,
    request_id_header,
    write_answer,
)

LOG_LIMIT = 100_000
_MAX_HEAD = 64 * 1024
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_RUNTIME_OPERATIONS = {
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "count-tokens": "CountTokens",
}
_CONTROL_COLLECTIONS = ("foundation-models", "provisioned-model-throughput", "custom-models", "imported-models", "inference-profiles")
_CONTROL_OPERATIONS = {
    "foundation-models": "GetFoundationModel", "provisioned-model-throughput": "GetProvisionedModelThroughput",
    "custom-models": "GetCustomModel", "imported-models": "GetImportedModel", "inference-profiles": "GetInferenceProfile",
}
_STS_ROLE_SECONDS = (900, 43200)
#: The header every admin request must carry: a web page cannot send it to another
#: origin without a CORS preflight, which the emulator never grants.
ADMIN_HEADER = "X-Litebed-Emulator"


class EmulatorState:
    """Config, faults, model fixtures, issued credentials, the prompt cache and the log; shared with the owning thread."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.initial = config
        self.config = config
        self.models = dict(config.models)
        self.faults = FaultPlan(config)
        self.jitter_rng = random.Random(config.seed)
        self.log: deque[dict] = deque(maxlen=LOG_LIMIT)
        self.lock = threading.Lock()
        self.auth = Authenticator(lambda: self.config)
        self.prompt_cache = prompt_cache.PromptCache()

    def log_snapshot(self) -> list[dict]:
        with self.lock:
            return [dict(entry) for entry in self.log]

    def record(self, entry: dict) -> None:
        with self.lock:
            self.log.append(entry)

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.config = self.initial
            self.models = dict(self.initial.models)
            self.faults.load(self.initial)
            self.jitter_rng = random.Random(self.initial.seed)
        self.prompt_cache.clear()

    def configure(self, **fields) -> None:
        unknown = set(fields) - {f.name for f in dataclasses.fields(EmulatorConfig)}
        if unknown:
            raise ValueError(f"unknown EmulatorConfig fields: {', '.join(sorted(unknown))}")
        with self.lock:
            self.config = dataclasses.replace(self.config, **fields)
            if "seed" in fields:
                self.faults.rng = random.Random(self.config.seed)
                self.jitter_rng = random.Random(self.config.seed)
            if "script" in fields:
                self.faults.script = deque(self.config.script)
            if "models" in fields:
                self.models = dict(self.config.models)
            self.faults.set_probabilities(self.config)

    def register_model(self, arn: str, base_model_id: str) -> None:
        with self.lock:
            self.models[arn] = base_model_id

    def choose_fault(self, forced: Optional[str]) -> str:
        with self.lock:
            return self.faults.choose(forced)

    def latency_seconds(self) -> float:
        config = self.config
        if not config.latency_ms and not config.jitter_ms:
            return 0.0
        with self.lock:
            jitter = self.jitter_rng.uniform(0, config.jitter_ms) if config.jitter_ms else 0.0
        return (config.latency_ms + jitter) / 1000.0


class EmulatorServer:
    """The asyncio server. ``await start(host, port)``, then ``await close()``."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState(config)
        self.port: Optional[int] = None
        self._server: Optional[asyncio.AbstractServer] = None
        self._connections: set[asyncio.Task] = set()
        self.loopback_only = True

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve_connection, host, port, backlog=2048, limit=_MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        addresses = [sock.getsockname()[0] for sock in self._server.sockets]
        self.loopback_only = all(_is_loopback(address) for address in addresses)
        if not self.loopback_only:
            # Its credentials are public and its admin endpoints unsigned: only this machine should reach it.
            print(f"warning: the litebed emulator listens on {', '.join(sorted(set(addresses)))} (port {self.port}), "
                  "not only on loopback: anyone who can reach it can use its well-known credentials and "
                  "admin endpoints.", file=sys.stderr, flush=True)

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Connections accepted just before close() have handler tasks that have not run
        # yet; a task cancelled before its first step would never close its socket.
        current = asyncio.current_task()
        for _ in range(100):
            await asyncio.sleep(0)
            if all(task is current or task in self._connections for task in asyncio.all_tasks()):
                break
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        await asyncio.sleep(0)  # let the closed transports release their sockets
        self._server = None

    # -- HTTP/1.1 ------------------------------------------------------------

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # always, inside a coroutine
        self._connections.add(task)
        try:
            while True:
                config = self.state.config
                try:
                    request = await read_request(reader, writer, head_timeout=config.head_timeout,
                                                 max_body=config.max_body_bytes)
                except BodyTooLarge as exc:
                    await self._refuse_body(reader, writer, exc)
                    break
                if request is None:
                    break
                answer = await self._answer(request)
                if answer.reset:
                    writer.transport.abort()
                    break
                if not await write_answer(writer, answer, request.keep_alive):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    @staticmethod
    async def _refuse_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, exc: BodyTooLarge) -> None:
        """413, then close: the body was not read, so the connection cannot carry another request."""
        await write_answer(writer, error_answer(413, "ValidationException", exc.message), keep_alive=False)
        if writer.can_write_eof():
            writer.write_eof()
        await drain_refused_body(reader)

    async def _answer(self, request: Request) -> Answer:
        path = request.path
        try:
            if path.startswith("/model/") and request.method == "POST":
                return await self._runtime(request)
            if path.startswith("/_emulator/"):
                return self._admin(request)
            if path == "/" and request.method == "POST":
                return self._sts(request)
            if request.method == "GET" and path.strip("/").split("/")[0] in _CONTROL_COLLECTIONS:
                return self._control_plane(request)
            return error_answer(404, "UnknownOperationException", f"No operation matches {request.method} {path}.")
        except Exception as exc:  # a bug here: answer like the service would
            return error_answer(500, "InternalServerException", f"{type(exc).__name__}: {exc}")

    # -- runtime -----------------------------------------------------------------

    async def _runtime(self, request: Request) -> Answer:
        encoded_id, _, action = request.path[len("/model/"):].rpartition("/")
        operation = _RUNTIME_OPERATIONS.get(action)
        entry = {"operation": operation or action, "model_id": unquote(encoded_id), "body": None, "fault": None}
        try:
            answer = await self._runtime_answer(request, operation, entry)
        except Exception as exc:  # a bug in a family: answer like the service would, and log it
            answer = error_answer(500, "InternalServerException", f"{type(exc).__name__}: {exc}")
        self._record(entry, answer)
        return answer

    async def _runtime_answer(self, request: Request, operation: Optional[str], entry: dict) -> Answer:
        if operation is None or not entry["model_id"]:
            return error_answer(404, "UnknownOperationException", f"No operation matches POST {request.path}.")
        failure = self._authenticate(request, entry, service="bedrock")
        if failure is not None:
            return failure
        body_error: Optional[str] = None
        try:
            entry["body"] = json.loads(request.body) if request.body else None
        except ValueError as exc:
            body_error = f"Malformed input request: {exc}, please reformat your input and try again."

        forced = request.headers.get("x-emulator-fault")
        if forced:
            try:
                check_outcome(forced)
            except ValueError as exc:
                return error_answer(400, "ValidationException", str(exc))
        outcome = self.state.choose_fault(forced)
        entry["fault"] = None if outcome == "ok" else outcome
        delay = self.state.latency_seconds()
        if delay:
            await asyncio.sleep(delay)
        if outcome == "reset":
            return Answer(reset=True)
        if outcome in ERROR_FAULTS:
            return error_answer(*ERROR_FAULTS[outcome])

        try:
            base_model = resolve_base_model(entry["model_id"], self.state.models)
            if body_error is not None:
                raise ApiError(400, "ValidationException", body_error)
            answer = self._generate(request, operation, base_model, entry["body"])
        except ApiError as exc:
            return error_answer(exc.status, exc.code, exc.message)
        return _apply_output_fault(answer, outcome)

    def _generate(self, request: Request, operation: str, base_model: str, body) -> Answer:
        from . import families
        from .families.base import ValidationFailed

        streaming = operation in ("InvokeModelWithResponseStream", "ConverseStream")
        # The families find this server's prompt cache through the context: their signatures stay as they are.
        with prompt_cache.serving(self.state.prompt_cache):
            try:
                if operation in ("Converse", "ConverseStream"):
                    if families.family_for(base_model) is None:
                        raise ApiError(400, "ValidationException", INVALID_IDENTIFIER)
                    result = families.converse(body, model_id=base_model, stream=streaming)
                    if streaming:
                        return _stream_answer([event_frame(kind, payload) for kind, payload in result.events])
                    return json_answer(200, result.body, request_id_header())
                if operation == "CountTokens":
                    if families.family_for(base_model) is None:
                        raise ApiError(400, "ValidationException", INVALID_IDENTIFIER)
                    return json_answer(200, {"inputTokens": families.count_tokens(body, model_id=base_model)}, request_id_header())
                return self._invoke(request, families.family_for(base_model), base_model, body, streaming)
            except ValidationFailed as exc:
                raise ApiError(400, "ValidationException", exc.message) from None

    def _invoke(self, request: Request, family, base_model: str, body, streaming: bool) -> Answer:
        if family is None:
            raise ApiError(400, "ValidationException", INVALID_IDENTIFIER)
        media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise ApiError(400, "ValidationException", f"The provided Content-Type '{media_type}' is not supported; use application/json.")
        if streaming and not family.streaming:
            raise ApiError(400, "ValidationException", "The model is unsupported for streaming.")
        family.validate(body, model_id=base_model, stream=streaming)
        words = request.headers.get("x-emulator-stream-words")
        generation = family.generate(body, model_id=base_model, stream=streaming,
                                     stream_words=int(words) if words and words.isdigit() else None)
        latency = max(1, int((time.perf_counter() - request.started) * 1000))
        caches = generation.cache_read_tokens is not None  # only models that cache report cache counts
        if not streaming:
            cache_headers = [("X-Amzn-Bedrock-Cache-Read-Input-Token-Count", str(generation.cache_read_tokens)),
                             ("X-Amzn-Bedrock-Cache-Write-Input-Token-Count", str(generation.cache_write_tokens or 0)),
                             ] if caches else []
            return json_answer(200, generation.body, [
                *request_id_header(),
                ("X-Amzn-Bedrock-Input-Token-Count", str(generation.input_tokens)),
                ("X-Amzn-Bedrock-Output-Token-Count", str(generation.output_tokens)),
                ("X-Amzn-Bedrock-Invocation-Latency", str(latency)),
                *cache_headers,
            ])
        chunks = list(generation.chunks)
        if chunks:
            # docs/bedrock.md §4.4: Bedrock (not the model) adds the metrics to the last chunk.
            metrics = {"inputTokenCount": generation.input_tokens, "outputTokenCount": generation.output_tokens,
                       "invocationLatency": latency, "firstByteLatency": latency}
            if caches:
                metrics.update(cacheReadInputTokenCount=generation.cache_read_tokens,
                               cacheWriteInputTokenCount=generation.cache_write_tokens or 0)
            chunks[-1] = {**chunks[-1], "amazon-bedrock-invocationMetrics": metrics}
        answer = _stream_answer([chunk_frame(chunk) for chunk in chunks])
        answer.headers.append(("X-Amzn-Bedrock-Content-Type", "application/json"))
        return answer

    def _authenticate(self, request: Request, entry: dict, *, service: str) -> Optional[Answer]:
        """Fill the log entry's identity fields; an error Answer when authentication fails."""
        try:
            identity = self.state.auth.verify(request.method, request.target, request.headers, request.body,
                                              service=service, allow_bearer=service == "bedrock")
        except AuthError as exc:
            entry.update(_claimed_identity(request.headers))
            if service == "sts":
                return _sts_error(exc.status, STS_AUTH_CODES.get(exc.code, exc.code), exc.message)
            return error_answer(exc.status, exc.code, exc.message)
        entry.update(dataclasses.asdict(identity))
        return None

    def _record(self, entry: dict, answer: Answer) -> None:
        entry.setdefault("auth", "none")
        entry.setdefault("access_key_id", None)
        entry.setdefault("session_token_used", False)
        entry.setdefault("signing_region", None)
        entry["status"] = None if answer.reset else answer.status
        entry["error_code"] = answer.error_code
        entry["time"] = time.time()
        self.state.record(entry)

    # -- control plane, STS, admin ------------------------------------------------

    def _control_plane(self, request: Request) -> Answer:
        from . import controlplane

        segments = request.path.strip("/").split("/")
        operation = "ListFoundationModels" if len(segments) == 1 else _CONTROL_OPERATIONS[segments[0]]
        entry = {"operation": operation, "model_id": unquote(segments[1]) if len(segments) > 1 else None,
                 "body": None, "fault": None}
        answer = self._authenticate(request, entry, service="bedrock")
        if answer is None:
            region = entry.get("signing_region") or self.state.config.region or "us-east-1"
            try:
                answer = json_answer(200, controlplane.handle(request.path, request.query, models=self.state.models, region=region),
                                     request_id_header())
            except ApiError as exc:
                answer = error_answer(exc.status, exc.code, exc.message)
        self._record(entry, answer)
        return answer

    def _sts(self, request: Request) -> Answer:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        action = form.get("Action", "")
        entry = {"operation": action, "model_id": None, "body": None, "fault": None,
                 "role_arn": form.get("RoleArn"), "external_id": form.get("ExternalId"),
                 "role_session_name": form.get("RoleSessionName")}
        answer = self._sts_answer(request, action, form, entry)
        self._record(entry, answer)
        return answer

    def _sts_answer(self, request: Request, action: str, form: dict, entry: dict) -> Answer:
        if action not in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            return _sts_error(400, "InvalidAction", f"Could not find operation {action} for version 2011-06-15")
        if action == "AssumeRole":
            failure = self._authenticate(request, entry, service="sts")
            if failure is not None:
                return failure
        required = ("RoleArn", "RoleSessionName") + (("WebIdentityToken",) if action != "AssumeRole" else ())
        missing = [name for name in required if not form.get(name)]
        if missing:
            member = missing[0][0].lower() + missing[0][1:]
            return _sts_error(400, "ValidationError", f"Value null at '{member}' failed to satisfy constraint: Member must not be null")
        if not form["RoleArn"].startswith("arn:") or ":role/" not in form["RoleArn"]:
            return _sts_error(400, "ValidationError", f"{form['RoleArn']} is invalid")
        maximum = self.state.config.sts_credential_seconds
        try:
            requested = int(form.get("DurationSeconds") or maximum)
        except ValueError:
            requested = -1
        if "DurationSeconds" in form and not _STS_ROLE_SECONDS[0] <= requested <= _STS_ROLE_SECONDS[1]:
            return _sts_error(
                400, "ValidationError",
                "Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
            )
        # sts_credential_seconds plays the role's MaxSessionDuration: it caps what is issued.
        issued = self.state.auth.issue(form["RoleArn"], form["RoleSessionName"], min(requested, maximum))
        entry["issued_access_key_id"] = issued.access_key_id
        extra = web_identity_xml_fields(form["WebIdentityToken"]) if action != "AssumeRole" else ""
        request_id = str(uuid.uuid4())
        return Answer(200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                      sts_credentials_xml(action, issued, request_id, extra))

    def _admin_refusal(self, request: Request) -> Optional[Answer]:
        """Why an admin request is refused (None: it is not).

        A web page may send a "simple" request (GET, or a form or text/plain POST)
        to any origin, this one included; it cannot add a custom header or a JSON
        content type without a CORS preflight, which this server never answers. On
        a loopback-only server, a Host that is a DNS name other than localhost means
        a name rebound to 127.0.0.1 by someone else's page: refused too.
        """
        if request.headers.get(ADMIN_HEADER.lower()) != "1":
            return error_answer(403, "AccessDeniedException",
                                f"The emulator's admin endpoints require the header {ADMIN_HEADER}: 1.")
        if self.loopback_only and not _local_host_header(request.headers.get("host", "")):
            return error_answer(403, "AccessDeniedException",
                                "The emulator's admin endpoints answer only requests addressed to an IP address or localhost.")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method == "POST" and media_type != "application/json":
            return error_answer(415, "UnsupportedMediaTypeException",
                                "The emulator's admin endpoints take a JSON body with Content-Type: application/json.")
        return None

    def _admin(self, request: Request) -> Answer:
        refusal = self._admin_refusal(request)
        if refusal is not None:
            return refusal
        state = self.state
        route = (request.method, request.path.rstrip("/"))
        try:
            if route == ("GET", "/_emulator/requests"):
                return json_answer(200, state.log_snapshot())
            if route == ("POST", "/_emulator/reset"):
                state.reset()
                return json_answer(200, {"ok": True})
            if route == ("POST", "/_emulator/config"):
                fields = json.loads(request.body or b"{}")
                if not isinstance(fields, dict):
                    raise ValueError("expected a JSON object of EmulatorConfig fields")
                state.configure(**fields)
                return json_answer(200, {"ok": True, "changed": sorted(fields)})
            if route == ("POST", "/_emulator/models"):
                fixture = json.loads(request.body or b"{}")
                state.register_model(str(fixture["arn"]), str(fixture["base_model_id"]))
                return json_answer(200, {"ok": True})
        except (ValueError, TypeError, KeyError) as exc:
            return error_answer(400, "ValidationException", f"{type(exc).__name__}: {exc}")
        return error_answer(404, "UnknownOperationException", f"No admin endpoint {request.method} {request.path}.")


# -- helpers -------------------------------------------------------------------


def _stream_answer(frames: list) -> Answer:
    return Answer(200, [("Content-Type", "application/vnd.amazon.eventstream"), *request_id_header()], frames=frames)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _local_host_header(host: str) -> bool:
    """Whether a Host header names this machine without DNS: an IP literal or localhost (any port)."""
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:8000
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name in ("localhost", "") or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _apply_output_fault(answer: Answer, outcome: str) -> Answer:
    """``truncate`` and ``stream_exception`` spoil an otherwise good answer."""
    if outcome == "truncate":
        answer.cut_after = max(0, min(2, len(answer.frames) - 1)) if answer.frames is not None else len(answer.body) // 2
    elif outcome.startswith("stream_exception") and answer.frames is not None:
        member = stream_exception_member(outcome)
        answer.frames = answer.frames[:min(2, max(len(answer.frames) - 1, 0))]
        answer.frames.append(exception_frame(member, STREAM_EXCEPTIONS[member]))
    return answer


def _sts_error(status: int, code: str, message: str) -> Answer:
    request_id = str(uuid.uuid4())
    return Answer(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                  sts_error_xml(code, message, request_id, sender=status < 500), error_code=code)


def _claimed_identity(headers: dict) -> dict:
    """The access key a rejected request claimed (an id, never a secret), for the log."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return {"auth": "bearer"}
    if "Credential=" not in authorization:
        return {"auth": "none"}
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return {"auth": "sigv4", "access_key_id": scope[0],
            "session_token_used": "x-amz-security-token" in headers,
            "signing_region": scope[2] if len(scope) > 2 else None}
