"""The project's set-up: deploy checks are clean, migrations are complete, and a bare checkout
boots on SQLite with eager tasks. Each runs manage.py in a subprocess with its own environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG_VARS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")


def run(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    environ = dict(os.environ)
    # Set by the browser tests for Playwright's event loop; never part of a deployment.
    environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for name in unset:
        environ.pop(name, None)
        environ.pop(f"{name}_FILE", None)
    environ.update(env or {})
    environ.setdefault("DJANGO_SETTINGS_MODULE", "suizhou_credit.settings")
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=120
    )


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "credit.suizhou-water.example",
        "CSRF_TRUSTED_ORIGINS": "https://credit.suizhou-water.example",
        **extra,
    }


def test_check_deploy_is_clean_in_production_configuration():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


def test_check_deploy_flags_the_development_key():
    """The fallback key only serves a checkout: production must set its own."""
    result = run("manage.py", "check", "--deploy", env={"DEBUG": "false"}, unset=("SECRET_KEY",))
    assert "security.W009" in result.stdout + result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key = secrets.token_urlsafe(64)
    (tmp_path / "secret").write_text(key + "\n")
    env = production_env(SECRET_KEY_FILE=str(tmp_path / "secret"))
    del env["SECRET_KEY"]
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    result = run("-c", code, env=env, unset=("SECRET_KEY",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_bad_boolean_fails_loudly():
    result = run("manage.py", "check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_migrations_are_complete(tmp_path):
    """`makemigrations --check` finds no model change without a migration."""
    result = run(
        "manage.py",
        "makemigrations",
        "--check",
        "--dry-run",
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_boots_on_sqlite_with_eager_tasks_when_nothing_is_configured():
    result = run("manage.py", "check", unset=CONFIG_VARS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG, s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    result = run("-c", code, unset=CONFIG_VARS)
    assert result.returncode == 0, result.stderr
    engine, name, eager, debug, language, tz = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert Path(name) == BASE_DIR / "db.sqlite3"
    assert (eager, debug, language, tz) == ("True", "False", "zh-hans", "Asia/Shanghai")


def test_postgresql_and_redis_urls_are_honoured():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CELERY_BROKER_URL)"
    )
    env = {"DATABASE_URL": "postgres://credit@db.internal:5432/credit", "REDIS_URL": "redis://cache.internal:6379/1"}
    result = run("-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "credit",
        "db.internal",
        "False",
        "redis://cache.internal:6379/1",
    ]


@pytest.mark.parametrize("path", ["Makefile", ".ci/run", "requirements.txt", "README.md"])
def test_setup_files_exist(path):
    assert (BASE_DIR / path).is_file()


def test_makefile_runs_and_tests_first():
    """`make run` and `make test` are the first targets, and both do the whole set-up."""
    targets = [
        line.split(":")[0]
        for line in (BASE_DIR / "Makefile").read_text().splitlines()
        if line and not line[0].isspace() and ":" in line and not line.startswith(("#", ".")) and "=" not in line
    ]
    assert targets[:2] == ["run", "test"]
    text = (BASE_DIR / "Makefile").read_text()
    assert "run: install" in text and "test: install" in text
