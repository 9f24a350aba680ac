"""Every chat family module satisfies the typed ChatFamily interface."""

import importlib
import inspect

import pytest

from litebed.providers import CHAT_FAMILIES
from litebed.providers.base import ChatFamily

MODULES = sorted({name for _, name in CHAT_FAMILIES} | {"converse"})
FUNCTIONS = ("supported_params", "stream_tools_supported", "build_request", "parse_response", "parse_stream_event", "map_stop_reason")


@pytest.mark.parametrize("name", MODULES)
def test_family_module_satisfies_the_protocol(name):
    module = importlib.import_module(f"litebed.providers.{name}")
    assert isinstance(module, ChatFamily)
    assert isinstance(module.FAMILY, str) and module.FAMILY
    assert isinstance(module.SUPPORTED_PARAMS, frozenset)
    for flag in ("NATIVE_N", "NATIVE_N_STREAM", "NATIVE_STOP", "STREAMING"):
        assert isinstance(getattr(module, flag), bool), flag
    for function in FUNCTIONS:
        assert callable(getattr(module, function)), function
    assert module.supported_params("x") <= module.SUPPORTED_PARAMS | {"seed"}
    assert isinstance(module.stream_tools_supported("x"), bool)
    if hasattr(module, "__all__"):  # type checkers only see the members a module exports
        assert set(FUNCTIONS) | set(ChatFamily.__annotations__) <= set(module.__all__)


def test_protocol_lists_exactly_what_litebed_uses():
    members = {name for name, _ in inspect.getmembers(ChatFamily) if not name.startswith("_")}
    assert set(FUNCTIONS) <= members
    constants = set(ChatFamily.__annotations__) | {n for n, v in vars(ChatFamily).items() if isinstance(v, property)}
    assert constants == {"FAMILY", "SUPPORTED_PARAMS", "PROVIDER_PARAMS", "NATIVE_N", "NATIVE_N_STREAM", "NATIVE_STOP", "STREAMING"}


def test_a_module_missing_a_function_does_not_satisfy_it():
    import types

    fake = types.ModuleType("fake")
    fake.FAMILY, fake.SUPPORTED_PARAMS, fake.PROVIDER_PARAMS = "fake", frozenset(), frozenset()
    fake.NATIVE_N = fake.NATIVE_N_STREAM = fake.NATIVE_STOP = fake.STREAMING = False
    assert not isinstance(fake, ChatFamily)
