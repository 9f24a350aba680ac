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
