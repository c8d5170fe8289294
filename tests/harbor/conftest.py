"""The Harbor tests share one cache of built roots per run (and across runs on one
machine: pytest's cache directory), so mmdebstrap runs once per Debian release. When
the checkout lies where the sandbox's uid may not enter (a clone in a private temporary
directory), the cache is /var/cache/wwabench/harbor-tests instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wwabench.harbor.rootfs import CACHE_ENV, ROOT_CACHE
from wwabench.sandbox.bwrap import closed_ancestor

HERE = Path(__file__).parent
TASKS = HERE / "tasks"
# The tasks' own tests are data for their verifiers (they test /srv/app inside a
# sandbox), not tests of wwabench.
collect_ignore = ["tasks", "unbuildable"]


@pytest.fixture(scope="session")
def harbor_cache(request: pytest.FixtureRequest) -> Iterator[Path]:
    cache = Path(request.config.cache.mkdir("harbor-roots"))
    if closed_ancestor(cache) is not None:
        cache = ROOT_CACHE.with_name("harbor-tests")
        cache.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(cache))
        yield cache
