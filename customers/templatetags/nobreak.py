"""`{{ value|keep_runs }}`: the value, escaped, with each code or number (a run of Latin letters and
digits, with the - . , : / _ inside it, e.g. DN200-0115-0000-8877, 12,000.50) kept on one line.

CSS alone cannot stop a browser breaking a line at a hyphen inside a code; the history's long
values wrap between words and Chinese characters, never inside such a run.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,:/_-]*[A-Za-z0-9]")


@register.filter(is_safe=True)
def keep_runs(value) -> SafeString:
    text = str(value)
    out: list[str] = []
    last = 0
    for m in RUN.finditer(text):
        out.append(conditional_escape(text[last : m.start()]))
        run = m.group(0)
        out.append(format_html('<span class="text-nowrap">{}</span>', run) if re.search(r"[-.,:/_]", run) else run)
        last = m.end()
    out.append(conditional_escape(text[last:]))
    return mark_safe("".join(str(part) for part in out))
