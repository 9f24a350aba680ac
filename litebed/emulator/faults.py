"""Which fault (if any) a runtime request gets, and how each error fault answers.

Precedence: the ``x-emulator-fault`` header, then the script (one entry per
runtime request), then the probabilities drawn from a seeded RNG.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Optional

#: every outcome a script entry or ``x-emulator-fault`` may name
FAULT_OUTCOMES = ("ok", "throttle", "error500", "error503", "timeout408", "reset", "truncate", "stream_exception")

#: error faults: outcome -> (HTTP status, error code, message)
ERROR_FAULTS = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "error500": (500, "InternalServerException", "The server encountered an internal error while processing the request."),
    "error503": (503, "ServiceUnavailableException", "The service is unavailable. Please try again later."),
    "timeout408": (408, "ModelTimeoutException", "The model took too long to respond. Please try again."),
}

#: the probability fields, in the order the single RNG draw is compared against them
PROBABILITY_FIELDS = ("throttle", "error500", "error503", "timeout408", "reset", "truncate", "stream_exception")

#: exception frames a ``stream_exception`` fault may send: lowerCamel member -> message
STREAM_EXCEPTIONS = {
    "throttlingException": "Too many requests, please wait before trying again.",
    "internalServerException": "The server encountered an internal error while processing the request.",
    "serviceUnavailableException": "The service is unavailable. Please try again later.",
    "modelStreamErrorException": "The model stream ended with an error.",
    "modelTimeoutException": "The model took too long to respond.",
    "validationException": "The model stream was rejected.",
}
DEFAULT_STREAM_EXCEPTION = "throttlingException"


class FaultPlan:
    """Chooses outcomes. Only the emulator's event-loop thread calls ``choose``."""

    def __init__(self, config) -> None:
        self.load(config)

    def load(self, config) -> None:
        """Take probabilities, script and seed from ``config`` (the RNG restarts)."""
        self.set_probabilities(config)
        self.script: deque[str] = deque(config.script)
        self.rng = random.Random(config.seed)

    def set_probabilities(self, config) -> None:
        """Take new probabilities, keeping the script and the RNG's position."""
        self.probabilities = tuple((name, float(getattr(config, name))) for name in PROBABILITY_FIELDS)

    def choose(self, forced: Optional[str]) -> str:
        """The outcome for one runtime request: ``"ok"`` or a fault name (maybe ``name:detail``)."""
        if forced:
            return forced
        if self.script:
            return self.script.popleft()
        if not any(p for _, p in self.probabilities):
            return "ok"
        draw = self.rng.random()
        for name, probability in self.probabilities:
            if draw < probability:
                return name
            draw -= probability
        return "ok"


def check_outcome(outcome: str) -> None:
    """Raise ValueError unless ``outcome`` is a known outcome (``stream_exception:member`` allowed)."""
    if outcome.split(":", 1)[0] not in FAULT_OUTCOMES:
        raise ValueError(f"unknown fault outcome {outcome!r}; expected one of {', '.join(FAULT_OUTCOMES)}")


def stream_exception_member(outcome: str) -> str:
    """``stream_exception[:member]`` -> the exception frame's member name."""
    _, _, member = outcome.partition(":")
    return member if member in STREAM_EXCEPTIONS else DEFAULT_STREAM_EXCEPTION
