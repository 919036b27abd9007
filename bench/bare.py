"""The floor of the page benchmarks: bare Django views on the same server, behind the same middleware.

`bench.bare` is a URLconf: the project's URLs plus
- /bench/bare/: a signed-in user gets a two-byte response (session, user and every middleware, no
  template, no query of its own);
- /bench/layout/: the site's layout (templates/base.html: navigation, the context processors' badges)
  with nothing in it — what every page pays before its own content.

Used by the benchmarks through `override_settings(ROOT_URLCONF="bench.bare")` (test client) and by the
load script's server (`DJANGO_ROOT_URLCONF=bench.bare`, bench/load/run.sh).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from suizhou_credit.urls import urlpatterns as project_urls


@login_required
def bare(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def layout(request):
    return render(request, "base.html", {})


urlpatterns = [path("bench/bare/", bare), path("bench/layout/", layout), *project_urls]
