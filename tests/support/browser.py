"""A real headless Chromium for the `browser` tests, driven by Playwright.

`browsing` fails (never skips) without Debian's chromium, counts every dialog an
injected script would open (the test fails if one did), keeps full-page screenshots
(copied to $WWABENCH_ARTIFACTS when set) and checks that each has something on it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Browsing:
    browser: Browser
    shots_dir: Path
    prefix: str
    shots: list[Path] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def page(self, viewport: ViewportSize) -> Page:
        """A new page whose dialogs are counted and dismissed."""
        page = self.browser.new_page(viewport=viewport)
        page.set_default_timeout(20_000)
        page.on("dialog", self._on_dialog)
        return page

    def shot(self, page: Page, name: str) -> None:
        path = self.shots_dir / f"{self.prefix}{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@contextmanager
def browsing(shots_dir: Path, what: str, prefix: str = "") -> Iterator[Browsing]:
    """Chromium for testing `what` (say, "the website"); its screenshots go to
    `shots_dir`, each name after `prefix`."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: {what} is tested in a real browser; install it with "
            "`sudo apt-get install chromium` (CI installs it)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        session = Browsing(browser, shots_dir, prefix)
        try:
            yield session
        finally:
            browser.close()
    assert session.dialogs == [], f"injected script ran: {session.dialogs}"
    artifacts = os.environ.get("WWABENCH_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        for path in session.shots:
            shutil.copy(path, Path(artifacts) / path.name)
    assert all(path.stat().st_size > 1000 for path in session.shots)
