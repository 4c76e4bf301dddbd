/* The labelling page: review the sample's spectra one by one, or a lasso selection as small
 * plots, and label what you have seen.
 *
 * Every action is sent to the server at once (POST, JSON) and the plot is updated from the
 * server's answer, so what the page shows is what is stored. Each action says which of its
 * spectra were on the screen ("shown"): the others are recorded as labelled without a view,
 * and "Am I correct?" counts only verdicts on spectra that were shown.
 *
 * Bokeh models are found by name (services/learning/label_view.py). Picking and hovering
 * are done here, on the nearest point in screen pixels, so that a click in a dense cluster
 * picks one spectrum (and lists the others under the cursor). User text (class names,
 * object names, paths) reaches the page as text nodes only.
 *
 * One script for two hosts: the portal's page (templates/labelling/label.html, booted at the
 * end of this file) and the notebook widget (vocloud/client/assets/widget.js), which calls
 * window.vocloudLabel.start with its own element, transport and key target.
 */
(function () {
  "use strict";
  const PAGE = 12; // small plots per page of the selection panel
  const PICK_PX = 4; // a click within a point's radius plus this many pixels picks it
  const HIT_LIST = 12; // overlapping points listed at most

  // The portal page's way to the server: fetch with the session cookie and the CSRF token.
  // Both reject with an Error whose message is one sentence for the user.
  function pageTransport(csrf) {
    return {
      async post(url, body) {
        const response = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(body),
          credentials: "same-origin",
        });
        const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
        if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
        return data;
      },
      // a form (application/x-www-form-urlencoded), for the portal's file endpoints
      async postForm(url, fields) {
        const response = await fetch(url, {
          method: "POST",
          headers: { "X-CSRFToken": csrf },
          body: new URLSearchParams(fields),
          credentials: "same-origin",
        });
        const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
        if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
        return data;
      },
      async get(url) {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) {
          const text = (await response.text()).trim().split("\n")[0].slice(0, 200);
          throw new Error(response.status === 404 && text ? text : `HTTP ${response.status}`);
        }
        return response.json();
      },
    };
  }

  /* Wire the labelling panel in ``root`` (the page's body, or the notebook widget's element):
   *   cfg          the config (label_view's "config": classes, endpoint URLs, round, ...)
   *   counts, performance   the session's counts and "Am I correct?" rates at the start
   *   doc          the Bokeh document of services/learning/label_view.py's figures
   *   transport    {post(url, body), postForm(url, [[name, value], ...]), get(url)}: JSON
   *                back, each rejecting with an Error whose message is a sentence
   *   keyTarget    where the keys are listened for (the page: document); handled keys stop
   *                there, so that a notebook's own shortcuts (1-9, a, b, ...) do not fire
   */
  function start({
    root, cfg, counts: startCounts, performance: startPerformance, doc: bokehDoc, transport, keyTarget,
  }) {
    const $ = (id) => root.querySelector(`#${id}`);
    const message = $("message");
    const hasModel = cfg.model !== false; // a cold-start round has no model: no predictions
    const LINES = window.vocloudLines || [];

    let doc, points, scatter, scatterView, current, spectrum, reference, lines, lineNames, mappers;
    let indexOf;
    let mode = "label";
    let colour = "score"; // what the points are coloured by in label mode
    let tab = "review";
    let queue = null; // point indices the review steps through (null: the whole sample)
    let position = -1; // index into the queue
    let shown = null; // the spectrum on display: {rank, wave, flux, ...}
    let pageNo = 0;
    let included = new Set(); // selected points the selection panel's actions apply to
    let displayed = new Set(); // selected points whose small plot has been on the screen
    let references = null; // {wave, classes: {name: {n, used, flux}}}
    const thumbCache = new Map();

    function say(text, isError) {
      message.textContent = text;
      message.className = "message" + (isError ? " error" : text ? " ok" : "");
    }

    function el(tag, text, className) {
      const element = document.createElement(tag);
      if (text !== undefined && text !== null) element.textContent = String(text);
      if (className) element.className = className;
      return element;
    }

    function row(tag, ...texts) {
      const tr = document.createElement("tr");
      tr.append(...texts.map((text) => el(tag, text)));
      return tr;
    }

    const post = (url, body) => transport.post(url, body);
    const getJson = (url) => transport.get(url);

    const n = () => points.data.x.length;
    const fmt = (x, digits = 3) => Number(x).toPrecision(digits);
    const pct = (x) => (100 * x).toFixed(0);

    function labelText(state) {
      if (!state) return "";
      if (state.mark === "not_sure") return "not sure";
      if (state.mark === "bad_data") return "bad data";
      if (cfg.numeric && state.value) return String(Number(Number(state.value).toPrecision(5)));
      return state.value || "";
    }

    function classColour(name) {
      const mapper = mappers.label;
      const i = mapper.factors.indexOf(name);
      return i < 0 ? mapper.nan_color : mapper.palette[i % mapper.palette.length];
    }

    // --- what the page says about the session ----------------------------------------------
    function showProgress(counts) {
      const inSample = points.data.label.filter((l) => l !== "").length;
      const total = counts.total + counts.not_sure + counts.bad_data;
      const of = cfg.datasetSize ? ` of ${cfg.datasetSize.toLocaleString()}` : "";
      $("progress").textContent =
        `${total.toLocaleString()}${of} labelled · ${inSample} of ${n()} in this round's sample`;
    }

    function showCounts(counts) {
      const rows = Object.entries(counts.labels).map(([name, k]) => row("td", name, k));
      rows.push(row("td", "not sure", counts.not_sure), row("td", "bad data", counts.bad_data));
      rows.push(row("th", "total", counts.total));
      if (counts.unseen) rows.push(row("td", "labelled without a view", counts.unseen));
      $("counts").replaceChildren(...rows);
      showProgress(counts);
      const note = counts.unseen_verdicts
        ? `${counts.unseen_verdicts} verdicts were given without the spectrum on screen: they are not counted.`
        : "";
      $("performance-note").textContent = note;
    }

    function showPerformance(rates) {
      const table = $("performance");
      if (!rates || !rates.length) {
        table.replaceChildren(row("td", "No verdicts on reviewed spectra yet."));
        return;
      }
      const rows = rates.map((r) => row("td", r.class, `${r.correct} of ${r.checked}`,
        `${pct(r.rate)} % [${pct(r.low)}, ${pct(r.high)}]`));
      table.replaceChildren(row("th", "predicted", "confirmed", "rate (95 % interval)"), ...rows);
    }

    function applyStates(data) {
      const label = points.data.label, outline = points.data.outline;
      for (const path of data.paths) {
        for (const i of indexOf.get(path) || []) {
          label[i] = labelText(data.states[path]);
          outline[i] = label[i] ? 1 : 0;
        }
      }
      points.data = Object.assign({}, points.data); // re-render with the new columns
      showCounts(data.counts);
      showPerformance(data.performance);
      references = null; // the classes' examples changed
      if (tab === "selection") renderPage();
      if (shown) showTitle();
    }

    // --- actions: on the spectrum under review, or on the selection's included spectra -------
    function target() {
      if (tab === "review") {
        if (!shown || position < 0) return { error: "Pick a spectrum first: click a point, or press →." };
        return { indices: [shown.index], shown: [shown.path] };
      }
      const chosen = Array.from(included).sort((a, b) => a - b);
      if (!chosen.length) return { error: "Select spectra with the lasso first, and include at least one." };
      return { indices: chosen, shown: chosen.filter((i) => displayed.has(i)).map((i) => points.data.path[i]) };
    }

    async function act(body, done) {
      const aim = target();
      if (aim.error) { say(aim.error, true); return; }
      const paths = aim.indices.map((i) => points.data.path[i]);
      try {
        const data = await post(cfg.labelsUrl,
          Object.assign({ paths, shown: aim.shown, round: cfg.round }, body(aim.indices)));
        applyStates(data);
        const unseen = paths.length - aim.shown.length;
        const what = paths.length === 1 ? (shown && tab === "review" ? shown.object || shown.path : "1 spectrum") : `${paths.length} spectra`;
        say(`${what}: ${done}.` + (unseen ? ` ${unseen} of them were not on screen and are recorded as labelled without a view.` : ""));
        if (tab === "review") step(1, true);
      } catch (error) {
        say(`Not saved: ${error.message}`, true);
      }
    }

    function label(value) { act(() => ({ value }), `labelled ${value}`); }
    function mark(markName) { act(() => ({ mark: markName }), markName.replace("_", " ")); }
    function verdict(answer) {
      act((chosen) => ({ verdict: answer, predicted: chosen.map((i) => points.data.prediction[i]) }),
        answer === "yes" ? "prediction confirmed" : "prediction rejected");
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

    // --- the review: one spectrum at a time, most uncertain first ----------------------------
    function order() { return queue || [...Array(n()).keys()]; }

    function step(direction, afterLabel) {
      const list = order();
      if (!list.length) return;
      const skip = $("skip-labelled").checked;
      let p = position;
      for (let tries = 0; tries < list.length; tries++) {
        p += direction;
        if (p < 0 || p >= list.length) break;
        if (!skip || points.data.label[list[p]] === "") { review(queue, p); return; }
      }
      if (afterLabel) say(`${message.textContent} That was the last ${skip ? "unlabelled " : ""}spectrum of the queue.`);
      else say(direction > 0 ? "No further spectrum in the queue." : "No earlier spectrum in the queue.", true);
    }

    function review(list, p) {
      queue = list === null ? null : list;
      position = p;
      const i = order()[p];
      showTab("review");
      current.data = { x: [points.data.x[i]], y: [points.data.y[i]] };
      $("review-position").textContent = `${p + 1} of ${order().length}`;
      $("queue-name").textContent = queue ? "· the selection"
        : `· the sample, ${hasModel ? "most uncertain" : "the proposals"} first`;
      showSpectrum(i);
    }

    async function showSpectrum(index) {
      const rank = points.data.rank[index];
      let data;
      try {
        data = await getJson(`${cfg.spectrumUrl}?rank=${rank}`);
      } catch (error) {
        say(`Cannot show the spectrum: ${error.message}`, true);
        return;
      }
      if (order()[position] !== index) return; // the expert moved on meanwhile
      shown = Object.assign(data, { index });
      spectrum.data = { wave: shown.wave, flux: shown.flux };
      const plot = doc.get_model_by_name("spectrum-plot");
      plot.x_range.start = shown.wave[0]; plot.x_range.end = shown.wave[shown.wave.length - 1];
      showTitle();
      showProbabilities();
      if (cfg.numeric) {
        const z = Number(shown.prediction);
        setZ(Number.isFinite(z) ? z : 0);
      } else {
        drawLines();
        drawReference();
      }
    }

    function showTitle() {
      const i = shown.index;
      const parts = [`${shown.object || shown.path}`, `id ${shown.row}`];
      const predicted = cfg.numeric
        ? `predicted ${cfg.target} ${shown.prediction}${shown.sigma !== undefined ? ` ± ${fmt(shown.sigma, 2)}` : ""}`
        : `predicted ${shown.prediction}${shown.confidence !== undefined ? ` (p = ${shown.confidence.toFixed(2)})` : ""}`;
      parts.push(...(hasModel ? [predicted, `uncertainty (${cfg.acquisition}) ${fmt(shown.score)}`]
        : [`typicality ${fmt(shown.score)}`]));
      const state = points.data.label[i];
      const title = $("review-title");
      title.replaceChildren(el("strong", parts[0]), el("span", ` · ${parts.slice(1).join(" · ")}`));
      title.append(el("span", state ? ` · labelled: ${state}` : " · not labelled", state ? "labelled" : "muted"));
      doc.get_model_by_name("spectrum-plot").title.text = hasModel ? `${parts[0]}: ${predicted}` : parts[0];
    }

    function showProbabilities() {
      const box = $("probabilities");
      const probabilities = shown.probabilities || {};
      const names = Object.keys(probabilities);
      if (!names.length) { box.replaceChildren(); return; }
      names.sort((a, b) => probabilities[b] - probabilities[a]);
      box.replaceChildren(...names.map((name) => {
        const line = el("div", null, "probability");
        const bar = el("span", null, "bar");
        bar.style.width = `${Math.max(1, 100 * probabilities[name])}%`;
        bar.style.background = classColour(name);
        const track = el("span", null, "track");
        track.append(bar);
        line.append(el("span", name, "name"), track, el("span", probabilities[name].toFixed(2), "value"));
        return line;
      }));
    }

    function drawLines(z) {
      const redshift = z !== undefined ? z : Number(($("lines-z") || {}).value || 0) || 0;
      if (!shown || !shown.wave.length || !$("line-marks").checked) {
        lines.data = { xs: [], ys: [], name: [] };
        lineNames.data = { text_x: [], text_y: [], name: [] };
        return;
      }
      let lo = Infinity, hi = -Infinity;
      for (const f of shown.flux) { if (f < lo) lo = f; if (f > hi) hi = f; }
      const w0 = shown.wave[0], w1 = shown.wave[shown.wave.length - 1];
      const visible = LINES.map(([name, rest]) => [name, rest * (1 + redshift)]).filter(([, w]) => w >= w0 && w <= w1);
      // names of lines closer than 1/40 of the plot step down, so that they do not overprint
      const gap = (w1 - w0) / 40, levels = [];
      let level = 0, last = -Infinity;
      for (const [, w] of visible) { level = w - last < gap ? (level + 1) % 3 : 0; last = w; levels.push(level); }
      const tops = levels.map((k) => hi - k * 0.09 * (hi - lo));
      lines.data = { xs: visible.map(([, w]) => [w, w]), ys: tops.map((top) => [lo, top]), name: visible.map(([nm]) => nm) };
      lineNames.data = { text_x: visible.map(([, w]) => w), text_y: tops, name: visible.map(([nm]) => nm) };
    }

    async function drawReference() {
      const select = $("reference");
      const note = $("reference-note");
      const chosen = select.value === "@predicted" ? shown.prediction : select.value;
      if (!chosen) { reference.data = { wave: [], flux: [] }; note.textContent = "This spectrum in black."; return; }
      try {
        if (!references) references = await getJson(cfg.referencesUrl);
      } catch (error) {
        note.textContent = `No labelled examples: ${error.message}`;
        return;
      }
      const ref = references.classes[chosen];
      if (!ref) {
        reference.data = { wave: [], flux: [] };
        note.textContent = `No labelled example of ${chosen} yet.`;
        return;
      }
      const good = shown.flux.map(Math.abs).sort((a, b) => a - b);
      const level = good.length ? good[Math.floor(good.length / 2)] : 1;
      const wave = [], flux = [];
      ref.flux.forEach((f, j) => { if (f !== null) { wave.push(references.wave[j]); flux.push(f * level); } });
      reference.data = { wave, flux };
      doc.get_model_by_name("reference-line").glyph.line_color = classColour(chosen);
      const key = el("i", null, "key");
      key.style.background = classColour(chosen);
      note.replaceChildren(key, el("span", ` ${chosen}: median of ${ref.used}${ref.used < ref.n ? ` of ${ref.n}` : ""} labelled spectra, scaled to this one (black).`));
    }

    function setZ(z) {
      const input = $("value-input"), slider = $("value-slider");
      if (input && document.activeElement !== input) input.value = String(Number(z.toFixed(5)));
      if (slider) slider.value = String(z);
      drawLines(z);
    }

    // --- the selection panel: small plots of the lasso's spectra ----------------------------
    function selection() { return points ? Array.from(points.selected.indices) : []; }

    function onSelection() {
      const chosen = selection().sort((a, b) => a - b);
      $("selection-count").textContent = String(chosen.length);
      included = new Set(chosen);
      displayed = new Set();
      pageNo = 0;
      if (chosen.length) showTab("selection");
      else if (tab === "selection") renderPage();
    }

    function showTab(which) {
      tab = which;
      $("tab-review").setAttribute("aria-selected", String(which === "review"));
      $("tab-selection").setAttribute("aria-selected", String(which === "selection"));
      $("review-pane").hidden = which !== "review";
      $("selection-pane").hidden = which !== "selection";
      showTarget();
      if (which === "selection") renderPage();
    }

    function showTarget() {
      const text = tab === "review" ? "this spectrum" : `the ${included.size} included spectra`;
      $("target-text").textContent = `Label ${text}`;
      $("check-text").textContent = tab === "review"
        ? "Is the predicted class of this spectrum right?"
        : `Is the predicted class of the ${included.size} included spectra right?`;
    }

    function sparkline(wave, flux, colourName) {
      const ns = "http://www.w3.org/2000/svg";
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 200 70");
      svg.setAttribute("preserveAspectRatio", "none");
      if (wave.length > 1) {
        let lo = Infinity, hi = -Infinity;
        for (const f of flux) { if (f < lo) lo = f; if (f > hi) hi = f; }
        const w0 = wave[0], w1 = wave[wave.length - 1], span = hi - lo || 1;
        const line = document.createElementNS(ns, "polyline");
        line.setAttribute("points", wave.map((w, j) =>
          `${(200 * (w - w0) / (w1 - w0)).toFixed(1)},${(67 - 64 * (flux[j] - lo) / span).toFixed(1)}`).join(" "));
        line.setAttribute("fill", "none");
        line.setAttribute("stroke", colourName);
        line.setAttribute("stroke-width", "1");
        line.setAttribute("vector-effect", "non-scaling-stroke");
        svg.append(line);
      }
      return svg;
    }

    async function renderPage() {
      const chosen = selection().sort((a, b) => a - b);
      const pages = Math.max(1, Math.ceil(chosen.length / PAGE));
      pageNo = Math.min(pageNo, pages - 1);
      const onPage = chosen.slice(pageNo * PAGE, (pageNo + 1) * PAGE);
      $("page-position").textContent = chosen.length ? `page ${pageNo + 1} of ${pages}` : "";
      const seen = chosen.filter((i) => displayed.has(i)).length;
      $("selection-note").textContent = chosen.length
        ? `${chosen.length} selected, ${included.size} included, ${seen + onPage.filter((i) => !displayed.has(i)).length} shown so far. Untick a spectrum to leave it out; click a plot to review it large.`
        : "Draw a lasso (or a box) around points in the plot to see their spectra here.";
      showTarget();
      const box = $("thumbs");
      const missing = onPage.filter((i) => !thumbCache.has(points.data.rank[i]));
      if (missing.length) {
        try {
          const data = await getJson(`${cfg.thumbnailsUrl}?ranks=${missing.map((i) => points.data.rank[i]).join(",")}`);
          for (const point of data.points) thumbCache.set(point.rank, point);
        } catch (error) {
          say(`Cannot show the selected spectra: ${error.message}`, true);
          return;
        }
      }
      if (selection().length !== chosen.length) return; // the selection changed meanwhile
      box.replaceChildren(...onPage.map((i) => card(i, thumbCache.get(points.data.rank[i]))));
      onPage.forEach((i) => displayed.add(i));
    }

    function card(i, point) {
      const item = el("figure", null, "thumb" + (included.has(i) ? "" : " excluded"));
      item.dataset.index = String(i);
      const head = el("figcaption");
      const tick = document.createElement("input");
      tick.type = "checkbox";
      tick.checked = included.has(i);
      tick.title = "include in the labelling action";
      tick.addEventListener("change", () => {
        if (tick.checked) included.add(i); else included.delete(i);
        item.classList.toggle("excluded", !tick.checked);
        showTarget();
      });
      head.append(tick, el("span", point.object || point.path.split("/").pop(), "name"));
      const colourName = cfg.numeric ? "#2855c8" : classColour(point.prediction);
      const svg = sparkline(point.wave, point.flux, colourName);
      svg.addEventListener("click", () => {
        const list = selection().sort((a, b) => a - b).filter((j) => included.has(j));
        const at = list.indexOf(i);
        review(list, at < 0 ? 0 : at);
      });
      const predicted = cfg.numeric
        ? `${cfg.target} ${point.prediction}${point.sigma !== undefined ? ` ± ${fmt(point.sigma, 2)}` : ""}`
        : `${point.prediction}${point.confidence !== undefined ? ` p = ${point.confidence.toFixed(2)}` : ""}`;
      const facts = el("div", null, "facts");
      const prediction = el("span", predicted, "prediction");
      if (!cfg.numeric) prediction.style.borderColor = colourName;
      if (hasModel) facts.append(prediction);
      const state = points.data.label[i];
      if (state) facts.append(el("span", state, "labelled"));
      item.append(head, svg, facts);
      return item;
    }

    // --- picking and hovering: the nearest point in screen pixels ---------------------------
    function frame() {
      const view = scatterView();
      if (!view) return null;
      const box = view.el.getBoundingClientRect(), f = view.frame.bbox;
      const xr = view.model.x_range, yr = view.model.y_range;
      return { left: box.left + f.left, top: box.top + f.top, width: f.width, height: f.height,
        x0: xr.start, x1: xr.end, y0: yr.start, y1: yr.end };
    }

    // Points under (cx, cy) (client pixels), nearest first: [[distance, index], ...]
    function under(cx, cy, slack) {
      const f = frame();
      if (!f || cx < f.left || cx > f.left + f.width || cy < f.top || cy > f.top + f.height) return [];
      const xs = points.data.x, ys = points.data.y, size = points.data.size;
      const kx = f.width / (f.x1 - f.x0), ky = f.height / (f.y1 - f.y0);
      const hits = [];
      for (let i = 0; i < xs.length; i++) {
        const dx = f.left + (xs[i] - f.x0) * kx - cx;
        const dy = f.top + (f.y1 - ys[i]) * ky - cy;
        const reach = size[i] / 2 + slack;
        if (dx > reach || dx < -reach || dy > reach || dy < -reach) continue;
        const d = Math.hypot(dx, dy);
        if (d <= reach) hits.push([d, i]);
      }
      return hits.sort((a, b) => a[0] - b[0]);
    }

    function describe(i) {
      const label = points.data.label[i];
      if (!hasModel) {
        return `${points.data.object[i] || points.data.path[i]} · typicality ${fmt(points.data.score[i])}` +
          `${label ? ` · labelled ${label}` : ""}`;
      }
      return `${points.data.object[i] || points.data.path[i]} · ${points.data.prediction[i]} · ` +
        `${cfg.acquisition} ${fmt(points.data.score[i])}${label ? ` · labelled ${label}` : ""}`;
    }

    function pick(i) {
      hideHitList();
      review(null, i); // the sample's order is the rank order: point i is at position i
    }

    function showHitList(hits, cx, cy) {
      const list = $("hit-list");
      const box = $("scatter-box").getBoundingClientRect();
      const items = hits.slice(0, HIT_LIST).map(([, i]) => {
        const item = el("button", describe(i), "hit");
        item.type = "button";
        item.setAttribute("role", "option");
        item.addEventListener("click", (event) => { event.stopPropagation(); pick(i); });
        return item;
      });
      const head = el("div", `${hits.length} points here: showing the nearest`, "hit-head");
      list.replaceChildren(head, ...items);
      if (hits.length > HIT_LIST) list.append(el("div", `and ${hits.length - HIT_LIST} more: zoom in (wheel) to tell them apart`, "muted"));
      list.style.left = `${Math.min(cx - box.left + 12, box.width - 330)}px`;
      list.style.top = `${cy - box.top + 12}px`;
      list.hidden = false;
    }

    function hideHitList() { $("hit-list").hidden = true; }

    function wirePicking() {
      const box = $("scatter-box");
      const tip = $("hover-tip");
      let down = null, frameRequest = 0;
      box.addEventListener("pointerdown", (event) => { down = [event.clientX, event.clientY]; });
      box.addEventListener("click", (event) => {
        if (event.target.closest(".hit-list")) return;
        const moved = down ? Math.hypot(event.clientX - down[0], event.clientY - down[1]) : 0;
        down = null;
        if (moved > 3) return; // the end of a lasso or a pan, not a click
        const hits = under(event.clientX, event.clientY, PICK_PX);
        if (!hits.length) { hideHitList(); return; }
        pick(hits[0][1]);
        if (hits.length > 1) showHitList(hits, event.clientX, event.clientY);
      });
      box.addEventListener("pointermove", (event) => {
        if (frameRequest || event.buttons) { tip.hidden = true; return; }
        const { clientX, clientY } = event;
        frameRequest = requestAnimationFrame(() => {
          frameRequest = 0;
          const hits = under(clientX, clientY, PICK_PX);
          if (!hits.length) { tip.hidden = true; return; }
          const r = box.getBoundingClientRect();
          tip.textContent = describe(hits[0][1]) + (hits.length > 1 ? ` (+${hits.length - 1} more here)` : "");
          tip.style.left = `${Math.min(clientX - r.left + 14, r.width - 300)}px`;
          tip.style.top = `${clientY - r.top - 30}px`;
          tip.hidden = false;
        });
      });
      box.addEventListener("pointerleave", () => { tip.hidden = true; });
    }

    // --- colour ------------------------------------------------------------------------------
    function colourBy(what) {
      const field = { score: "score", predicted: "prediction", label: "label" }[what];
      // the selected and unselected points are drawn by glyphs of their own: change them all
      for (const name of ["glyph", "selection_glyph", "nonselection_glyph", "hover_glyph", "muted_glyph"]) {
        const glyph = scatter[name];
        if (glyph && glyph !== "auto" && "fill_color" in glyph) glyph.fill_color = { field, transform: mappers[what] };
      }
      $("colour-by").value = what;
      showLegend(mappers[what], what);
    }

    function swatch(colourName, text) {
      const item = el("span", text, "swatch");
      const dot = document.createElement("i");
      dot.style.background = colourName;
      item.prepend(dot);
      return item;
    }

    function showLegend(mapper, what) {
      const legend = $("legend");
      if (what === "score") {
        const stops = [0, 64, 128, 192, 255].map((i) => mapper.palette[Math.round(i * (mapper.palette.length - 1) / 255)]);
        const ramp = el("span", null, "ramp");
        ramp.style.background = `linear-gradient(to right, ${stops.join(",")})`;
        const low = Math.abs(mapper.low) < 1e-6 * Math.abs(mapper.high) ? "0" : fmt(mapper.low);
        legend.replaceChildren(el("span", low), ramp, el("span", fmt(mapper.high)));
        $("colour-note").textContent = hasModel
          ? `uncertainty (${cfg.acquisition}), more uncertain to the right of the ramp; bigger points are more uncertain too`
          : "typicality (TypiClust), more typical to the right of the ramp; bigger points are more typical too";
        return;
      }
      legend.replaceChildren(
        ...mapper.factors.map((f, i) => swatch(mapper.palette[i % mapper.palette.length], f)),
        swatch(mapper.nan_color, what === "label" ? "unlabelled" : "other"));
      $("colour-note").textContent = what === "label" ? "the label given" : "the model's predicted class";
    }

    function setMode(value) {
      mode = value;
      $("mode").value = value;
      $("label-tools").hidden = mode !== "label";
      $("check-tools").hidden = mode !== "check";
      const wanted = mode === "check" ? "predicted" : colour; // colour follows the mode
      if (wanted !== $("colour-by").value) colourBy(wanted);
      $("colour-by").disabled = mode === "check";
    }

    // --- keys --------------------------------------------------------------------------------
    // The key's action, or null when the panel has none for it.
    function keyAction(event) {
      // keys go to fields that take text or arrows; a ticked checkbox keeps the page's keys
      const typing = event.target.matches("input:not([type=checkbox]), select, textarea");
      if (typing || event.altKey || event.metaKey) return null;
      const key = event.key.toLowerCase();
      if (key === "escape") return hideHitList;
      if ((event.ctrlKey && key === "z") || (!event.ctrlKey && key === "u")) {
        return () => { event.preventDefault(); undo(); };
      }
      if (event.ctrlKey) return null;
      if (key === "arrowright" || key === "j" || key === "arrowleft" || key === "k") {
        return () => {
          event.preventDefault();
          if (tab !== "review") showTab("review");
          step(key === "arrowright" || key === "j" ? 1 : -1);
        };
      }
      if (mode === "check") {
        if (key === "y" || key === "n") return () => verdict(key === "y" ? "yes" : "no");
        return null;
      }
      if (key === "n") return () => mark("not_sure");
      if (key === "b") return () => mark("bad_data");
      const chosen = !cfg.numeric && /^[1-9]$/.test(key) ? cfg.classes[Number(key) - 1] : undefined;
      return chosen === undefined ? null : () => label(chosen);
    }

    function onKey(event) {
      const action = keyAction(event);
      if (!action) return;
      event.stopPropagation(); // the panel's key, not the notebook's
      action();
    }

    // --- wiring ------------------------------------------------------------------------------
    function wire() {
      performance.mark("vocloud-wire");
      doc = bokehDoc;
      points = doc.get_model_by_name("points");
      scatter = doc.get_model_by_name("scatter");
      current = doc.get_model_by_name("current");
      spectrum = doc.get_model_by_name("spectrum");
      reference = doc.get_model_by_name("reference");
      lines = doc.get_model_by_name("lines");
      lineNames = doc.get_model_by_name("line-names");
      mappers = {
        score: doc.get_model_by_name("colour-score"),
        predicted: doc.get_model_by_name("colour-predicted"),
        label: doc.get_model_by_name("colour-label"),
      };
      const plotModel = doc.get_model_by_name("scatter-plot");
      scatterView = () => Object.values(Bokeh.index).find((v) => v.model === plotModel) || null;
      indexOf = new Map();
      points.data.path.forEach((p, i) => { if (!indexOf.has(p)) indexOf.set(p, []); indexOf.get(p).push(i); });
      points.selected.change.connect(onSelection);
      wirePicking();
      root.querySelectorAll(".label-button").forEach((b) => b.addEventListener("click", () => label(b.dataset.value)));
      root.querySelectorAll("[data-mark]").forEach((b) => b.addEventListener("click", () => mark(b.dataset.mark)));
      root.querySelectorAll("[data-verdict]").forEach((b) => b.addEventListener("click", () => verdict(b.dataset.verdict)));
      $("undo").addEventListener("click", undo);
      $("colour-by").addEventListener("change", (e) => { colour = e.target.value; colourBy(colour); });
      $("mode").addEventListener("change", (e) => setMode(e.target.value));
      $("tab-review").addEventListener("click", () => showTab("review"));
      $("tab-selection").addEventListener("click", () => showTab("selection"));
      $("next").addEventListener("click", () => step(1));
      $("previous").addEventListener("click", () => step(-1));
      $("page-next").addEventListener("click", () => { if ((pageNo + 1) * PAGE < selection().length) { pageNo++; renderPage(); } });
      $("page-previous").addEventListener("click", () => { if (pageNo > 0) { pageNo--; renderPage(); } });
      $("include-all").addEventListener("click", () => { included = new Set(selection()); renderPage(); });
      $("review-selection").addEventListener("click", () => {
        const list = selection().sort((a, b) => a - b).filter((i) => included.has(i));
        if (!list.length) { say("Select spectra with the lasso first.", true); return; }
        review(list, 0);
      });
      $("show-help").addEventListener("click", () => { $("help").hidden = !$("help").hidden; });
      $("line-marks").addEventListener("change", () => (cfg.numeric ? setZ(Number($("value-input").value) || 0) : drawLines()));
      if (cfg.numeric) {
        const input = $("value-input"), slider = $("value-slider");
        slider.addEventListener("input", () => setZ(Number(slider.value)));
        input.addEventListener("input", () => { if (input.value !== "") setZ(Number(input.value)); });
        const set = () => { if (input.value !== "") label(input.value); };
        input.addEventListener("keydown", (e) => { if (e.key === "Enter") set(); });
        $("set-value").addEventListener("click", set);
      } else {
        $("lines-z").addEventListener("input", () => drawLines());
        $("reference").addEventListener("change", () => { if (shown) drawReference(); });
      }
      keyTarget.addEventListener("keydown", onKey);
      setMode("label"); // the plot starts coloured by uncertainty: no re-colouring of 100k points
      showLegend(mappers.score, "score");
      showCounts(startCounts);
      showPerformance(startPerformance);
      $("review-position").textContent = hasModel ? `${n()} spectra, most uncertain first: press → to start`
        : `${n()} spectra, the proposals first: press → to start`;
      window.vocloudLabelSamp.wire({
        cfg, root, transport, say,
        selection,
        select: (rows) => { points.selected.indices = rows; },
        size: () => points.data.x.length,
        pathOf: (i) => points.data.path[i],
      });
      performance.mark("vocloud-wired"); // benchmarks/labelling_view.py reports it
      root.dataset.ready = "1"; // for tests and benchmarks: the panel is usable
    }

    wire();
  }

  window.vocloudLabel = Object.freeze({ start });

  // The portal's labelling page: its config in JSON script elements, its one Bokeh document.
  const pageConfig = document.getElementById("label-config");
  if (!pageConfig) return; // the notebook widget calls start itself
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  function boot() {
    const doc = window.Bokeh && Bokeh.documents && Bokeh.documents[0];
    if (!doc || !doc.get_model_by_name("points")) { setTimeout(boot, 50); return; }
    start({
      root: document.body,
      cfg: json("label-config"),
      counts: json("label-counts"),
      performance: json("label-performance"),
      doc,
      transport: pageTransport(document.querySelector("[name=csrfmiddlewaretoken]").value),
      keyTarget: document,
    });
  }
  boot();
})();
