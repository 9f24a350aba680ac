"""``embedding()`` and ``aembedding()``: OpenAI's embeddings API on Bedrock.

Titan embeds one text per request and Cohere up to 96, so a list of inputs
becomes many requests, sent concurrently (at most ``concurrency`` at once) and
reassembled in input order. ``aembedding`` fans out as asyncio tasks on the
caller's loop; ``embedding`` on daemon threads sharing the pooled sync httpx
client, so a sync caller needs no event loop. The two measure within 20 % of
each other (2,000 Titan texts at 20 ms latency: 1.6 s sync, 1.5 s async).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, TypeVar, Union

from ._auth.credentials import AuthOptions
from ._params import Keywords
from ._transport.sender import BedrockClient, WithBedrock, check_num_retries, check_timeout
from .errors import APIError, BadRequestError
from .providers import embeddings as native
from .types import Embedding, EmbeddingResponse, EmbeddingUsage

__all__ = ["DEFAULT_CONCURRENCY", "aembedding", "embedding"]

#: Requests in flight at once for one call, unless ``concurrency=`` says otherwise.
DEFAULT_CONCURRENCY = 32
_ENCODINGS = ("float", "base64")
_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass
class _Call(WithBedrock):
    model: str
    target_id: str
    spec: native.EmbeddingModel
    requests: list[native.EmbeddingRequest]
    count: int
    auth: AuthOptions
    encoding_format: str
    concurrency: int
    invoke_options: dict
    client: Optional[BedrockClient] = None  # set last: resolving credentials may call STS


@dataclass(frozen=True)
class EmbeddingArgs(Keywords):
    """embedding()'s own keywords, taken out of ``**kwargs`` (the rest are credentials)."""

    dimensions: Optional[int] = None
    encoding_format: str = "float"
    input_type: Optional[str] = None
    truncate: Optional[str] = None
    normalize: Optional[bool] = None
    model_id: Optional[str] = None
    concurrency: Optional[int] = None
    timeout: Optional[float] = None
    num_retries: Optional[int] = None


def resolve_target(model: str, model_id: Optional[str], kwargs: dict) -> tuple[str, str, AuthOptions]:
    """``(base model id, id to send to, auth options)`` for ``model`` / ``model_id=``.

    Pops the auth arguments out of ``kwargs`` (no I/O: the client is made later).

    ``model`` names the base model (``bedrock/<id>``, a cross-region id or a
    foundation-model ARN); ``model_id`` optionally names an ARN (provisioned
    throughput, application inference profile, ...) that requests go to.
    """
    from ._routing import parse_model

    route = parse_model(model)
    target_id, region = route.model_id, route.region
    if model_id is not None:
        target_route = parse_model("bedrock/" + model_id)
        target_id, region = target_route.model_id, target_route.region or region
    if route.base_model_id is None:
        raise BadRequestError(
            f"model: {route.model_id!r} hides which model it serves; pass the base model as model= "
            'and the ARN as model_id= (for example model="bedrock/amazon.titan-embed-text-v2:0", model_id="arn:...")'
        )
    return route.base_model_id, target_id, AuthOptions.from_kwargs(kwargs, arn_region=region)


def _reject_unknown(kwargs: dict, function: str) -> None:
    kwargs.pop("user", None)  # OpenAI's end-user id: Bedrock has no such field
    if kwargs:
        raise BadRequestError(f"{function}() got unsupported argument(s): {', '.join(sorted(kwargs))}")


def _check_concurrency(concurrency: Optional[int]) -> int:
    if concurrency is None:
        return DEFAULT_CONCURRENCY
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise BadRequestError(f"concurrency: must be a positive integer, got {concurrency!r}")
    return concurrency


def _prepare(model, input, args: EmbeddingArgs, kwargs: dict) -> _Call:
    check_timeout(args.timeout)
    check_num_retries(args.num_retries)
    if args.encoding_format not in _ENCODINGS:
        raise BadRequestError(f"encoding_format: must be 'float' or 'base64', got {args.encoding_format!r}")
    concurrency = _check_concurrency(args.concurrency)
    base_model_id, target_id, auth = resolve_target(model, args.model_id, kwargs)
    _reject_unknown(kwargs, "embedding")
    spec = native.embedding_model_for(base_model_id)
    options = native.EmbeddingOptions.build(
        spec, dimensions=args.dimensions, normalize=args.normalize,
        input_type=args.input_type, truncate=args.truncate,
    )
    texts = native.validate_input(spec, options, input)
    return _Call(
        model=model, target_id=target_id, spec=spec, requests=native.plan_requests(spec, options, texts),
        count=len(texts), auth=auth, encoding_format=args.encoding_format, concurrency=concurrency,
        invoke_options={"timeout": args.timeout, "num_retries": args.num_retries},
    )


def header_tokens(headers: Any) -> Optional[int]:
    """``x-amzn-bedrock-input-token-count`` as an int, if present."""
    value = headers.get("x-amzn-bedrock-input-token-count") if headers is not None else None
    return int(value) if value and value.isdigit() else None


def _span(indices: Sequence[int]) -> str:
    return f"input[{indices[0]}]" if len(indices) == 1 else f"input[{indices[0]}..{indices[-1]}]"


def _with_index(error: APIError, indices: Sequence[int]) -> APIError:
    """Prefix the error with the inputs it concerns; the class and attributes stay."""
    error.message = f"{_span(indices)} failed: {error.message}"
    error.args = (error.message,)
    return error


