"""``embed_batch()`` / ``aembed_batch()``: embed many records, one result per record.

Unlike :func:`~litebed.embedding`, a batch never fails as a whole: each record
ends as exactly one :class:`BatchResult`, with an ``embedding`` or an
``error``. Results arrive as requests complete (not in input order). Records
are read lazily, so an input larger than memory is fine. Throttling and
transient errors are retried more patiently than a single call
(:data:`DEFAULT_BATCH_RETRIES` attempts with backoff) before a record fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from ._auth.credentials import AuthOptions
from ._embeddings import _check_concurrency, fan_out, header_tokens, resolve_target
from ._params import Keywords
from ._transport.sender import BedrockClient, WithBedrock, check_num_retries, check_timeout
from .errors import BadRequestError
from .providers import embeddings as native

__all__ = ["DEFAULT_BATCH_RETRIES", "AsyncEmbedBatch", "BatchResult", "BatchStats", "EmbedBatch", "aembed_batch", "embed_batch"]

#: Retries per request in a batch (the per-call default is 2): a long run
#: under throttling should slow down, not lose records.
DEFAULT_BATCH_RETRIES = 8

Record = Union[str, tuple, dict]


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one record: ``embedding`` when done, ``error`` when it failed."""

    id: Any
    embedding: Optional[list[float]] = None
    error: Optional[str] = None
    #: input tokens Bedrock counted for this record (Cohere: its share of the request's count)
    tokens: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BatchStats:
    """Running totals of a batch (read them during or after iteration)."""

    requests: int = 0
    done: int = 0
    failed: int = 0
    tokens: int = 0

    def add(self, result: BatchResult) -> BatchResult:
        if result.ok:
            self.done += 1
            self.tokens += result.tokens
        else:
            self.failed += 1
        return result


@dataclass
class _Job:
    """Records that travel in one request."""

    ids: list = field(default_factory=list)
    texts: list = field(default_factory=list)


def _split_record(record: Any, position: int) -> tuple[Any, Any]:
    if isinstance(record, str):
        return position, record
    if isinstance(record, dict):
        return record.get("id", position), record.get("text")
    if isinstance(record, (tuple, list)) and len(record) == 2:
        return record[0], record[1]
    return position, record


@dataclass
class _Plan(WithBedrock):
    spec: native.EmbeddingModel
    options: native.EmbeddingOptions
    target_id: str
    auth: AuthOptions
    invoke_options: dict
    concurrency: int
    client: Optional[BedrockClient] = None  # resolved when the first request is due
    stats: BatchStats = field(default_factory=BatchStats)

    def jobs(self, records: Iterable[Record]) -> Iterator[Union[_Job, BatchResult]]:
        """Group valid records into requests; invalid ones become failed results at once."""
        job = _Job()
        for position, record in enumerate(records):
            record_id, text = _split_record(record, position)
            problem = native.check_text(self.spec, self.options, text)
            if problem:
                yield BatchResult(record_id, error=f"text {problem}")
                continue
            job.ids.append(record_id)
            job.texts.append(text)
            if len(job.texts) == self.spec.batch_size:
                yield job
                job = _Job()
        if job.texts:
            yield job

    def body(self, job: _Job) -> dict:
        return native.build_body(self.spec, self.options, job.texts)

    def count(self, results: list[BatchResult]) -> list[BatchResult]:
        """Add finished results to the totals (called on the consuming side only)."""
        self.stats.requests += 1
        for result in results:
            self.stats.add(result)
        return results

    def results(self, job: _Job, answer: Any = None, error: Optional[BaseException] = None) -> list[BatchResult]:
        if error is None:
            try:
                vectors, tokens = native.parse_response(
                    self.spec, answer.body, expected=len(job.texts), header_tokens=header_tokens(answer.headers)
                )
            except Exception as exc:
                error = exc
        if error is not None:
            message = f"{type(error).__name__}: {error}"
            return [BatchResult(record_id, error=message) for record_id in job.ids]
        shares = _share(tokens, [len(text) for text in job.texts])
        return [
            BatchResult(record_id, embedding=vector, tokens=share)
            for record_id, vector, share in zip(job.ids, vectors, shares, strict=True)
        ]


