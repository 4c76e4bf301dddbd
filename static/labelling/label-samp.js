/* SAMP on the labelling page: the sample to TOPCAT, the selected spectra to SPLAT, and row
 * selections made in TOPCAT selected here. label.js calls vocloudLabelSamp.wire(page) with
 *   page.cfg        the page's config (sampUrl, fileLinksUrl)
 *   page.root       the element that holds the panel (the page's body, or the widget)
 *   page.transport  label.js's way to the server (get, postForm)
 *   page.say(text, isError)   show a message next to the action
 *   page.selection()          indices of the selected points
 *   page.select(rows)         select these points
 *   page.size()               number of points
 *   page.pathOf(i)            the spectrum path of point i
 *
 * Every Send to TOPCAT is a new table for TOPCAT (the server hands out a new table-id each
 * time: TOPCAT refuses one it has loaded), so the page remembers every table-id and URL it
 * sent: a row selection about any of them selects the rows here. What the page says comes
 * from the tools' replies ("topcat loaded the sample (40 rows)", or TOPCAT's error).
 */
(function () {
  "use strict";
  function count(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  // One panel's SAMP buttons (a notebook may show several panels, each with its own tables).
  function wire(page) {
    const { cfg, transport, say } = page;
    const sentIds = new Set(); // table-ids of the samples this page sent
    const sentUrls = new Set(); // ... and their URLs: a tool may quote either

    // Rows selected in TOPCAT are selected here too, once the user has sent the sample (the
    // page registers with the hub only when asked to: no consent dialog on opening it).
    let listening = false;
    function listenToTopcat(samp) {
      if (listening || !samp.onRowSelection) return;
      listening = true;
      samp.onRowSelection((params) => {
        if (!sentIds.has(params.tableId) && !sentUrls.has(params.url)) return;
        const n = page.size();
        const rows = params.rowList.filter((i) => Number.isInteger(i) && i >= 0 && i < n);
        page.select(rows);
        say(`${count(rows.length, "row", "rows")} selected in ${params.senderName || "another application"}.`);
      }).catch(() => { listening = false; });
    }

    async function spectrumLinks(paths) {
      const fields = paths.map((path) => ["paths", path]);
      fields.push(["purpose", "spectrum"]);
      return transport.postForm(cfg.fileLinksUrl, fields);
    }

    async function sendSample(samp) {
      const links = await transport.get(cfg.sampUrl);
      sentIds.add(links.table_id);
      sentUrls.add(links.table_url);
      listenToTopcat(samp);
      const n = page.size();
      const replies = await samp.sendTable({ url: links.table_url, name: links.name, tableId: links.table_id });
      const told = samp.describeReplies(replies, {
        done: `loaded the sample (${count(n, "row", "rows")})`, what: "the sample",
      });
      const rows = page.selection();
      if (told.ok && rows.length) {
        // A tool that loads tables but takes no row selections is no failure of the send.
        await samp.selectRows({ tableId: links.table_id, url: links.table_url, rowList: rows }).then(
          () => { told.text += ` ${count(rows.length, "row", "rows")} selected there.`; },
          () => {}
        );
      }
      say(told.text, !told.ok);
    }

    // One call per spectrum; the page sums the replies up per tool, errors in full.
    async function sendSpectra(samp, rows) {
      const links = await spectrumLinks(rows.map((i) => page.pathOf(i)));
      const loaded = new Map(); // tool name -> spectra it loaded
      const problems = [];
      for (const item of links.files) {
        const replies = await samp.sendSpectrum({ url: item.url, name: item.spectrum.name, meta: item.spectrum.meta });
        for (const reply of replies) {
          if (reply.status === "ok" || reply.status === "warning") {
            loaded.set(reply.name, (loaded.get(reply.name) || 0) + 1);
          }
          if (reply.status !== "ok") {
            problems.push(samp.describeReplies([reply], { done: `loaded ${item.name}`, what: item.name }).text);
          }
        }
      }
      const parts = Array.from(loaded, ([name, k]) => `${name} loaded ${count(k, "spectrum", "spectra")}.`);
      if (links.skipped.length) parts.push(`${links.skipped.length} skipped: ${links.skipped[0].reason}.`);
      say(parts.concat(problems.slice(0, 3)).join(" ") || "Nothing was sent.", loaded.size === 0);
    }

    function wireSamp() {
      const samp = window.vocloudSamp;
      const status = page.root.querySelector("#samp-status");
      if (!samp) { status.textContent = "SAMP unavailable"; return; }
      samp.watchHub(status);
      const topcat = page.root.querySelector("#send-topcat");
      topcat.addEventListener("click", async () => {
        topcat.disabled = true;
        say("Sending the sample to TOPCAT…");
        try { await sendSample(samp); } catch (error) { say(error.message, true); }
        topcat.disabled = false;
      });
      const splat = page.root.querySelector("#send-splat");
      splat.addEventListener("click", async () => {
        const rows = page.selection();
        if (!rows.length) { say("Select the spectra to send first.", true); return; }
        splat.disabled = true;
        say(`Sending ${count(rows.length, "spectrum", "spectra")} to SPLAT…`);
        try { await sendSpectra(samp, rows); } catch (error) { say(error.message, true); }
        splat.disabled = false;
      });
    }

    wireSamp();
  }

  window.vocloudLabelSamp = Object.freeze({ wire });
})();
