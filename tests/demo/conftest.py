"""Fixtures for the demo, sample_certs and README tests: one sample PKI and one demo site per module."""

from __future__ import annotations

from typing import Iterator

import pytest

from esprobe.cli import main
from esprobe.demo import samples
from esprobe.demo.site import DemoSite


@pytest.fixture(scope="session")
def sample_pki() -> samples.SamplePki:
    return samples.build_sample_pki()


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite(main) as running:
        yield running
