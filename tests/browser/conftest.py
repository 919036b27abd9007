"""Playwright against Debian's Chromium and pytest-django's live server.

`playwright install` cannot download browsers here, so the launch points at
/usr/bin/chromium. The live server speaks plain HTTP and serves static files through
the staticfiles finders (like StaticLiveServerTestCase), so it uses the plain static
storage instead of the hashed manifest one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test.utils import override_settings
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the
# tests themselves are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

LIVE_SERVER_SETTINGS = {
    "SECURE_SSL_REDIRECT": False,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, started with HTTP-friendly settings and unhashed static URLs.

    The settings must be in place before the server thread builds its middleware chain.
    """
    override = override_settings(**LIVE_SERVER_SETTINGS)
    override.enable()
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr)
    yield server
    server.stop()
    override.disable()


@pytest.fixture(autouse=True)
def _static_storage_for_templates(settings):
    """Templates rendered in the live server use the same plain storage."""
    settings.STORAGES = LIVE_SERVER_SETTINGS["STORAGES"]


@pytest.fixture
def shot(page):
    """shot(name): a full-page screenshot to test-artifacts/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def log_in(page, base_url: str, username: str) -> None:
    """Log in through the login form (factories give every user the password pw-<username>)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/dashboard/")
