"""Browser tests: Playwright for Python driving Debian's Chromium against a real server.

Playwright's own browser download is not reachable here, so the tests launch
``/usr/bin/chromium`` (``scripts/test`` installs it) with a fresh profile and the flags that
keep it off the network. Screenshots go to ``test-artifacts/console/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from tests.e2e.conftest import server  # a real `tidings serve` per module
from tests.server import ServerProcess

__all__ = ["server"]


CHROMIUM = os.environ.get("TIDINGS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
DESKTOP: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 390, "height": 844}


def launch(playwright: Playwright, user_data_dir: Path, **options: Any) -> BrowserContext:
    """A persistent Chromium context on a fresh profile."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; scripts/test installs it")
        pytest.skip(f"{CHROMIUM} is missing (scripts/test installs it)")
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=DESKTOP,
        **options,
    )


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def context(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    context = launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
    yield context
    context.close()


@pytest.fixture
def https_context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A second browser that accepts the development CA's certificate."""
    context = launch(playwright, tmp_path / "https-profile", ignore_https_errors=True)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, server: ServerProcess) -> Iterator[Page]:
    """A tab; uncaught exceptions and Content-Security-Policy violations fail the test."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    tab.on("console", on_console)
    yield tab
    tab.close()
    assert errors == [], errors


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
