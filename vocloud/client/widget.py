"""The labelling panel of the portal in JupyterLab or Notebook, on a session of the platform.

The widget shows the portal's own panel: the platform renders it (``GET
/labelling/<session>/rounds/<n>/widget/``: the panel's HTML, the Bokeh figures and the
config), and the front end (``assets/widget.js``) runs the platform's own page scripts,
``static/labelling/label.js`` and its helpers, fetched from the platform's static files
by this kernel, so BokehJS is the platform's version and nothing is loaded from elsewhere.
The page script's requests (label, undo, spectrum, thumbnails, references, SAMP links) come
back here as messages; the kernel checks that each is one of this session's panel endpoints
and sends it on with the user's API token. Labels are thus stored as they are made.

>>> from vocloud.client import Client
>>> from vocloud.client.widget import LabelWidget
>>> panel = LabelWidget(Client(), session_id=3)   # the newest ready round
>>> panel                                          # lasso, press 1-9, ...
>>> panel.selected                                 # paths of the points selected now
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anywidget
import traitlets

from vocloud.client.http import Client, VocloudError

ASSETS = Path(__file__).parent / "assets"

#: The page endpoints a panel may call, by config key: method and the query it may carry.
ENDPOINTS: dict[str, tuple[str, frozenset[str]]] = {
    "labelsUrl": ("POST", frozenset()),
    "undoUrl": ("POST", frozenset()),
    "fileLinksUrl": ("POST", frozenset()),
    "referencesUrl": ("GET", frozenset()),
    "sampUrl": ("GET", frozenset()),
    "spectrumUrl": ("GET", frozenset({"rank"})),
    "thumbnailsUrl": ("GET", frozenset({"ranks"})),
}

#: What the front end gets of the platform's answer (views.widget).
PANEL_KEYS = ("html", "script", "config", "counts", "performance", "bokeh", "icon")

#: Static files already fetched, by absolute URL: one download per kernel.
_static_cache: dict[str, str] = {}


class LabelWidget(anywidget.AnyWidget):
    """Label the spectra of a labelling round, in the notebook, as on the portal's page.

    Parameters
    ----------
    client : Client
        The connection to the platform, as the session's owner.
    session_id : int
        The labelling session.
    round : int, optional
        The round whose projected sample is shown; the newest ready round if not given.

    Attributes
    ----------
    selected : list of str
        Paths of the spectra selected in the plot (lasso, box), kept up to date.
    """

    _esm = (ASSETS / "widget.js").read_text(encoding="utf-8")
    _css = (ASSETS / "widget.css").read_text(encoding="utf-8")

    _panel = traitlets.Dict().tag(sync=True)
    _scripts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _styles = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, client: Client, session_id: int, round: int | None = None, **kwargs: Any):
        self.client = client
        self.session_id = int(session_id)
        where = f"/labelling/{self.session_id}/"
        where += "widget/" if round is None else f"rounds/{int(round)}/widget/"
        panel = client.get_json(where)
        self.round = int(panel["config"]["round"])
        super().__init__(
            _panel={key: panel[key] for key in PANEL_KEYS},
            _scripts=[self._static(url) for url in panel["scripts"]],
            _styles=[self._static(url) for url in panel["styles"]],
            **kwargs,
        )
        self.on_msg(self._on_message)

    def __repr__(self) -> str:
        return f"LabelWidget(session {self.session_id}, round {self.round})"

    def _static(self, url: str) -> str:
        absolute = self.client.absolute(url)
        if absolute not in _static_cache:
            _static_cache[absolute] = self.client.request("GET", url).text
        return _static_cache[absolute]

    def _on_message(self, _widget: Any, content: dict, _buffers: list) -> None:
        if not isinstance(content, dict) or content.get("type") != "request":
            return
        status, data = self.forward(
            str(content.get("method", "")), str(content.get("url", "")), content.get("body")
        )
        self.send({"type": "response", "id": content.get("id"), "status": status, "data": data})

    def forward(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        """Send one of the panel's requests to the platform: (HTTP status, JSON answer).

        Only this session's panel endpoints are called (``allowed``); anything else is
        answered with status 403 and never reaches the network. A JSON object is sent as
        JSON, a list of ``[name, value]`` pairs as a form (the SAMP links).
        """
        refusal = self.refusal(method, url)
        if refusal:
            return 403, {"error": refusal}
        kwargs: dict[str, Any] = {}
        if method == "POST":
            if isinstance(body, list):
                kwargs["data"] = [(str(k), str(v)) for k, v in body]
            else:
                kwargs["json"] = body if body is not None else {}
        try:
            response = self.client.request(method, url, **kwargs)
            return response.status_code, response.json()
        except VocloudError as exc:
            return exc.status or 502, {"error": str(exc)}
        except ValueError:
            return 502, {"error": "The platform's answer was not JSON."}

    def refusal(self, method: str, url: str) -> str:
        """Why the panel may not send ``method url``, or "" when it may."""
        parts = urlsplit(url)
        config = self._panel["config"]
        for key, (wanted_method, query_keys) in ENDPOINTS.items():
            if parts.path != config.get(key) or parts.scheme or parts.netloc or parts.fragment:
                continue
            if method != wanted_method:
                return f"{url} takes {wanted_method}, not {method}."
            query = parse_qsl(parts.query, keep_blank_values=True)
            if any(name not in query_keys for name, _ in query):
                return f"{url} takes no such query."
            return ""
        return f"The labelling widget calls only its own session's endpoints, not {url}."
