"""Shared fixtures: the personas every access test runs as, and service checks.

Under CI=true a missing PostgreSQL or Redis is a failure, not a skip.
"""

from __future__ import annotations

import importlib
import os

import pytest
from pytest_django.plugin import blocking_manager_key

from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    if IN_CI:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            raise pytest.UsageError("CI=true but DATABASE_URL does not name PostgreSQL")
        if not os.environ.get("REDIS_URL"):
            raise pytest.UsageError("CI=true but REDIS_URL is not set")


def require_service(name: str, available: bool) -> None:
    """Skip a test that needs a service that is not there; fail instead under CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required under CI=true but is not available")
    pytest.skip(f"{name} not available")


def _recreate_migrated_data() -> None:
    """Run the data migrations again: role groups, the two companies, default supervision measures,
    the pledge templates, the credit checks' matters, the publicity occasions, the task force and key tasks."""
    from django.apps import apps

    importlib.import_module("customers.migrations.0002_roles_companies_trigram").create_roles_and_companies(apps, None)
    importlib.import_module("ratings.migrations.0002_default_measures").create_defaults(apps, None)
    importlib.import_module("pledges.migrations.0002_template_versions").create_templates(apps, None)
    importlib.import_module("reporting.migrations.0003_check_matters_service_center").create_matters_and_role(
        apps, None
    )
    importlib.import_module("reporting.migrations.0007_publicity_occasions").create_occasions(apps, None)
    importlib.import_module("reporting.migrations.0009_tracker_document").load_document(apps, None)


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return (
        "transactional_db" in fixtures or "live_server" in fixtures or bool(marker and marker.kwargs.get("transaction"))
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, put back what the data migration created.

    Such a test commits, so pytest-django empties every table afterwards; the tests that
    run after it (pytest does not always run them last) expect the groups and companies.
    """
    try:
        return (yield)
    finally:
        # After the last test the session's teardown has already dropped the test database.
        if nextitem is not None and _is_transactional(item):
            with item.session.config.stash[blocking_manager_key].unblock():
                _recreate_migrated_data()


@pytest.fixture(autouse=True)
def plain_http(settings):
    """Tests (and the live server for browser tests) speak plain HTTP on localhost.

    Production settings redirect to HTTPS and mark cookies secure whenever DEBUG is off.
    """
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Uploaded and generated files (pledge scans, batch PDFs) go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture
def eager_celery():
    """Run queued tasks in this process even when REDIS_URL is set (the worker tests cover Redis)."""
    from suizhou_credit.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def celery_worker_or_eager(transactional_db):
    """Tasks queued during the test really run: on a Celery worker through Redis when REDIS_URL
    is set (a solo-pool worker in this process), else eagerly as in a plain checkout."""
    from suizhou_credit.celery import app

    if not os.environ.get("REDIS_URL"):
        before = app.conf.task_always_eager
        app.conf.task_always_eager = True
        yield None
        app.conf.task_always_eager = before
        return
    import celery.contrib.testing.tasks  # noqa: F401  (the ping task start_worker checks with)
    from celery.contrib.testing.worker import start_worker

    app.conf.task_always_eager = False
    app.control.purge()  # messages left queued by earlier tests must not run against this database
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10) as worker:
        yield worker


@pytest.fixture
def clerk_city(db):
    return factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="城区客服")


@pytest.fixture
def clerk_county(db):
    return factories.user("clerk_county", roles=("clerk",), companies=("county",), first_name="随县客服")


@pytest.fixture
def supervisor(db):
    return factories.user("supervisor", roles=("supervisor",), companies=("city", "county"), first_name="主管")


@pytest.fixture
def supervisor_city(db):
    return factories.user("supervisor_city", roles=("supervisor",), companies=("city",))


@pytest.fixture
def service_center(db):
    """The group's 客户服务中心: both companies, reads and comments (issue 11)."""
    return factories.user("service_center", roles=("service_center",), companies=("city", "county"), first_name="肖翔")


@pytest.fixture
def city_customer(db):
    return factories.customer("city", name="随州市城区示范餐饮有限公司")


@pytest.fixture
def county_customer(db):
    return factories.customer("county", name="随县厉山镇示范食品厂")


@pytest.fixture
def login(client):
    """login(user) -> the test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run transactional tests (live server, real workers) last, after every other database test.

    pytest-django orders them so, but pytest then regroups tests by session-scoped parameters
    (pytest-playwright's browser_name), which can put a transactional test, and the flush
    that ends it, before ordinary tests that need the migrated roles and companies.
    """

    def transactional(item) -> bool:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", ())
        return bool(
            (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
            or "transactional_db" in names
            or "live_server" in names
        )

    items.sort(key=transactional)
