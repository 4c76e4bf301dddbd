/* The labelling page: select points in the Bokeh scatter plot, label them, see a spectrum.
 *
 * Every action is sent to the server at once (POST, JSON) and the plot is updated from the
 * server's answer, so what the page shows is what is stored. Bokeh models are found by
 * name (see services/learning/label_view.py).
 */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("label-config").textContent);
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const message = document.getElementById("message");
  // Main lines (vacuum, Å) marked on the spectrum of a numeric (redshift) session.
  const LINES = [
    ["Lyα", 1215.67], ["C IV", 1549.06], ["Mg II", 2799.49], ["[O II]", 3728.48],
    ["Ca K", 3934.78], ["Ca H", 3969.59], ["Hδ", 4102.89], ["Hγ", 4341.68], ["Hβ", 4862.68],
    ["[O III]", 5008.24], ["Mg b", 5176.7], ["Na D", 5895.6], ["Hα", 6564.61], ["[S II]", 6718.29],
  ];
  let points, scatter, spectrum, lines, lineNames, mappers, indexOf;
  let mode = "label";
  let shown = null; // the spectrum on display: {rank, wave, flux, ...}

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "";
  }

  function selection() {
    return points ? Array.from(points.selected.indices) : [];
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function labelText(state) {
    if (!state) return "";
    if (state.mark === "not_sure") return "not sure";
    if (state.mark === "bad_data") return "bad data";
    if (cfg.numeric && state.value) return String(Number(Number(state.value).toPrecision(5)));
    return state.value || "";
  }

  function applyStates(data) {
    const label = points.data.label, outline = points.data.outline;
    for (const path of data.paths) {
      for (const i of indexOf.get(path) || []) {
        label[i] = labelText(data.states[path]);
        outline[i] = label[i] ? "#111111" : "#00000000";
      }
    }
    points.data = Object.assign({}, points.data); // re-render with the new columns
    showCounts(data.counts);
    showPerformance(data.performance);
  }

  // User text (class names) goes into the page as text nodes only, never as HTML.
  function cell(tag, text) {
    const element = document.createElement(tag);
    element.textContent = String(text);
    return element;
  }

  function row(tag, ...texts) {
    const tr = document.createElement("tr");
    tr.append(...texts.map((text) => cell(tag, text)));
    return tr;
  }

  function showCounts(counts) {
    const rows = Object.entries(counts.labels).map(([name, n]) => row("td", name, n));
    rows.push(row("td", "not sure", counts.not_sure), row("td", "bad data", counts.bad_data));
    rows.push(row("th", "total", counts.total));
    document.getElementById("counts").replaceChildren(...rows);
  }

  function showPerformance(rates) {
    const table = document.getElementById("performance");
    if (!rates || !rates.length) { table.replaceChildren(); return; }
    const pct = (x) => (100 * x).toFixed(0);
    const rows = rates.map((r) => row("td", r.class, `${r.correct}/${r.checked}`,
      `${pct(r.rate)} % [${pct(r.low)}, ${pct(r.high)}]`));
    table.replaceChildren(row("th", "class", "checked", "rate (95 %)"), ...rows);
  }

  async function act(body, done) {
    const chosen = selection();
    if (!chosen.length) { say("Select spectra first (lasso or box tool, or click one).", true); return; }
    const paths = chosen.map((i) => points.data.path[i]);
    try {
      const data = await post(cfg.labelsUrl, Object.assign({ paths, round: cfg.round }, body(chosen)));
      applyStates(data);
      say(`${paths.length} spectra: ${done}.`);
    } catch (error) {
      say(`Not saved: ${error.message}`, true);
    }
  }

  function label(value) { act(() => ({ value }), `labelled ${value}`); }
  function mark(markName) { act(() => ({ mark: markName }), markName.replace("_", " ")); }
  function verdict(answer) {
    act((chosen) => ({ verdict: answer, predicted: chosen.map((i) => points.data.prediction[i]) }),
      answer === "yes" ? "confirmed" : "rejected");
  }

  async function undo() {
    try {
      const data = await post(cfg.undoUrl, {});
      applyStates(data);
      say(data.paths.length ? `Undone (${data.paths.length} spectra).` : "Nothing to undo.");
    } catch (error) {
      say(`Undo failed: ${error.message}`, true);
    }
  }

  // --- the clicked spectrum -------------------------------------------------------------
  async function showSpectrum(rank) {
    const response = await fetch(`${cfg.spectrumUrl}?rank=${rank}`, { credentials: "same-origin" });
    if (!response.ok) { say(`Cannot show spectrum: HTTP ${response.status}`, true); return; }
    shown = await response.json();
    spectrum.data = { wave: shown.wave, flux: shown.flux };
    const plot = Bokeh.documents[0].get_model_by_name("spectrum-plot");
    plot.title.text = `${shown.object || shown.path} (id ${shown.row}): prediction ${shown.prediction}, ` +
      `uncertainty ${shown.uncertainty.toFixed(3)}`;
    if (cfg.numeric) {
      const z = Number(shown.prediction);
      setZ(Number.isFinite(z) ? z : 0);
    }
  }

  function setZ(z) {
    const input = document.getElementById("value-input");
    const slider = document.getElementById("value-slider");
    if (input && document.activeElement !== input) input.value = String(Number(z.toFixed(5)));
    if (slider) slider.value = String(z);
    if (!shown || !shown.wave.length) return;
    const lo = Math.min(...shown.flux), hi = Math.max(...shown.flux);
    const w0 = shown.wave[0], w1 = shown.wave[shown.wave.length - 1];
    const visible = LINES.map(([name, rest]) => [name, rest * (1 + z)]).filter(([, w]) => w >= w0 && w <= w1);
    lines.data = { xs: visible.map(([, w]) => [w, w]), ys: visible.map(() => [lo, hi]), name: visible.map(([n]) => n) };
    lineNames.data = { text_x: visible.map(([, w]) => w), text_y: visible.map(() => hi), name: visible.map(([n]) => n) };
  }

  // --- wiring ---------------------------------------------------------------------------
  function colourBy(what) {
    const field = { score: "score", predicted: "prediction", label: "label" }[what];
    // the selected and unselected points are drawn by glyphs of their own: change them all
    for (const name of ["glyph", "selection_glyph", "nonselection_glyph", "hover_glyph", "muted_glyph"]) {
      const glyph = scatter[name];
      if (glyph && glyph !== "auto" && "fill_color" in glyph) glyph.fill_color = { field, transform: mappers[what] };
    }
    showLegend(mappers[what], what);
  }

  function swatch(colour, text) {
    const item = cell("span", text);
    item.className = "swatch";
    const mark = document.createElement("i");
    mark.style.background = colour;
    item.prepend(mark);
    return item;
  }

  function showLegend(mapper, what) {
    const legend = document.getElementById("legend");
    if (what === "score") {
      const stops = [0, 64, 128, 192, 255].map((i) => mapper.palette[Math.round(i * (mapper.palette.length - 1) / 255)]);
      const ramp = document.createElement("span");
      ramp.className = "ramp";
      ramp.style.background = `linear-gradient(to right, ${stops.join(",")})`;
      const note = cell("span", "score (bigger: more uncertain)");
      note.className = "muted";
      legend.replaceChildren(cell("span", Number(mapper.low).toPrecision(3)), ramp,
        cell("span", Number(mapper.high).toPrecision(3)), note);
      return;
    }
    legend.replaceChildren(
      ...mapper.factors.map((f, i) => swatch(mapper.palette[i % mapper.palette.length], f)),
      swatch(mapper.nan_color, what === "label" ? "unlabelled" : "other"));
  }

  function onKey(event) {
    if (event.target.matches("input, select, textarea") || event.altKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey && key === "z") || (!event.ctrlKey && key === "u")) { event.preventDefault(); undo(); return; }
    if (event.ctrlKey) return;
    if (mode === "check") {
      if (key === "y") verdict("yes");
      else if (key === "n") verdict("no");
      return;
    }
    if (key === "n") mark("not_sure");
    else if (key === "b") mark("bad_data");
    else if (!cfg.numeric && /^[1-9]$/.test(key) && cfg.classes[Number(key) - 1]) label(cfg.classes[Number(key) - 1]);
  }

  function wire() {
    const doc = Bokeh.documents[0];
    points = doc.get_model_by_name("points");
    scatter = doc.get_model_by_name("scatter");
    spectrum = doc.get_model_by_name("spectrum");
    lines = doc.get_model_by_name("lines");
    lineNames = doc.get_model_by_name("line-names");
    mappers = {
      score: doc.get_model_by_name("colour-score"),
      predicted: doc.get_model_by_name("colour-predicted"),
      label: doc.get_model_by_name("colour-label"),
    };
    indexOf = new Map();
    points.data.path.forEach((p, i) => { if (!indexOf.has(p)) indexOf.set(p, []); indexOf.get(p).push(i); });
    points.selected.change.connect(() => {
      const chosen = selection();
      document.getElementById("selection-count").textContent = `${chosen.length} selected`;
      if (chosen.length === 1) showSpectrum(points.data.rank[chosen[0]]);
    });
    document.querySelectorAll(".label-button").forEach((b) => b.addEventListener("click", () => label(b.dataset.value)));
    document.querySelectorAll("[data-mark]").forEach((b) => b.addEventListener("click", () => mark(b.dataset.mark)));
    document.querySelectorAll("[data-verdict]").forEach((b) => b.addEventListener("click", () => verdict(b.dataset.verdict)));
    document.getElementById("undo").addEventListener("click", undo);
    document.getElementById("colour-by").addEventListener("change", (e) => colourBy(e.target.value));
    document.getElementById("mode").addEventListener("change", (e) => {
      mode = e.target.value;
      document.getElementById("label-tools").hidden = mode !== "label";
      document.getElementById("check-tools").hidden = mode !== "check";
      if (mode === "check") colourBy("predicted");
    });
    if (cfg.numeric) {
      const input = document.getElementById("value-input");
      const slider = document.getElementById("value-slider");
      slider.addEventListener("input", () => setZ(Number(slider.value)));
      input.addEventListener("input", () => { if (input.value !== "") setZ(Number(input.value)); });
      const set = () => { if (input.value !== "") label(input.value); };
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") set(); });
      document.getElementById("set-value").addEventListener("click", set);
    }
    document.addEventListener("keydown", onKey);
    showLegend(mappers.score, "score");
    showCounts(JSON.parse(document.getElementById("label-counts").textContent));
    showPerformance(JSON.parse(document.getElementById("label-performance").textContent));
    window.vocloudLabelSamp.wire({
      cfg, csrf, say,
      selection,
      select: (rows) => { points.selected.indices = rows; },
      size: () => points.data.x.length,
      pathOf: (i) => points.data.path[i],
    });
    document.body.dataset.ready = "1"; // for tests and benchmarks: the page is usable
  }

  function start() {
    if (window.Bokeh && Bokeh.documents && Bokeh.documents.length &&
        Bokeh.documents[0].get_model_by_name("points")) { wire(); return; }
    setTimeout(start, 50);
  }
  start();
})();
