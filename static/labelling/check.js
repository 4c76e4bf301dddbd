// The pool-check page (templates/labelling/check.html): one spectrum drawn at random from
// the round's pool at a time, the model's prediction, and "Am I correct?" (yes, no, the
// true class, skip, bad data; undo). Everything goes through the JSON API
// (vocloud/api/labelling.py, .../rounds/<n>/check) with the page's CSRF token. Every name
// from the server (classes, paths) is written with textContent, never innerHTML.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("check-config").textContent);
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  let state = null; // the API's answer: items, next, headline
  let current = null; // the item on the screen
  let busy = false;

  function say(text, isError) {
    $("check-message").textContent = text || "";
    $("check-message").className = isError ? "small error" : "small";
  }

  async function call(url, body) {
    const options = { credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = { error: `The server answered ${response.status}.` };
    }
    if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
    return data;
  }

  function showHeadline() {
    const head = state.headline || {};
    $("check-estimate").textContent = head.n ? head.text : "Not measured yet";
    $("check-warning").textContent = head.warning || "";
    $("check-skips").textContent = head.skip_note || "";
    const answered = state.items.filter((i) => i.answer).length;
    $("check-progress").textContent = state.items.length
      ? `${answered} of ${state.items.length}`
      : "";
  }

  function classButtons() {
    const box = $("check-classes");
    box.replaceChildren();
    config.classes.forEach((name, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary class-button";
      button.textContent = `${i + 1} ${name}`;
      button.title = `The true class is ${name}`;
      button.addEventListener("click", () => give(null, name));
      box.append(button);
    });
  }

  function setButtons(enabled) {
    document.querySelectorAll("#check-buttons button").forEach((b) => {
      b.disabled = !enabled && b.id !== "check-undo";
    });
    $("check-draw").style.display = enabled ? "none" : "";
    $("check-draw").textContent = state && state.items.length
      ? `Check ${config.batch} more`
      : `Check ${config.batch} random spectra`;
  }

  function plot(wave, flux) {
    const box = $("check-plot");
    box.replaceChildren();
    if (!wave.length) {
      box.textContent = "This spectrum has no good pixels.";
      return;
    }
    const ns = "http://www.w3.org/2000/svg";
    // the box's own size as the drawing's: text and lines keep their shapes
    const width = Math.max(box.clientWidth, 300), height = Math.max(box.clientHeight, 200);
    const left = 60, bottom = 30;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const low = (a) => a.reduce((m, v) => (v < m ? v : m), Infinity);
    const high = (a) => a.reduce((m, v) => (v > m ? v : m), -Infinity);
    const [w0, w1] = [low(wave), high(wave)];
    let [f0, f1] = [low(flux), high(flux)];
    if (f1 === f0) { f0 -= 1; f1 += 1; }
    const x = (w) => left + ((w - w0) / (w1 - w0 || 1)) * (width - left - 10);
    const y = (f) => 10 + (1 - (f - f0) / (f1 - f0)) * (height - bottom - 20);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", wave.map((w, i) => `${x(w).toFixed(1)},${y(flux[i]).toFixed(1)}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#2855c8");
    line.setAttribute("stroke-width", "1.5");
    svg.append(line);
    const label = (text, px, py, anchor) => {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", px);
      t.setAttribute("y", py);
      t.setAttribute("font-size", "14");
      t.setAttribute("fill", "#5b6478");
      t.setAttribute("text-anchor", anchor);
      t.textContent = text;
      svg.append(t);
    };
    label(`${w0.toFixed(0)} Å`, left, height - 8, "start");
    label(`${w1.toFixed(0)} Å`, width - 10, height - 8, "end");
    label(f1.toPrecision(3), left - 6, 22, "end");
    label(f0.toPrecision(3), left - 6, height - bottom - 8, "end");
    box.append(svg);
  }

  async function show() {
    showHeadline();
    delete $("check-plot").dataset.order;
    current = state.next === null ? null : state.items.find((i) => i.order === state.next);
    if (!current) {
      $("check-predicted").textContent = "—";
      $("check-probability").textContent = "";
      $("check-path").textContent = "";
      $("check-plot").replaceChildren();
      setButtons(false);
      return;
    }
    setButtons(true);
    $("check-predicted").textContent = current.predicted;
    $("check-probability").textContent =
      current.probability === null ? "" : `(p = ${current.probability.toFixed(2)})`;
    $("check-path").textContent = current.path;
    try {
      const spectrum = await call(`${config.spectrum}?order=${current.order}`);
      if (current && spectrum.order === current.order) {
        plot(spectrum.wave, spectrum.flux);
        $("check-plot").dataset.order = String(current.order); // shown: ready for an answer
      }
    } catch (error) {
      $("check-plot").textContent = error.message;
    }
  }

  async function act(url, body, done) {
    if (busy) return;
    busy = true;
    try {
      state = await call(url, body);
      say(state.message || done);
      await show();
    } catch (error) {
      say(error.message, true);
    } finally {
      busy = false;
    }
  }

  function give(answer, truth) {
    if (!current) return;
    const body = { path: current.path, label: $("check-label").checked };
    if (truth !== null && truth !== undefined) {
      body.truth = truth;
      body.answer = truth === current.predicted ? "yes" : "no";
    } else {
      body.answer = answer;
    }
    const what = body.truth ? `${body.answer}: ${body.truth}` : body.answer.replace("_", " ");
    act(config.answers, body, `Answered ${what}.`);
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select")) return;
    const key = event.key.toLowerCase();
    const actions = {
      y: () => give("yes"), n: () => give("no"), s: () => give("skip"),
      b: () => give("bad_data"), u: () => act(config.undo, {}, "Undone."),
    };
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    } else if (/^[1-9]$/.test(key) && config.classes[Number(key) - 1] !== undefined) {
      event.preventDefault();
      give(null, config.classes[Number(key) - 1]);
    }
  }

  $("check-yes").addEventListener("click", () => give("yes"));
  $("check-no").addEventListener("click", () => give("no"));
  $("check-skip").addEventListener("click", () => give("skip"));
  $("check-bad").addEventListener("click", () => give("bad_data"));
  $("check-undo").addEventListener("click", () => act(config.undo, {}, "Undone."));
  $("check-draw").addEventListener("click", () =>
    act(config.state, { draw: config.batch }, `${config.batch} spectra drawn.`));
  document.addEventListener("keydown", onKey);
  classButtons();
  call(config.state)
    .then((data) => { state = data; return show(); })
    .catch((error) => say(error.message, true));
})();
