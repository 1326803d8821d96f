"""A bounded fuzz run of every request decoder in CI (``LIGHTNING_SEQ_FUZZ_EXAMPLES`` inputs each, 120 by
default); ``python benchmarks/fuzz_requests.py`` runs longer and reports what it tried and found."""

import os

import pytest

from tests.deploy.fuzzing import DECODERS, run

EXAMPLES = int(os.environ.get("LIGHTNING_SEQ_FUZZ_EXAMPLES", "120"))


@pytest.mark.parametrize("decoder", DECODERS)
def test_every_request_is_answered_with_a_status_and_a_message_never_a_crash(decoder):
    report = run(decoder, EXAMPLES)
    assert not report.found, report.found
    assert report.tried >= EXAMPLES * 0.9, report
