"""OpenAI messages -> Converse ``system`` texts and ``messages`` blocks (docs/bedrock.md §6.1).

Text, images and documents (through :mod:`litebed._media`), tool calls as
``toolUse`` and tool messages as ``toolResult``; same-role turns merged; tool
results checked against the calls they answer; with ``modify_params``, a
minimal user turn inserted where Bedrock requires one.
"""

from __future__ import annotations

import json
from typing import Any

from .. import _media as media
from ..errors import BadRequestError
from .prompt_parts import cache_marker, cache_point, converse_reasoning_block
from .requests import check_messages, content_text, content_texts, json_arguments

#: The text of the user turn ``modify_params=True`` inserts where Bedrock needs one.
PLACEHOLDER_USER_TEXT = "."

def conversation(messages: list[dict], *, thinking_blocks: bool = False) -> tuple[list[dict], list[dict]]:
    """OpenAI messages -> (system blocks, Converse messages with same-role runs merged).

    System blocks are ``{"text"}`` and ``{"cachePoint"}``; each ``cache_control`` marker
    becomes a ``cachePoint`` after what it marks. With ``thinking_blocks`` (Claude), an
    assistant message's thinking blocks lead its content as ``reasoningContent``.
    """
    check_messages(messages)
    system: list[dict] = []
    turns: list[dict] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        where = f"messages[{i}]"
        if role in ("system", "developer"):
            system.extend(_system_blocks(message.get("content"), where))
            if system and "text" in system[-1] and (marker := cache_marker(message, where)):
                system.append(cache_point(marker))
            continue
        if role == "user":
            blocks = _user_blocks(message.get("content"), where)
        elif role == "assistant":
            blocks = _assistant_blocks(message, where)
            if thinking_blocks and blocks and message.get("thinking_blocks"):
                blocks[:0] = [converse_reasoning_block(block) for block in message["thinking_blocks"]]
        elif role == "tool":
            blocks, role = [_tool_result(message, where)], "user"
        else:
            raise BadRequestError(f"{where}.role {role!r} is not one of system, developer, user, assistant, tool")
        if not blocks:
            continue  # an empty message says nothing; skipping it keeps the turns valid
        if marker := cache_marker(message, where):
            blocks.append(cache_point(marker))
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks, "_index": i})
    return system, turns


def _system_blocks(content: Any, where: str) -> list[dict]:
    """One system block per text part (parts are never glued into one word), with cache points."""
    texts = content_texts(content, argument=f"{where}.content")
    parts = content if isinstance(content, list) else [None] * len(texts)
    blocks: list[dict] = []
    for k, (text, part) in enumerate(zip(texts, parts, strict=True)):
        if text.strip():
            blocks.append({"text": text})
            if marker := cache_marker(part, f"{where}.content[{k}]"):
                blocks.append(cache_point(marker))
    return blocks


def _user_blocks(content: Any, where: str) -> list[dict]:
    if content is None or isinstance(content, str):
        return [{"text": content}] if content and content.strip() else []
    if not isinstance(content, list):
        raise BadRequestError(f"{where}.content must be a string, a list of parts or None")
    blocks: list[dict] = []
    names: set[str] = set()
    for k, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        argument = f"{where}.content[{k}]"
        if isinstance(part, str) or kind == "text":
            text = part if isinstance(part, str) else str(part.get("text") or "")
            if text.strip():
                blocks.append({"text": text})
        elif kind == "image_url":
            url = part.get("image_url")
            image = media.load_image(url.get("url") if isinstance(url, dict) else url, argument=argument)
            blocks.append({"image": {"format": image.format, "source": {"bytes": image.base64}}})
        elif kind == "file":
            file = part.get("file") if isinstance(part.get("file"), dict) else {}
            if "file_id" in file and "file_data" not in file:
                raise BadRequestError(f"{argument}: file_id uploads do not exist on Bedrock; pass file.file_data")
            document = media.load_document(file.get("file_data"), file.get("filename"), argument=argument)
            name = media.document_name(file.get("filename"), taken=names, fallback=f"document {len(names) + 1}")
            blocks.append({"document": {"format": document.format, "name": name, "source": {"bytes": document.base64}}})
        else:
            raise BadRequestError(f"{argument}: a content part of type {kind!r} cannot be sent to Bedrock")
        if blocks and (marker := cache_marker(part, argument)):
            blocks.append(cache_point(marker))
    return blocks