def _share(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``, in integers that add up to it."""
    if len(weights) == 1:
        return [total]
    whole = sum(weights) or 1
    shares = [total * weight // whole for weight in weights]
    shares[0] += total - sum(shares)
    return shares


@dataclass(frozen=True)
class BatchArgs(Keywords):
    """embed_batch()'s own keywords, taken out of ``**kwargs`` (the rest are credentials)."""

    concurrency: Optional[int] = None
    dimensions: Optional[int] = None
    input_type: Optional[str] = None
    truncate: Optional[str] = None
    model_id: Optional[str] = None
    num_retries: Optional[int] = None
    timeout: Optional[float] = None


def _plan(model: str, args: BatchArgs, kwargs: dict) -> _Plan:
    check_timeout(args.timeout)
    check_num_retries(args.num_retries)
    concurrency = _check_concurrency(args.concurrency)
    base_model_id, target_id, auth = resolve_target(model, args.model_id, kwargs)
    if kwargs:
        raise BadRequestError(f"embed_batch() got unsupported argument(s): {', '.join(sorted(kwargs))}")
    spec = native.embedding_model_for(base_model_id)
    options = native.EmbeddingOptions.build(
        spec, dimensions=args.dimensions, input_type=args.input_type, truncate=args.truncate
    )
    retries = DEFAULT_BATCH_RETRIES if args.num_retries is None else args.num_retries
    return _Plan(spec, options, target_id, auth,
                 {"timeout": args.timeout, "num_retries": retries}, concurrency)


class EmbedBatch:
    """Iterator of :class:`BatchResult` as they arrive; ``stats`` keeps the totals.

    Closing it (or leaving a ``with`` block, or Ctrl-C) stops sending new requests.
    """

    def __init__(self, plan: _Plan, records: Iterable[Record]) -> None:
        self.stats = plan.stats
        self._iter = self._results(plan, records)

    @staticmethod
    def _results(plan: _Plan, records: Iterable[Record]) -> Generator[BatchResult, None, None]:
        def work(item: Union[_Job, BatchResult]) -> list[BatchResult]:
            if isinstance(item, BatchResult):
                return [item]
            try:
                answer = plan.bedrock.invoke(plan.target_id, plan.body(item), **plan.invoke_options)
            except Exception as exc:
                return plan.results(item, error=exc)
            return plan.results(item, answer)

        with contextlib.closing(fan_out(work, plan.jobs(records), plan.concurrency)) as outcomes:
            for item, results in outcomes:
                if isinstance(item, BatchResult):
                    yield plan.stats.add(item)
                else:
                    yield from plan.count(results)

    def __iter__(self) -> EmbedBatch:
        return self

    def __next__(self) -> BatchResult:
        return next(self._iter)

    def close(self) -> None:
        self._iter.close()

    def __enter__(self) -> EmbedBatch:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncEmbedBatch:
    """Async iterator of :class:`BatchResult` as they arrive; ``stats`` keeps the totals."""

    def __init__(self, plan: _Plan, records: Iterable[Record], client: Any) -> None:
        self.stats = plan.stats
        self._iter = self._results(plan, records, client)

    @staticmethod
    async def _results(plan: _Plan, records: Iterable[Record], client: Any) -> AsyncGenerator[BatchResult, None]:
        plan.client = await client.abedrock(plan.auth)  # off the event loop when it must resolve

        async def work(job: _Job) -> list[BatchResult]:
            try:
                answer = await plan.bedrock.ainvoke(plan.target_id, plan.body(job), **plan.invoke_options)
            except Exception as exc:
                return plan.results(job, error=exc)
            return plan.results(job, answer)

        pending: set[asyncio.Future] = set()
        try:
            for item in plan.jobs(records):
                if isinstance(item, BatchResult):
                    yield plan.stats.add(item)
                    continue
                while len(pending) >= plan.concurrency:
                    finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in finished:
                        for result in plan.count(task.result()):
                            yield result
                pending.add(asyncio.ensure_future(work(item)))
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    for result in plan.count(task.result()):
                        yield result
        finally:
            for task in pending:
                task.cancel()

    def __aiter__(self) -> AsyncEmbedBatch:
        return self

    async def __anext__(self) -> BatchResult:
        return await self._iter.__anext__()

    async def aclose(self) -> None:
        await self._iter.aclose()


def embed_batch(client: Any, records: Iterable[Record], model: str, **kwargs: Any) -> EmbedBatch:
    """Embed every record; returns an iterator of :class:`BatchResult` as results arrive.

    ``records`` is any iterable (read lazily) of ``(id, text)`` pairs,
    ``{"id": ..., "text": ...}`` dicts, or plain strings (id = 0-based position).
    Every record yields exactly one result. Texts the model cannot take (empty,
    not a string, too long for Cohere) fail at once without a request; a
    request that still fails after ``num_retries`` (default 8) fails each of its
    records with the error text. Cohere records travel 96 per request, Titan one;
    at most ``concurrency`` (default 32) requests are in flight. Bad arguments
    (model, dimensions, input_type) raise ``BadRequestError`` immediately.
    """
    plan = _plan(model, BatchArgs.take(kwargs), kwargs)
    plan.client = client.bedrock(plan.auth)
    return EmbedBatch(plan, records)


def aembed_batch(client: Any, records: Iterable[Record], model: str, **kwargs: Any) -> AsyncEmbedBatch:
    """The async twin of :func:`embed_batch`: ``async for result in aembed_batch(...)``."""
    return AsyncEmbedBatch(_plan(model, BatchArgs.take(kwargs), kwargs), records, client)

