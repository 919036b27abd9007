"""PDFs from HTML templates with WeasyPrint: A4, the Chinese font named explicitly and embedded.

`render_pdf(template_name, context)` renders a Django template (one extending
`templates/pdf/base.html`) and returns the PDF bytes. `render_documents` returns WeasyPrint
documents so a batch can be rendered in chunks and its pages combined into one PDF
(`combine`). One `FontConfiguration` is shared by the process, so fonts are loaded once.

The ground floor's, so that every app (the credit file, pledges, repair, reporting) prints the same way;
`pledges.pdf` re-exports it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string

# The family the PDF CSS names (templates/pdf/base.html); from Debian's fonts-wqy-microhei,
# which `make install` puts in place. A generic `sans-serif` would pick whatever is installed.
PDF_FONT_FAMILY = "WenQuanYi Micro Hei"

_fonts_lock = threading.Lock()
_font_config = None


def font_configuration():
    """The process-wide WeasyPrint FontConfiguration (created on first use)."""
    global _font_config
    if _font_config is None:
        with _fonts_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
    return _font_config


def _base_url() -> str:
    return str(settings.BASE_DIR)


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, {"pdf_font_family": PDF_FONT_FAMILY, **context})


def render_document(template_name: str, context: dict):
    """A laid-out WeasyPrint document (pages) for the template."""
    from weasyprint import HTML

    html = render_html(template_name, context)
    return HTML(string=html, base_url=_base_url()).render(font_config=font_configuration())


def render_pdf(template_name: str, context: dict) -> bytes:
    """The PDF bytes of `template_name` rendered with `context`."""
    return render_document(template_name, context).write_pdf()


def combine(documents: Iterable) -> bytes:
    """One PDF with the pages of every document, in order."""
    docs = list(documents)
    if not docs:
        raise ValueError("nothing to combine")
    pages = [page for doc in docs for page in doc.pages]
    return docs[0].copy(pages).write_pdf()
