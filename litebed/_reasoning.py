"""``reasoning_effort`` and ``thinking``: how much a model reasons, decided before sending.

The model catalog says how each reasoning model is steered (its ``reasoning``
style); this module turns OpenAI's ``reasoning_effort`` or Anthropic's
``thinking`` into that model's fields (``ChatParams.thinking`` /
``ChatParams.reasoning_effort``, written into the body by the family) and
applies Anthropic's rules for thinking before any request is made:

* ``budget`` (Claude 3.7 to 4.5): ``reasoning_effort`` becomes
  ``thinking: {"type": "enabled", "budget_tokens": N}`` with N from
  :data:`THINKING_BUDGETS` (LiteLLM's figures, floored at Anthropic's minimum of
  1,024); ``max_tokens`` is raised to leave the answer room above the budget.
* ``adaptive`` (Claude 4.6 and later): ``thinking: {"type": "adaptive"}`` with
  the effort (``minimal`` is sent as ``low``).
* ``effort`` (gpt-oss) and ``nova`` (Nova 2): the effort, in the model's own field.
* ``fixed`` (DeepSeek-R1 and other models that always reason): nothing to steer.

With thinking on, Claude takes no ``temperature`` but 1, no ``top_k``, a
``top_p`` of at least 0.95 and no forced tool choice: each of these raises
``UnsupportedParamsError`` naming it, or is dropped with ``drop_params``.
"""

from __future__ import annotations

import functools
from typing import Any, Optional

from .errors import BadRequestError
from .providers.base import DEFAULT_MAX_TOKENS, ChatParams
from .providers.requests import expected, unsupported

#: ``reasoning_effort`` -> Claude's thinking budget (tokens).
THINKING_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096}
#: Anthropic's smallest thinking budget.
MIN_THINKING_BUDGET = 1024
EFFORTS = ("none", "minimal", "low", "medium", "high")
#: Families whose body carries Claude's ``thinking`` object.
_THINKING_FAMILIES = ("anthropic-messages", "converse")


@functools.lru_cache(maxsize=1024)
def _catalog_facts(base_model_id: str) -> tuple[bool, Optional[str], Optional[int]]:
    """(known to the catalog, reasoning style, output cap), remembered per model."""
    from ._catalog import lookup

    try:
        info = lookup(base_model_id)
    except BadRequestError:
        info = None
    if info is None:
        return False, None, None
    return True, info.get("reasoning"), info.get("max_output_tokens")


def check_thinking(value: Any) -> dict:
    """``thinking=`` as Anthropic defines it: enabled with a budget, adaptive, or disabled."""
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "enabled":
        budget = value.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
            raise expected("thinking.budget_tokens", f"an integer of at least {MIN_THINKING_BUDGET}", budget)
        allowed = {"type", "budget_tokens"}
    elif kind in ("adaptive", "disabled"):
        allowed = {"type", "display"} if kind == "adaptive" else {"type"}
    else:
        raise expected(
            "thinking", '{"type": "enabled", "budget_tokens": N}, {"type": "adaptive"} or {"type": "disabled"}', value
        )
    extra = sorted(set(value) - allowed)
    if extra:
        raise expected(f"thinking.{extra[0]}", f"absent (thinking of type {kind!r} takes {', '.join(sorted(allowed))})",
                       value[extra[0]])
    return value


