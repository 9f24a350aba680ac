"""Chat family modules and the table that picks one for a base model id.

Family modules are imported lazily (on first use), so ``import litebed``
stays cheap. Each module implements the interface described in
:mod:`litebed.providers.base`.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import TYPE_CHECKING, Optional

from ..errors import BadRequestError

__all__ = [
    "CHAT_FAMILIES",
    "SUPPORTED_PROVIDERS",
    "chat_family_for",
    "chat_family_name",
    "chat_family_or_converse",
    "converse_family",
    "native_n",
]

#: (pattern matched at the start of the base model id, module name), first match wins.
CHAT_FAMILIES: tuple[tuple[str, str], ...] = (
    # §5.1: Claude v1/v2/v2.1/Instant speak text completions (context variants such
    # as "anthropic.claude-v2:1:200k" included); every other Claude is Messages (§5.2).
    (r"anthropic\.claude-(instant-)?v[12](:|$)", "anthropic_text"),
    (r"anthropic\.claude-", "anthropic_messages"),
    (r"amazon\.titan-(text|tg1)-", "titan"),
    # Nova Canvas / Reel / Sonic are image, video and speech models, not chat.
    (r"amazon\.nova-(?!.*(canvas|reel|sonic|embed))", "nova"),
    (r"cohere\.command-r", "cohere_chat"),
    (r"cohere\.command-(text|light-text)", "cohere_command"),
    (r"ai21\.j2-", "ai21_j2"),
    (r"ai21\.jamba", "ai21_jamba"),
    (r"meta\.llama2", "llama2"),
    (r"meta\.llama3", "llama3"),
    # Large 2402 is listed with the text-completion models in §5.10 and its prompt
    # template is documented there; Large 2407 and later use the chat body (§5.11).
    (r"mistral\.(mistral-7b|mixtral-|mistral-small|mistral-large-2402)", "mistral_text"),
    (r"mistral\.mistral-large-", "mistral_chat"),
    # DeepSeek-R1's documented body is a prompt in its chat template (AWS's "DeepSeek
    # models" page); V3.x and any other DeepSeek model go through Converse.
    (r"deepseek\.r1-", "deepseek"),
    # gpt-oss takes OpenAI's chat-completion body (AWS's "OpenAI models" page).
    (r"openai\.gpt-oss-", "openai_chat"),
)

#: Providers with at least one native chat family, for error messages (the first six
#: were the original ones; later ones are appended).
SUPPORTED_PROVIDERS = ("ai21", "amazon", "anthropic", "cohere", "meta", "mistral", "deepseek", "openai")

_COMPILED = tuple((re.compile(pattern), name) for pattern, name in CHAT_FAMILIES)


def chat_family_name(base_model_id: str) -> Optional[str]:
    """The family module name for ``base_model_id`` (no import), or None.

    A cross-region prefix (``us.``, ``eu.``, ...) is ignored.
    """
    from .._routing import strip_geo_prefix

    base_model_id = strip_geo_prefix(base_model_id)
    for pattern, name in _COMPILED:
        if pattern.match(base_model_id):
            return name
    return None


def chat_family_for(base_model_id: str) -> ModuleType:
    """Import and return the native chat family module serving ``base_model_id``.

    Raises ``BadRequestError`` listing the supported providers when no native
    chat family matches. ``completion()`` does not get here for such a model
    unless the caller insisted on ``bedrock/invoke/<model-id>``: a plain
    ``bedrock/<model-id>`` goes through Converse (:func:`chat_family_or_converse`).
    """
    name = chat_family_name(base_model_id)
    if name is None:
        raise BadRequestError(
            f"no native chat format is known for model {base_model_id!r}; supported providers: "
            f"{', '.join(SUPPORTED_PROVIDERS)} (text models). Use "
            f'"bedrock/{base_model_id}" or "bedrock/converse/{base_model_id}" to call it through Converse, '
            "or pass base_model= for an ARN."
        )
    return importlib.import_module(f"{__name__}.{name}")


def chat_family_or_converse(base_model_id: str) -> tuple[ModuleType, str]:
    """``(family module, api)`` for a ``bedrock/<model-id>`` call: the native family
    and ``"invoke"`` when one matches, else the Converse module and ``"converse"``.

    Any model id without a native body format (Llama 4, Qwen, Writer, DeepSeek
    V3, Pixtral, a model Bedrock added yesterday) is sent through Converse,
    Bedrock's one body shape for every chat model.
    """
    name = chat_family_name(base_model_id)
    if name is None:
        return converse_family(), "converse"
    return importlib.import_module(f"{__name__}.{name}"), "invoke"


def native_n(family: ModuleType, stream: bool) -> bool:
    """Whether the body itself can ask for ``n`` completions for this call.

    A family may set ``NATIVE_N_STREAM = False`` when its native ``n`` is
    refused on streams (AI21 Jamba, §5.8); ``main.py`` then fans out.
    """
    if stream:
        return family.NATIVE_N_STREAM
    return bool(family.NATIVE_N)


def converse_family() -> ModuleType:
    """The Converse route's module (``bedrock/converse/<model-id>``), whatever the model."""
    return importlib.import_module(f"{__name__}.converse")


if TYPE_CHECKING:  # mypy checks that every family module satisfies the protocol
    from . import (
        ai21_j2,
        ai21_jamba,
        anthropic_messages,
        anthropic_text,
        cohere_chat,
        cohere_command,
        converse,
        deepseek,
        llama2,
        llama3,
        mistral_chat,
        mistral_text,
        nova,
        openai_chat,
        titan,
    )
    from .base import ChatFamily

    _FAMILY_MODULES: tuple[ChatFamily, ...] = (
        ai21_j2, ai21_jamba, anthropic_messages, anthropic_text, cohere_chat, cohere_command, converse, deepseek,
        llama2, llama3, mistral_chat, mistral_text, nova, openai_chat, titan,
    )
