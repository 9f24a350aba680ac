"""litebed's response objects validate as the openai package's own types (openai<3, test-only)."""

from openai.types import CreateEmbeddingResponse, ImagesResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from litebed.types import (
    ChatCompletionMessageToolCall,
    Choices,
    Delta,
    Embedding,
    EmbeddingResponse,
    EmbeddingUsage,
    Function,
    Image,
    ImageResponse,
    Message,
    ModelResponse,
    ModelResponseChunk,
    StreamingChoices,
    ToolCallDelta,
    ToolCallFunctionDelta,
    Usage,
)


def test_chat_completion_validates_as_openai():
    response = ModelResponse(
        model="bedrock/anthropic.claude-v2",
        choices=[
            Choices(
                index=0,
                message=Message(
                    content=None,
                    tool_calls=[ChatCompletionMessageToolCall(id="call_1", function=Function(name="f", arguments="{}"))],
                ),
                finish_reason="tool_calls",
                native_finish_reason="tool_use",
            )
        ],
        usage=Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7),
    )
    theirs = ChatCompletion.model_validate(response.model_dump())
    assert theirs.object == "chat.completion"
    assert theirs.choices[0].message.tool_calls[0].function.name == "f"
    assert theirs.usage.total_tokens == 7
    assert response["choices"][0]["message"]["tool_calls"][0]["id"] == "call_1"
    assert ChatCompletion.model_validate_json(response.model_dump_json()).id == response.id


def test_chunk_validates_as_openai():
    chunk = ModelResponseChunk(
        id="chatcmpl-1",
        created=1,
        model="m",
        choices=[
            StreamingChoices(
                index=0,
                delta=Delta(tool_calls=[
                    ToolCallDelta(index=0, id="c", type="function", function=ToolCallFunctionDelta(name="f", arguments="")),
                ]),
            )
        ],
    )
    theirs = ChatCompletionChunk.model_validate(chunk.model_dump())
    assert theirs.object == "chat.completion.chunk"
    usage = Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2)
    usage_chunk = ModelResponseChunk(id="x", created=1, model="m", choices=[], usage=usage)
    assert ChatCompletionChunk.model_validate(usage_chunk.model_dump()).usage.total_tokens == 2


def test_embedding_and_images_validate_as_openai():
    embeddings = EmbeddingResponse(
        data=[Embedding(index=0, embedding=[0.1, 0.2])], model="m", usage=EmbeddingUsage(prompt_tokens=2, total_tokens=2)
    )
    assert CreateEmbeddingResponse.model_validate(embeddings.model_dump()).data[0].embedding == [0.1, 0.2]
    images = ImageResponse(data=[Image(b64_json="aGk=")])
    assert ImagesResponse.model_validate(images.model_dump()).data[0].b64_json == "aGk="


def test_item_access_and_get():
    message = Message(content="hi")
    assert message["content"] == "hi" and message.get("refusal") is None and "content" in message
