"""How a user's or a job's bytes are served: the one place that decides it.

A file a user uploaded (or a job wrote from user input) comes from our own origin. Served
inline as HTML, SVG, XML with XHTML in it or JavaScript, it would run as the page of whoever
opens the link, with their session; our own page CSP (``script-src 'self'``) would even let
an injected ``<script src="/files/signed/…">`` load it. So every such response is built
here, and:

- only types a browser shows without running anything go inline, under a type we choose
  (FITS, VOTable, plain text for text and CSV, JSON, PNG, JPEG); everything else is
  ``application/octet-stream`` as an attachment;
- every response says ``nosniff`` (the browser keeps that type and loads none of it as a
  script or stylesheet) and carries a CSP of its own, ``sandbox`` and ``default-src 'none'``:
  whatever the browser makes of the bytes has an opaque origin and may load nothing;
- HTML that jobs write (Bokeh plots: services/project.py, services/learning/plots.py) is
  shown inline where its caller asks for it, in a sandbox that lets its inline scripts draw
  the plot but gives them an opaque origin: no cookies, no access to our pages, no network.
"""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse

OCTET_STREAM = "application/octet-stream"
# declared type -> the type it is served inline with
INLINE_TYPES = {
    "application/fits": "application/fits",
    "image/fits": "application/fits",
    "application/x-votable+xml": "application/x-votable+xml",
    "text/plain": "text/plain; charset=utf-8",
    "text/csv": "text/plain; charset=utf-8",
    "text/tab-separated-values": "text/plain; charset=utf-8",
    "application/json": "application/json",
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
}
HTML = "text/html"
# Nothing may run and nothing may load: the bytes are shown, never executed.
INERT_CSP = "sandbox; default-src 'none'"
# Bokeh's standalone HTML (INLINE resources): its inline scripts and styles run, in an
# opaque origin (sandbox without allow-same-origin) that may fetch nothing. Each allowance
# is one Chromium showed missing: regl, Bokeh's WebGL layer, compiles its draw calls with
# Function() ('unsafe-eval'; in this sandbox it reaches nothing the plot's own script could
# not); the toolbar icons are data: images; the "save" tool asks for a file name (a modal)
# and then downloads the PNG.
SANDBOXED_HTML_CSP = (
    "sandbox allow-scripts allow-modals allow-downloads; default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:"
)


def content_response(
    path: Path,
    media_type: str,
    *,
    filename: str | None = None,
    attachment: bool = False,
    sandboxed_html: bool = False,
) -> FileResponse:
    """The response that serves the file at ``path``, declared as ``media_type``.

    ``attachment`` asks for a download whatever the type; ``sandboxed_html`` lets HTML be
    shown inline in the sandbox above (for what jobs wrote, never for uploads).
    """
    declared = media_type.split(";", 1)[0].strip().lower()
    csp = INERT_CSP
    if declared in INLINE_TYPES:
        served = INLINE_TYPES[declared]
    elif declared == HTML and sandboxed_html:
        served, csp = "text/html; charset=utf-8", SANDBOXED_HTML_CSP
    else:
        served, attachment = OCTET_STREAM, True
    response = FileResponse(
        path.open("rb"),
        content_type=served,
        as_attachment=attachment,
        filename=filename or path.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    return response
