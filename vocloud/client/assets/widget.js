/* The labelling widget's front end (anywidget): the portal's labelling panel in a notebook.
 *
 * The kernel (vocloud/client/widget.py) hands over, as model traits:
 *   _panel    {html, script, config, counts, performance, bokeh, icon}: the platform's panel
 *             (templates/labelling/_panel.html, rendered and escaped by Django), the Bokeh
 *             figures' embedding script, and label.js's config
 *   _scripts  the platform's page scripts, in order: BokehJS, sampjs, the SAMP bridge,
 *             lines.js, label-samp.js, label.js (run once per browser page)
 *   _styles   the platform's label.css
 * and this file wires them as the page does: window.vocloudLabel.start(...), with a transport
 * that asks the kernel to send each request (the kernel holds the API token and checks
 * the URL), and the keys listened for on the widget only.
 */

const LOADED = "vocloudLabelScripts"; // window[LOADED]: the Bokeh version the scripts are of

function addStyles(styles) {
  styles.forEach((text, i) => {
    const id = `vocloud-label-style-${i}`;
    if (document.getElementById(id)) return;
    const style = document.createElement("style");
    style.id = id;
    style.textContent = text;
    document.head.append(style);
  });
}

// Classic scripts, run in order in the page's global scope (as <script> tags on the page).
function addScripts(scripts, panel) {
  if (window[LOADED]) {
    if (window[LOADED] !== panel.bokeh) {
      throw new Error(`This page has BokehJS ${window[LOADED]} already; reload it to show a panel of a platform with Bokeh ${panel.bokeh}.`);
    }
    return;
  }
  if (window.Bokeh && window.Bokeh.version !== panel.bokeh) {
    throw new Error(`This page has BokehJS ${window.Bokeh.version}, the platform draws with Bokeh ${panel.bokeh}: restart the kernel and reload the page without the other Bokeh output.`);
  }
  for (const text of scripts) {
    const script = document.createElement("script");
    script.dataset.icon = panel.icon; // the SAMP bridge's icon for the hub: the platform's
    script.textContent = text;
    document.head.append(script);
  }
  window[LOADED] = panel.bokeh;
}

function until(test, what, timeoutMs = 30000) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    (function poll() {
      const value = test();
      if (value) { resolve(value); return; }
      if (performance.now() - started > timeoutMs) { reject(new Error(`${what} did not happen in ${timeoutMs / 1000} s.`)); return; }
      setTimeout(poll, 50);
    })();
  });
}

// The kernel sends the panel's requests: each gets an id, and its answer comes back as
// {type: "response", id, status, data}.
function kernelTransport(model) {
  const waiting = new Map();
  let next = 0;
  model.on("msg:custom", (message) => {
    if (!message || message.type !== "response" || !waiting.has(message.id)) return;
    const { resolve, reject } = waiting.get(message.id);
    waiting.delete(message.id);
    const data = message.data || {};
    if (message.status >= 200 && message.status < 300) resolve(data);
    else reject(new Error(data.error || `HTTP ${message.status}`));
  });
  function ask(method, url, body) {
    const id = ++next;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      model.send({ type: "request", id, method, url, body: body === undefined ? null : body });
    });
  }
  return {
    post: (url, body) => ask("POST", url, body),
    postForm: (url, fields) => ask("POST", url, fields),
    get: (url) => ask("GET", url),
  };
}

async function render({ model, el }) {
  const panel = model.get("_panel");
  const root = document.createElement("div");
  root.className = "vocloud-label";
  root.tabIndex = 0; // clicks on the plot focus the panel: its keys are the panel's
  // The plot's canvas takes no focus (Bokeh cancels the pointer's default): a click or a
  // lasso there gives the panel the focus, so the next key is the panel's, not the notebook's.
  root.addEventListener("pointerdown", (event) => {
    if (!event.target.closest("input, select, textarea, button, a")) root.focus({ preventScroll: true });
  }, true);
  const note = document.createElement("p");
  note.className = "muted";
  note.textContent = "Loading the labelling panel…";
  el.append(root, note);
  try {
    addStyles(model.get("_styles"));
    addScripts(model.get("_scripts"), panel);
    // Django rendered and escaped the panel (every user text in it is escaped there): the
    // same markup as the portal's page, so it goes in as HTML.
    root.innerHTML = panel.html;
    await until(() => root.isConnected, "Showing the widget");
    const script = document.createElement("script");
    script.textContent = panel.script; // Bokeh's embedding of the two figures
    root.append(script);
    const rootId = root.querySelector("[data-root-id]").dataset.rootId;
    const doc = await until(
      () => (window.Bokeh.documents || []).find((d) => d.get_model_by_id(rootId) && d.get_model_by_name("points")),
      "Drawing the plots",
    );
    window.vocloudLabel.start({
      root,
      cfg: panel.config,
      counts: panel.counts,
      performance: panel.performance,
      doc,
      transport: kernelTransport(model),
      keyTarget: root,
    });
    // Keys typed in the panel stay in it: JupyterLab's command-mode keys (a, b, d d, m, ...)
    // match any focused element of the notebook, the plot's too. Keys with Ctrl, Alt or Cmd,
    // and Shift+Enter, still reach JupyterLab (save, run).
    root.addEventListener("keydown", (event) => {
      const notebooks = event.ctrlKey || event.metaKey || event.altKey || (event.shiftKey && event.key === "Enter");
      if (!notebooks) event.stopPropagation();
    });
    const points = doc.get_model_by_name("points");
    points.selected.change.connect(() => {
      model.set("selected", Array.from(points.selected.indices, (i) => points.data.path[i]));
      model.save_changes();
    });
    note.remove();
  } catch (error) {
    note.className = "error";
    note.textContent = `The labelling panel cannot be shown: ${error.message}`;
  }
  return () => root.remove();
}

export default { render };
