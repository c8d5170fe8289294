"""The Harbor tests share one cache of built roots per run (and across runs on one
machine: pytest's cache directory), so mmdebstrap runs once per Debian release."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wwabench.harbor.rootfs import CACHE_ENV

HERE = Path(__file__).parent
TASKS = HERE / "tasks"
# The tasks' own tests are data for their verifiers (they test /srv/app inside a
# sandbox), not tests of wwabench.
collect_ignore = ["tasks", "unbuildable"]


@pytest.fixture(scope="session")
def harbor_cache(request: pytest.FixtureRequest) -> Iterator[Path]:
    cache = Path(request.config.cache.mkdir("harbor-roots"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(cache))
        yield cache
