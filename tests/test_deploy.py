"""The production configuration for real: gunicorn (deploy/gunicorn.conf.py) with DEBUG off behind
what nginx sends (X-Forwarded-Proto), static files collected and served by whitenoise."""

from __future__ import annotations

import subprocess

import pytest

from tests import factories
from tests.conftest import require_service
from tests.process_support import BIN, ROOT, Browser, environment, gunicorn, static_links


@pytest.fixture
def production(transactional_db, tmp_path, live_redis_url):
    static_root = tmp_path / "static"
    env = environment(live_redis_url, STATIC_ROOT=str(static_root), MEDIA_ROOT=str(tmp_path / "media"))
    # What an operator runs before starting the service (README: deployment).
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    env["SECURE_SSL_REDIRECT"] = "true"  # as in production: plain HTTP is sent to HTTPS
    web, port = gunicorn(env, tmp_path)
    yield port, web
    web.stop()


@pytest.fixture
def live_redis_url():
    import os

    url = os.environ.get("REDIS_URL", "")
    require_service("Redis (REDIS_URL)", bool(url))
    return url


@pytest.mark.celery
def test_gunicorn_serves_the_login_page_static_files_and_a_chinese_404(production):
    port, web = production
    factories.user("op_clerk", roles=("clerk",), companies=("city",), first_name="王敏")

    plain = Browser(port)
    status, _page, headers = plain.get("/accounts/login/")
    assert status == 301 and headers["Location"].startswith("https://")  # nginx's HTTP is redirected

    browser = Browser(port, behind_proxy=True)
    status, page, headers = browser.get("/accounts/login/")
    assert status == 200 and "登录" in page
    assert "Strict-Transport-Security" in headers  # HTTPS as the proxy reported it
    links = [link for link in static_links(page) if link.endswith(".css")]
    assert links and all(re_hashed(link) for link in links), links  # the manifest's hashed names
    status, css, headers = browser.get(links[0])
    assert status == 200 and headers["Content-Type"].startswith("text/css") and len(css) > 100
    assert "immutable" in headers.get("Cache-Control", "")

    status, page, _headers = browser.get("/no-such-page/")
    assert status == 404 and "页面不存在" in page
    assert "URLconf" not in page and "Traceback" not in page  # DEBUG is off: no technical page

    browser.login("op_clerk", "pw-op_clerk")
    status, page, _headers = browser.get("/dashboard/")
    assert status == 200 and "王敏" in page
    assert "Booting worker" in web.text()


def re_hashed(link: str) -> bool:
    import re

    return bool(re.search(r"\.[0-9a-f]{12}\.css$", link))