def apply(params: ChatParams, family: Any, model_id: str, *, effort: Any, thinking: Any, drop_params: bool) -> None:
    """Decide ``params.thinking`` / ``params.reasoning_effort`` for ``model_id`` and apply
    the thinking rules (see the module docstring). ``effort`` and ``thinking`` are the
    caller's arguments (None when not given)."""
    if effort is None and thinking is None:
        return
    if effort is not None and (not isinstance(effort, str) or effort not in EFFORTS):
        raise expected("reasoning_effort", " or ".join(repr(e) for e in EFFORTS), effort)
    if thinking is not None:
        thinking = check_thinking(thinking)
        if effort is not None:
            raise BadRequestError("pass reasoning_effort or thinking, not both")
    name = "thinking" if thinking is not None else "reasoning_effort"
    known, style, cap = _catalog_facts(model_id)
    claude_body = family.FAMILY in _THINKING_FAMILIES and model_id.startswith("anthropic.")
    if style is None:
        if thinking is not None and claude_body and not known:
            params.thinking = thinking  # a Claude id newer than the catalog: Bedrock decides
            _thinking_rules(params, model_id, cap, drop_params)
            return
        why = ("litebed's model catalog does not know whether it reasons; pass thinking={...} for a Claude model, "
               "or the model's own field in extra_body={...}") if not known else "This model does not reason."
        if drop_params:
            return
        raise unsupported(name, model_id, why)
    if effort == "none":
        return  # no reasoning asked for: send nothing
    if style in ("budget", "adaptive") or (style == "fixed" and claude_body and thinking is not None):
        if not claude_body:
            raise unsupported(name, model_id, "Claude's thinking goes in the Messages (invoke) or Converse body.")
        if thinking is not None:
            params.thinking = thinking
        elif style == "budget":
            params.thinking = {"type": "enabled", "budget_tokens": THINKING_BUDGETS[effort]}
        else:
            params.thinking = {"type": "adaptive"}
            params.reasoning_effort = "low" if effort == "minimal" else effort
        _thinking_rules(params, model_id, cap, drop_params)
        return
    if style in ("effort", "nova") and effort is not None:
        if style == "nova" and family.FAMILY != "converse":
            raise unsupported(name, model_id, f"Nova 2 takes its reasoning settings on Converse: use bedrock/converse/{model_id}.")
        params.reasoning_effort = "low" if effort == "minimal" else effort
        return
    if drop_params:
        return
    hint = ("It always reasons and takes no setting for it." if style == "fixed"
            else "Use reasoning_effort for this model; thinking={...} is Claude's.")
    raise unsupported(name, model_id, hint)


def _thinking_rules(params: ChatParams, model_id: str, cap: Optional[int], drop_params: bool) -> None:
    """Anthropic's rules while Claude thinks, and room for the answer above the budget."""
    thinking = params.thinking or {}
    if thinking.get("type") == "disabled":
        return
    conflicts = []
    if params.temperature is not None and params.temperature != 1:
        conflicts.append(("temperature", "Claude takes no temperature but 1 while it thinks"))
    if params.top_p is not None and params.top_p < 0.95:
        conflicts.append(("top_p", "Claude takes a top_p of 0.95 to 1 while it thinks"))
    if "top_k" in params.extra:
        conflicts.append(("top_k", "Claude takes no top_k while it thinks"))
    forced = params.tool_choice == "required" or isinstance(params.tool_choice, dict)
    if forced:
        conflicts.append(("tool_choice", "Claude cannot be forced to call a tool while it thinks; use 'auto'"))
    for name, why in conflicts:
        if not drop_params:
            raise unsupported(name, model_id, why + " (or turn thinking off).")
        if name == "temperature":
            params.temperature = None
        elif name == "top_p":
            params.top_p = None
        elif name == "top_k":
            params.extra.pop("top_k")
        else:
            params.tool_choice = "auto"
    if params.response_format is not None:
        raise BadRequestError(
            f"response_format cannot be combined with thinking on {model_id}: litebed asks for JSON with a forced "
            "tool call, which Claude refuses while it thinks; turn thinking off, or ask for JSON in the prompt"
        )
    budget = thinking.get("budget_tokens")
    if isinstance(budget, int) and params.max_tokens <= budget:
        # Anthropic counts the budget inside max_tokens: keep the answer's room above it.
        room = params.max_tokens if params.max_tokens_given else DEFAULT_MAX_TOKENS
        wanted = budget + room
        if cap is not None and wanted > cap:
            if cap <= budget:
                raise BadRequestError(
                    f"thinking.budget_tokens: {budget} leaves no room for an answer within {model_id}'s maximum "
                    f"output of {cap} tokens; pass a smaller budget"
                )
            wanted = cap
        params.max_tokens = wanted


def check_conversation(messages: list[dict], params: ChatParams, family: Any, model_id: str) -> None:
    """While Claude thinks: no pre-fill, and the tool calls being answered keep their thinking blocks."""
    claude = family.FAMILY in _THINKING_FAMILIES and model_id.startswith("anthropic.")
    thinking_on = (params.thinking or {}).get("type") in ("enabled", "adaptive")
    if not claude or not (thinking_on or (params.thinking is None and _catalog_facts(model_id)[1] == "fixed")):
        return
    from .providers.prompt_parts import require_thinking_before_tools

    last = messages[-1] if messages else None
    if thinking_on and isinstance(last, dict) and last.get("role") == "assistant":
        raise BadRequestError(
            f"messages[{len(messages) - 1}]: {model_id} takes no pre-filled assistant answer while it thinks; "
            "end the conversation with a user or tool message, or turn thinking off"
        )
    require_thinking_before_tools(messages, model_id)