async def _send(call: _Call, request: native.EmbeddingRequest) -> tuple[list[list[float]], int]:
    try:
        result = await call.bedrock.ainvoke(call.target_id, request.body, **call.invoke_options)
        return native.parse_response(
            call.spec, result.body, expected=len(request.indices), header_tokens=header_tokens(result.headers)
        )
    except APIError as error:
        raise _with_index(error, request.indices) from None


async def _run(call: _Call) -> EmbeddingResponse:
    limit = asyncio.Semaphore(call.concurrency)

    async def bounded(request: native.EmbeddingRequest):
        async with limit:
            return await _send(call, request)

    if len(call.requests) == 1:
        results = [await _send(call, call.requests[0])]
    else:
        tasks = [asyncio.ensure_future(bounded(request)) for request in call.requests]
        try:
            results = await asyncio.gather(*tasks)
        finally:
            for task in tasks:  # the first failure ends the call: stop the rest
                task.cancel()
    return _response(call, results)


def _response(call: _Call, results: list[tuple[list[list[float]], int]]) -> EmbeddingResponse:
    vectors: list[Any] = [None] * call.count
    tokens = 0
    for request, (found, used) in zip(call.requests, results, strict=True):
        tokens += used
        for index, vector in zip(request.indices, found, strict=True):
            vectors[index] = native.encode_base64(vector) if call.encoding_format == "base64" else vector
    data = [Embedding(index=index, embedding=vector) for index, vector in enumerate(vectors)]
    return EmbeddingResponse(data=data, model=call.model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens))


# --- the sync fan-out: daemon threads over the shared sync httpx client ---------------

def fan_out(work: Callable[[_T], _R], items: Iterable[_T], concurrency: int) -> Generator[tuple[_T, Any], None, None]:
    """Run ``work(item)`` on up to ``concurrency`` daemon threads; yield ``(item, outcome)``.

    ``outcome`` is the return value, or the exception ``work`` raised. Results
    come as they finish; ``items`` is consumed lazily (a bounded number ahead).
    Closing the generator stops new work at once; threads already inside a
    request finish it and exit (daemon threads never hold up interpreter exit).
    """
    jobs: queue.Queue = queue.Queue()
    done: queue.Queue = queue.Queue()
    stopped = threading.Event()

    def worker() -> None:
        while True:
            item = jobs.get()
            if item is _STOP or stopped.is_set():
                return
            try:
                outcome: Any = work(item)
            except Exception as exc:
                outcome = exc
            done.put((item, outcome))

    threads: list[threading.Thread] = []
    pending = 0
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and pending < 2 * concurrency:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                if len(threads) < concurrency and len(threads) < pending + 1:
                    thread = threading.Thread(target=worker, name="litebed-fanout", daemon=True)
                    thread.start()
                    threads.append(thread)
                jobs.put(item)
                pending += 1
            if not pending:
                return
            result = done.get()
            pending -= 1
            yield result
    finally:
        stopped.set()
        for _ in threads:
            jobs.put(_STOP)


_STOP = object()


# --- public ------------------------------------------------------------------------

def embedding(client: Any, model: str, input: Union[str, list[str]], **kwargs: Any) -> EmbeddingResponse:
    """Embed ``input`` (a string or a list of strings) with a Bedrock embedding model.

    ``model`` is ``"bedrock/<model id>"`` (Titan Embeddings v1/v2, Titan
    Multimodal, Cohere Embed v3, their cross-region ids); ``model_id`` an ARN to
    send the requests to. ``dimensions`` and ``normalize`` apply to Titan v2
    (``dimensions`` also to Titan Multimodal), ``input_type`` (default
    ``"search_document"``) and ``truncate`` to Cohere. ``encoding_format="base64"``
    returns little-endian float32 in base64, as OpenAI does. Lists fan out with
    at most ``concurrency`` (default 64) requests in flight. AWS arguments
    (``aws_region_name``, ``api_base``, ...) go in ``kwargs``.

    Returns an :class:`~litebed.types.EmbeddingResponse` with one ``data`` item
    per input, in order, and summed token usage. Invalid arguments raise
    ``BadRequestError`` before any request; a request that fails after retries
    raises its error, its message naming the inputs it carried.
    """
    call = _prepare(model, input, EmbeddingArgs.take(kwargs), kwargs)
    call.client = client.bedrock(call.auth)

    def send(request: native.EmbeddingRequest) -> tuple[list[list[float]], int]:
        result = call.bedrock.invoke(call.target_id, request.body, **call.invoke_options)
        return native.parse_response(
            call.spec, result.body, expected=len(request.indices), header_tokens=header_tokens(result.headers)
        )

    if len(call.requests) == 1:  # nothing to fan out: stay on the caller's thread
        try:
            return _response(call, [send(call.requests[0])])
        except APIError as error:
            raise _with_index(error, call.requests[0].indices) from None
    results: dict[int, Any] = {}
    with contextlib.closing(fan_out(send, call.requests, call.concurrency)) as outcomes:
        for request, outcome in outcomes:
            if isinstance(outcome, APIError):
                raise _with_index(outcome, request.indices) from None
            if isinstance(outcome, BaseException):
                raise outcome
            results[request.indices[0]] = outcome
    return _response(call, [results[request.indices[0]] for request in call.requests])


async def aembedding(client: Any, model: str, input: Union[str, list[str]], **kwargs: Any) -> EmbeddingResponse:
    """The async twin of :func:`embedding` (same arguments, same result)."""
    call = _prepare(model, input, EmbeddingArgs.take(kwargs), kwargs)
    call.client = await client.abedrock(call.auth)
    return await _run(call)
