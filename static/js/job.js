// Live view of one job: polls its status while it is active and updates the page.
(function () {
  const card = document.getElementById("job");
  if (!card) return;
  const url = card.dataset.statusUrl;

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
      info.textContent = ` ${r.mime_type}, ${r.size} bytes · `;
      const copy = document.createElement("a");
      copy.href = r.signed_url;
      copy.textContent = "link for TOPCAT/SPLAT";
      copy.title = "A signed link that works without logging in, until it expires";
      li.append(a, info, copy);
      list.append(li);
    }
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
    if (s.start_time) document.getElementById("start-time").textContent = s.start_time.replace("T", " ").slice(0, 19);
    if (s.end_time) document.getElementById("end-time").textContent = s.end_time.replace("T", " ").slice(0, 19);
    renderResults(s.results);
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const status = await response.json();
      render(status);
      if (status.active) setTimeout(poll, 1000);
    } catch (e) {
      setTimeout(poll, 3000);
    }
  }
  poll();
})();
