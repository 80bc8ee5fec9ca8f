"""claim(): the check behind every sentence of the gallery."""

from __future__ import annotations

import pytest

import calhouse


def test_true_claim_passes() -> None:
    assert calhouse.claim(True, "always") is None


def test_false_claim_names_the_statement_and_values() -> None:
    with pytest.raises(
        calhouse.ClaimError, match=r"no longer true: top is MedInc \(top='Population'\)"
    ):
        calhouse.claim(False, "top is MedInc", top="Population")


def test_claim_error_is_an_assertion_error() -> None:
    assert issubclass(calhouse.ClaimError, AssertionError)
