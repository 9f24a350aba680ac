"""Every error code of the bedrock-runtime service model maps to an OpenAI-named class."""

import pytest

import litebed
from litebed.errors import BEDROCK_CODE_TO_CLASS, error_from_bedrock, normalize_code


def _runtime_error_shapes():
    from botocore.loaders import Loader

    model = Loader().load_service_model("bedrock-runtime", "service-2")
    for name, shape in model["shapes"].items():
        if shape.get("exception"):
            yield name, shape.get("error", {}).get("httpStatusCode")


EXPECTED = {
    "AccessDeniedException": litebed.PermissionDeniedError,
    "ResourceNotFoundException": litebed.NotFoundError,
    "ValidationException": litebed.BadRequestError,
    "ThrottlingException": litebed.RateLimitError,
    "ServiceQuotaExceededException": litebed.BadRequestError,
    "ModelNotReadyException": litebed.RateLimitError,
    "ModelTimeoutException": litebed.APITimeoutError,
    "ModelErrorException": litebed.InternalServerError,
    "ModelStreamErrorException": litebed.InternalServerError,
    "InternalServerException": litebed.InternalServerError,
    "ServiceUnavailableException": litebed.ServiceUnavailableError,
    "ConflictException": litebed.BadRequestError,
}


@pytest.mark.parametrize("code,status", list(_runtime_error_shapes()))
def test_every_service_model_error_maps(code, status):
    assert code in BEDROCK_CODE_TO_CLASS, f"{code} missing from the table"
    error = error_from_bedrock(status, code, "boom")
    assert isinstance(error, EXPECTED[code])
    assert error.bedrock_code == code
    assert error.message == "boom"
    assert error.status_code == (status if code != "ModelTimeoutException" else 408)


def test_a_500_stays_500_and_unknown_5xx_is_internal():
    assert error_from_bedrock(500, "InternalServerException", "x").status_code == 500
    err = error_from_bedrock(502, None, "bad gateway")
    assert isinstance(err, litebed.InternalServerError) and err.status_code == 502


def test_status_fallback_for_unknown_codes():
    assert isinstance(error_from_bedrock(401, "Weird", "x"), litebed.AuthenticationError)
    assert isinstance(error_from_bedrock(404, None, "x"), litebed.NotFoundError)
    assert isinstance(error_from_bedrock(429, None, "x"), litebed.RateLimitError)


def test_context_window_is_a_bad_request_subclass():
    err = error_from_bedrock(400, "ValidationException", "Input is too long for requested model.")
    assert isinstance(err, litebed.ContextWindowExceededError)
    assert isinstance(err, litebed.BadRequestError)


def test_code_normalisation_matches_botocore():
    assert normalize_code("ValidationException:http://internal.amazon.com/") == "ValidationException"
    assert normalize_code("com.amazon.coral.service#ThrottlingException") == "ThrottlingException"


def test_hierarchy_matches_openai_shape():
    assert issubclass(litebed.APITimeoutError, litebed.APIConnectionError)
    assert issubclass(litebed.UnsupportedParamsError, litebed.BadRequestError)
    assert issubclass(litebed.RateLimitError, litebed.APIStatusError)
    err = litebed.RateLimitError("slow down", bedrock_code="ThrottlingException")
    assert err.status_code == 429 and err.code == "ThrottlingException"
    assert "slow down" in str(err)
