"""The emulator's model catalogue: base model id -> the family that serves it.

Contract used by ``server.py`` (the server never looks inside a family):

``family_for(base_model_id) -> Family | None``
    ``base_model_id`` is already stripped of ARNs and cross-region prefixes.
``converse(body, *, model_id, stream) -> ConverseResult``
    validates a Converse body (raises ``ValidationFailed``) and answers it.
``catalogue() -> list[dict]``
    one dict per foundation model: ``modelId``, ``modelName``, ``providerName``,
    ``inputModalities``, ``outputModalities``, ``responseStreamingSupported``,
    ``inferenceTypesSupported`` (GetFoundationModel / ListFoundationModels).
``count_tokens(body, *, model_id) -> int``
    the CountTokens answer for ``{"input": {"invokeModel"|"converse": ...}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Optional

from .. import prompt_cache
from . import converse as _converse
from .ai21_j2 import AI21Jurassic
from .ai21_jamba import AI21Jamba
from .anthropic_messages import AnthropicMessages
from .anthropic_text import AnthropicText
from .base import ConverseResult, Family, Generation, ValidationFailed
from .cohere_chat import CohereChat
from .cohere_command import CohereCommand
from .cohere_embed import CohereEmbed
from .deepseek import DeepSeekR1
from .llama import Llama
from .mistral_chat import MistralChat, MistralLarge
from .mistral_text import MistralText
from .nova import Nova
from .openai_chat import OpenAIChat
from .stability_image import StabilityImage
from .stability_sdxl import StabilitySDXL
from .titan_embed import TitanEmbed
from .titan_image import TitanImage
from .titan_text import TitanText

__all__ = ["ConverseOnly", "ConverseResult", "Family", "Generation", "ValidationFailed", "catalogue", "converse",
           "count_tokens", "family_for"]

_T, _I, _E = "TEXT", "IMAGE", "EMBEDDING"

# (model id, provider, model name, input modalities, output modalities, family)
_MODELS: list[tuple[str, str, str, tuple, tuple, Family]] = []


def _add(family: Family, provider: str, inputs: tuple, outputs: tuple, *models: tuple[str, str]) -> None:
    for model_id, name in models:
        _MODELS.append((model_id, provider, name, inputs, outputs, family))


class ConverseOnly(Family):
    """A chat model this emulator serves through Converse only.

    Bedrock serves these models through InvokeModel too, with bodies this
    emulator does not implement: an InvokeModel request is answered with a
    ValidationException that says so, never with a made-up native answer.
    """

    name = "converse-only"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        raise ValidationFailed(f"The emulator serves {model_id} through Converse and ConverseStream only; "
                               "its native InvokeModel body is not emulated.")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        raise ValidationFailed(f"The emulator serves {model_id} through Converse and ConverseStream only.")


_add(AnthropicText(), "Anthropic", (_T,), (_T,),
     ("anthropic.claude-instant-v1", "Claude Instant"), ("anthropic.claude-v2", "Claude"),
     ("anthropic.claude-v2:1", "Claude"))
_add(AnthropicMessages(), "Anthropic", (_T, _I), (_T,),
     ("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku"),
     ("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet"),
     ("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus"),
     ("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet"),
     ("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2"),
     ("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku"),
     ("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet"),
     ("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4"),
     ("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4"),
     ("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1"),
     ("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5"),
     ("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5"))
_add(TitanText(), "Amazon", (_T,), (_T,),
     ("amazon.titan-text-express-v1", "Titan Text G1 - Express"), ("amazon.titan-text-lite-v1", "Titan Text G1 - Lite"),
     ("amazon.titan-text-premier-v1:0", "Titan Text G1 - Premier"), ("amazon.titan-tg1-large", "Titan Text Large"))
_add(Nova(), "Amazon", (_T,), (_T,), ("amazon.nova-micro-v1:0", "Nova Micro"))
_add(Nova(), "Amazon", (_T, _I, "VIDEO"), (_T,), ("amazon.nova-lite-v1:0", "Nova Lite"),
     ("amazon.nova-pro-v1:0", "Nova Pro"), ("amazon.nova-premier-v1:0", "Nova Premier"))
_add(CohereCommand(), "Cohere", (_T,), (_T,), ("cohere.command-text-v14", "Command"),
     ("cohere.command-light-text-v14", "Command Light"))
_add(CohereChat(), "Cohere", (_T,), (_T,), ("cohere.command-r-v1:0", "Command R"),
     ("cohere.command-r-plus-v1:0", "Command R+"))
_add(AI21Jurassic(), "AI21 Labs", (_T,), (_T,), ("ai21.j2-mid-v1", "Jurassic-2 Mid"),
     ("ai21.j2-ultra-v1", "Jurassic-2 Ultra"))
_add(AI21Jamba(), "AI21 Labs", (_T,), (_T,), ("ai21.jamba-instruct-v1:0", "Jamba-Instruct"),
     ("ai21.jamba-1-5-mini-v1:0", "Jamba 1.5 Mini"), ("ai21.jamba-1-5-large-v1:0", "Jamba 1.5 Large"))
_add(Llama(), "Meta", (_T,), (_T,),
     ("meta.llama2-13b-chat-v1", "Llama 2 Chat 13B"), ("meta.llama2-70b-chat-v1", "Llama 2 Chat 70B"),
     ("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct"), ("meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct"),
     ("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct"),
     ("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct"),
     ("meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct"),
     ("meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct"), ("meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct"),
     ("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct"))
_add(Llama(), "Meta", (_T, _I), (_T,), ("meta.llama3-2-11b-instruct-v1:0", "Llama 3.2 11B Instruct"),
     ("meta.llama3-2-90b-instruct-v1:0", "Llama 3.2 90B Instruct"))
_add(MistralText(), "Mistral AI", (_T,), (_T,),
     ("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct"),
     ("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct"),
     ("mistral.mistral-small-2402-v1:0", "Mistral Small (24.02)"))
_add(MistralLarge(), "Mistral AI", (_T,), (_T,), ("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)"),
     ("mistral.mistral-large-2407-v1:0", "Mistral Large (24.07)"))
# Newer chat models. Llama 4 is documented with the Llama prompt body and Pixtral Large
# with Mistral's chat body (their native image inputs are not emulated); DeepSeek-R1
# and gpt-oss have their own validators; the others are served through Converse only.
_add(Llama(), "Meta", (_T, _I), (_T,), ("meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct"),
     ("meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct"))
_add(MistralChat(), "Mistral AI", (_T, _I), (_T,), ("mistral.pixtral-large-2502-v1:0", "Pixtral Large (25.02)"))
_add(DeepSeekR1(), "DeepSeek", (_T,), (_T,), ("deepseek.r1-v1:0", "DeepSeek-R1"))
_add(ConverseOnly(), "DeepSeek", (_T,), (_T,), ("deepseek.v3-v1:0", "DeepSeek-V3.1"))
_add(OpenAIChat(), "OpenAI", (_T,), (_T,), ("openai.gpt-oss-20b-1:0", "gpt-oss-20b"),
     ("openai.gpt-oss-120b-1:0", "gpt-oss-120b"))
_add(ConverseOnly(), "Qwen", (_T,), (_T,), ("qwen.qwen3-32b-v1:0", "Qwen3 32B (dense)"),
     ("qwen.qwen3-coder-30b-a3b-v1:0", "Qwen3 Coder 30B A3B Instruct"),
     ("qwen.qwen3-235b-a22b-2507-v1:0", "Qwen3 235B A22B 2507"),
     ("qwen.qwen3-coder-480b-a35b-v1:0", "Qwen3 Coder 480B A35B Instruct"))
_add(ConverseOnly(), "Writer", (_T,), (_T,), ("writer.palmyra-x4-v1:0", "Palmyra X4"),
     ("writer.palmyra-x5-v1:0", "Palmyra X5"))
_add(TitanEmbed(), "Amazon", (_T,), (_E,), ("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text"),
     ("amazon.titan-embed-g1-text-02", "Titan Text Embeddings v2"),
     ("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2"))
_add(TitanEmbed(), "Amazon", (_T, _I), (_E,), ("amazon.titan-embed-image-v1", "Titan Multimodal Embeddings G1"))
_add(CohereEmbed(), "Cohere", (_T,), (_E,), ("cohere.embed-english-v3", "Embed English"),
     ("cohere.embed-multilingual-v3", "Embed Multilingual"))
_add(StabilitySDXL(), "Stability AI", (_T, _I), (_I,), ("stability.stable-diffusion-xl-v0", "SDXL 0.8"),
     ("stability.stable-diffusion-xl-v1", "SDXL 1.0"))
_add(StabilityImage(), "Stability AI", (_T,), (_I,), ("stability.sd3-large-v1:0", "SD3 Large 1.0"),
     ("stability.stable-image-core-v1:0", "Stable Image Core 1.0"),
     ("stability.stable-image-core-v1:1", "Stable Image Core 1.0"),
     ("stability.stable-image-ultra-v1:0", "Stable Image Ultra 1.0"),
     ("stability.stable-image-ultra-v1:1", "Stable Image Ultra 1.0"))
_add(TitanImage(), "Amazon", (_T, _I), (_I,), ("amazon.titan-image-generator-v1", "Titan Image Generator G1"),
     ("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2"),
     ("amazon.nova-canvas-v1:0", "Nova Canvas"))



def _catalog_chat_models() -> list[tuple[str, str, str, bool]]:
    """(id, provider, name, vision) of every chat model in litebed's bundled model catalog.

    Data, not code: the emulator still never imports litebed's providers. A model
    the tables above do not serve natively is served through Converse, so every
    catalog model can be called offline.
    """
    from importlib.resources import files

    try:
        catalog = json.loads((files("litebed") / "data" / "models.json").read_text("utf-8"))
    except (FileNotFoundError, ModuleNotFoundError, ValueError):  # the emulator shipped without litebed's data
        return []
    return [
        (model_id, entry.get("provider") or model_id.split(".", 1)[0], entry.get("name") or model_id,
         bool(entry.get("supports_vision")))
        for model_id, entry in sorted(catalog.get("models", {}).items())
        if entry.get("mode") == "chat"
    ]


#: Newer ids of a documented body family: served with that body (the emulator's own rules, by id).
_NATIVE_BY_PREFIX: tuple[tuple[str, Family], ...] = (
    ("anthropic.claude-3", AnthropicMessages()), ("anthropic.claude-opus", AnthropicMessages()),
    ("anthropic.claude-sonnet", AnthropicMessages()), ("anthropic.claude-haiku", AnthropicMessages()),
    ("anthropic.claude-fable", AnthropicMessages()), ("amazon.nova-", Nova()), ("meta.llama", Llama()),
    ("mistral.mistral-large-", MistralLarge()), ("openai.gpt-oss", OpenAIChat()),
)


def _family_by_prefix(model_id: str) -> Family:
    return next((family for prefix, family in _NATIVE_BY_PREFIX if model_id.startswith(prefix)), ConverseOnly())


_SERVED = {model_id for model_id, *_ in _MODELS}
for _id, _provider, _name, _vision in _catalog_chat_models():
    if _id not in _SERVED:
        _add(_family_by_prefix(_id), _provider, (_T, _I) if _vision else (_T,), (_T,), (_id, _name))

_BY_ID = {model_id: family for model_id, *_, family in _MODELS}


def family_for(base_model_id: str) -> Optional[Family]:
    """The family serving ``base_model_id`` (a plain foundation-model id), or None."""
    return _BY_ID.get(base_model_id)


def catalogue() -> list[dict]:
    """One foundation-model summary per served model id."""
    return [{
        "modelId": model_id, "modelName": name, "providerName": provider,
        "inputModalities": list(inputs), "outputModalities": list(outputs),
        "responseStreamingSupported": family.streaming, "inferenceTypesSupported": ["ON_DEMAND"],
    } for model_id, provider, name, inputs, outputs, family in _MODELS]


def _conversable(model_id: str) -> bool:
    return any(mid == model_id and _E not in outputs and _I not in outputs for mid, _, _, _, outputs, _ in _MODELS)


def converse(body: Any, *, model_id: str, stream: bool) -> ConverseResult:
    """Validate and answer a Converse (``stream=False``) or ConverseStream body."""
    return _converse.answer(body, model_id=model_id, stream=stream, conversable=_conversable(model_id))


def count_tokens(body: Any, *, model_id: str) -> int:
    """The CountTokens answer: input tokens of an ``invokeModel`` body or a ``converse`` request."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict) or len(body["input"]) != 1:
        raise ValidationFailed("input must hold exactly one of [invokeModel, converse].")
    (kind, request), = body["input"].items()
    with prompt_cache.serving(prompt_cache.PromptCache()):  # counting caches nothing; all input counts
        return _count_input_tokens(kind, request, model_id=model_id)


def _count_input_tokens(kind: str, request: Any, *, model_id: str) -> int:
    if kind == "converse":
        # ConverseTokensRequest has no inferenceConfig; the input tokens do not depend on one
        result = converse(request if request is not None else {}, model_id=model_id, stream=False)
        return result.input_tokens + result.cache_read_tokens + result.cache_write_tokens
    if kind != "invokeModel" or not isinstance(request, dict) or "body" not in request:
        raise ValidationFailed("input must hold exactly one of [invokeModel, converse].")
    try:
        native = json.loads(base64.b64decode(request["body"], validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise ValidationFailed("input.invokeModel.body must be a base64-encoded JSON document.") from None
    family = family_for(model_id)
    if family is None:
        raise ValidationFailed("The provided model identifier is invalid.")
    family.validate(native, model_id=model_id, stream=False)
    generation = family.generate(native, model_id=model_id, stream=False)
    return generation.input_tokens + (generation.cache_read_tokens or 0) + (generation.cache_write_tokens or 0)
