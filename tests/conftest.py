"""Shared test configuration: hypothesis profiles chosen by HYPOTHESIS_PROFILE (dev: fast, ci:
thorough), and the local Dask cluster of the scale-out tests."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from alvh.scale.cluster import cluster

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """One 2-worker local Dask cluster (alvh.scale.cluster) shared by the tests that need one: a
    cluster takes a second or two to start. A test that kills a worker leaves it to its nanny,
    which starts a new one; such a test waits for both workers before it ends."""
    pytest.importorskip("distributed")
    with cluster(workers=2) as client:
        yield client
