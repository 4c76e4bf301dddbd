// Live view of one job: polls its status while it is active and updates the page.
// User text goes into the page with textContent only.
(function () {
  const card = document.getElementById("job");
  if (!card) return;
  const url = card.dataset.statusUrl;
  const initialPhase = card.dataset.phase;

  function renderResults(results) {
    const list = document.getElementById("results");
    list.replaceChildren();
    if (!results.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "None yet.";
      list.append(li);
      return;
    }
    for (const r of results) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.id;
      const info = document.createElement("span");
      info.className = "muted";
      info.textContent = ` ${r.mime_type}, ${r.size_text}`;
      li.append(a, info);
      if (r.signed_url) {  // tables and spectra only: what TOPCAT or SPLAT can open
        const copy = document.createElement("a");
        copy.href = r.signed_url;
        copy.textContent = "link for TOPCAT/SPLAT";
        copy.title = "A signed link that works without logging in, until it expires";
        li.append(" · ", copy);
      }
      list.append(li);
    }
  }

  function utc(iso) {
    return iso ? iso.replace("T", " ").slice(0, 19) + " UTC" : "—";
  }

  function render(s) {
    const phase = document.getElementById("phase");
    phase.textContent = s.phase;
    phase.className = "phase phase-" + s.phase.toLowerCase();
    const fraction = s.phase === "COMPLETED" ? 1 : (s.progress || 0);
    document.getElementById("progress-bar").style.width = Math.round(fraction * 100) + "%";
    document.getElementById("progress-text").textContent =
      s.message ? `${Math.round(fraction * 100)} % · ${s.message}` : "";
    const error = document.getElementById("error");
    error.hidden = !s.error;
    error.textContent = s.error || "";
    document.getElementById("abort-form").hidden = !s.active;
    if (s.start_time) document.getElementById("start-time").textContent = utc(s.start_time);
    if (s.end_time) document.getElementById("end-time").textContent = utc(s.end_time);
    renderResults(s.results);
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const status = await response.json();
      render(status);
      if (status.active) {
        setTimeout(poll, 1000);
      } else if (status.phase === "COMPLETED" && initialPhase !== "COMPLETED" && card.dataset.presents) {
        // This kind's results are presented by the server: fetch the finished page once.
        window.location.reload();
      }
    } catch (e) {
      setTimeout(poll, 3000);
    }
  }
  if (["PENDING", "QUEUED", "EXECUTING", "SUSPENDED", "HELD"].includes(initialPhase)) poll();
})();