def _assistant_blocks(message: dict, where: str) -> list[dict]:
    content = message.get("content")
    # One text block per part: parts are never glued into one word.
    blocks: list[dict] = []
    if isinstance(content, list):
        for k, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in ("text", "refusal"):
                raise BadRequestError(f"{where}.content[{k}]: an assistant message can only hold text parts on Bedrock")
            text = str(part.get(kind) or "")
            if text.strip():
                blocks.append({"text": text})
                if marker := cache_marker(part, f"{where}.content[{k}]"):
                    blocks.append(cache_point(marker))
    elif isinstance(content, str):
        if content.strip():
            blocks.append({"text": content})
    elif content is not None:
        raise BadRequestError(f"{where}.content must be a string, a list of parts or None")
    for j, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not call.get("id") or not function.get("name"):
            raise BadRequestError(f"{where}.tool_calls[{j}] needs an id and a function name")
        arguments = json_arguments(function.get("arguments"), argument=f"{where}.tool_calls[{j}].function")
        blocks.append({"toolUse": {"toolUseId": call["id"], "name": function["name"], "input": arguments}})
    return blocks


def _tool_result(message: dict, where: str) -> dict:
    call_id = message.get("tool_call_id")
    if not call_id:
        raise BadRequestError(f"{where}: a tool message needs a tool_call_id")
    text = content_text(message.get("content"), argument=f"{where}.content")
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    result = [{"json": value}] if isinstance(value, dict) else [{"text": text}]
    return {"toolResult": {"toolUseId": call_id, "content": result}}


def block_kind(block: dict) -> str:
    return next(iter(block))


def check_tool_pairs(turns: list[dict]) -> None:
    """Each toolResult answers a toolUse of the message before; each toolUse is answered."""
    for position, turn in enumerate(turns):
        asked = [b["toolUse"]["toolUseId"] for b in turn["content"] if "toolUse" in b]
        answered = [b["toolResult"]["toolUseId"] for b in turn["content"] if "toolResult" in b]
        previous = turns[position - 1]["content"] if position else []
        offered = {b["toolUse"]["toolUseId"] for b in previous if "toolUse" in b}
        for call_id in answered:
            if call_id not in offered:
                raise BadRequestError(
                    f"messages[{turn['_index']}]: tool result for {call_id!r} does not answer a tool call "
                    "of the assistant message before it"
                )
        if asked and position + 1 < len(turns):
            following = {b["toolResult"]["toolUseId"] for b in turns[position + 1]["content"] if "toolResult" in b}
            missing = [c for c in asked if c not in following]
            if missing:
                raise BadRequestError(f"messages[{turn['_index']}]: tool calls {missing} have no tool message answering them")


def repair(turns: list[dict], modify: bool) -> list[dict]:
    """Enforce Bedrock's shape rules: start with a user turn, text beside documents.

    With ``modify=False`` a violation raises ``BadRequestError``; with True the
    minimal fix (a ``PLACEHOLDER_USER_TEXT`` block) is inserted.
    """
    if not turns or turns[0]["role"] != "user":
        if not modify:
            where = f"messages[{turns[0]['_index']}] is an assistant message" if turns else "messages hold no user message"
            raise BadRequestError(
                f"Bedrock needs the conversation to start with a user message, but {where}; "
                "pass modify_params=True to insert a minimal user turn"
            )
        turns.insert(0, {"role": "user", "content": [{"text": PLACEHOLDER_USER_TEXT}], "_index": 0})
    for turn in turns:
        blocks = turn["content"]
        if any("document" in b for b in blocks) and not any("text" in b for b in blocks):
            if not modify:
                raise BadRequestError(
                    f"messages[{turn['_index']}]: Bedrock needs a text part next to a document; "
                    "add one, or pass modify_params=True to insert a minimal one"
                )
            blocks.append({"text": PLACEHOLDER_USER_TEXT})
    last = turns[-1]
    if last["role"] == "assistant" and "text" in last["content"][-1]:
        # A pre-fill: Bedrock's Claude refuses one ending in whitespace.
        last["content"][-1]["text"] = last["content"][-1]["text"].rstrip()
    for turn in turns:
        turn.pop("_index", None)
    return turns
