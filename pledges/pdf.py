"""The WeasyPrint renderer, moved down to `customers.pdf` (the credit file's PDF needs it too, and
`customers` imports no app above it); re-exported here for the apps that print through `pledges.pdf`."""

from customers.pdf import (  # noqa: F401
    PDF_FONT_FAMILY,
    combine,
    font_configuration,
    render_document,
    render_html,
    render_pdf,
)
