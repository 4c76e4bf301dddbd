/* SAMP on the labelling page: the sample to TOPCAT, the selected spectra to SPLAT, and row
 * selections made in TOPCAT selected here. label.js calls vocloudLabelSamp.wire(page) with
 *   page.cfg        the page's config (sampUrl, fileLinksUrl)
 *   page.csrf       the CSRF token
 *   page.say(text, isError)   show a message next to the action
 *   page.selection()          indices of the selected points
 *   page.select(rows)         select these points
 *   page.size()               number of points
 *   page.pathOf(i)            the spectrum path of point i
 */
(function () {
  "use strict";
  let page, cfg, csrf, say;
  function selection() { return page.selection(); }

  // Rows selected in TOPCAT are selected here too, once the user has sent the sample (the
  // page registers with the hub only when asked to: no consent dialog on opening it).
  let listening = false;
  function listenToTopcat(samp, tableId) {
    if (listening || !samp.onRowSelection) return;
    listening = true;
    samp.onRowSelection((params) => {
      if (params.tableId !== tableId) return;
      const n = page.size();
      const rows = params.rowList.filter((i) => i >= 0 && i < n);
      page.select(rows);
      say(`${rows.length} rows selected in ${params.sender || "another application"}.`);
    }).catch(() => { listening = false; });
  }

  async function spectrumLinks(paths) {
    const form = new URLSearchParams();
    for (const path of paths) form.append("paths", path);
    form.append("purpose", "spectrum");
    const response = await fetch(cfg.fileLinksUrl, {
      method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function wireSamp() {
    const samp = window.vocloudSamp;
    const status = document.getElementById("samp-status");
    if (!samp) { status.textContent = "SAMP unavailable"; return; }
    samp.watchHub(status);
    document.getElementById("send-topcat").addEventListener("click", async () => {
      try {
        const response = await fetch(cfg.sampUrl, { credentials: "same-origin" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const links = await response.json();
        await samp.sendTable({ url: links.table_url, name: links.name, tableId: links.table_id });
        const rows = selection();
        if (rows.length) await samp.selectRows({ tableId: links.table_id, url: links.table_url, rowList: rows });
        listenToTopcat(samp, links.table_id);
        say(`Sent the sample (${page.size()} rows) to TOPCAT${rows.length ? `, ${rows.length} selected` : ""}.`);
      } catch (error) { say(error.message, true); }
    });
    document.getElementById("send-splat").addEventListener("click", async () => {
      const rows = selection();
      if (!rows.length) { say("Select the spectra to send first.", true); return; }
      try {
        const links = await spectrumLinks(rows.map((i) => page.pathOf(i)));
        for (const item of links.files) {
          await samp.sendSpectrum({ url: item.url, name: item.spectrum.name, meta: item.spectrum.meta });
        }
        const skipped = links.skipped.length ? ` (${links.skipped.length} skipped: ${links.skipped[0].reason})` : "";
        say(`Sent ${links.files.length} spectra to SPLAT${skipped}.`);
      } catch (error) { say(error.message, true); }
    });
  }

  window.vocloudLabelSamp = {
    wire(p) {
      page = p; cfg = p.cfg; csrf = p.csrf; say = p.say;
      wireSamp();
    },
  };
})();
