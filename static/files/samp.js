// Send to TOPCAT / Send to SPLAT in the file manager: the server signs links to the chosen
// files (files:samp_links), window.vocloudSamp calls the desktop tools with them, and the
// page says what each tool answered ("topcat loaded 2 tables", or its error).
(function () {
  "use strict";
  const bar = document.querySelector("[data-samp-links]");
  if (!bar || !window.vocloudSamp) return;
  const samp = window.vocloudSamp;
  const message = document.getElementById("samp-message");
  const TOOL = { table: "TOPCAT", spectrum: "SPLAT" };
  const NOUN = { table: ["table", "tables"], spectrum: ["spectrum", "spectra"] };
  const TAKES = { table: "VOTables and FITS tables", spectrum: "FITS and VOTable spectra" };

  samp.watchHub(document.getElementById("samp-hub"));

  function say(text, kind) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    message.replaceChildren(item);
    message.hidden = false;
  }

  function chosen(button) {
    if (button.dataset.path) return [button.dataset.path];
    return Array.from(document.querySelectorAll("input[name=paths][form=selection]:checked"),
      (box) => box.value);
  }

  async function signedLinks(paths, purpose) {
    const body = new URLSearchParams({ purpose: purpose });
    paths.forEach((path) => body.append("paths", path));
    const token = bar.querySelector("input[name=csrfmiddlewaretoken]").value;
    const response = await fetch(bar.dataset.sampLinks, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `The server answered ${response.status}.`);
    return answer;
  }

  function count(n, purpose) {
    return `${n} ${NOUN[purpose][n === 1 ? 0 : 1]}`;
  }

  function skippedText(skipped) {
    if (!skipped.length) return "";
    const names = skipped.slice(0, 3).map((s) => `${s.path} (${s.reason})`).join(", ");
    return `; skipped ${names}${skipped.length > 3 ? ` and ${skipped.length - 3} more` : ""}`;
  }

  async function send(button) {
    const purpose = button.dataset.sampSend;
    const paths = chosen(button);
    if (!paths.length) return say("Choose files to send first.", "error");
    button.disabled = true;
    say(`Sending to ${TOOL[purpose]}…`, "busy");
    try {
      await samp.connect(); // before signing links: no hub, no links
      const answer = await signedLinks(paths, purpose);
      if (!answer.files.length) {
        return say(`Nothing to send: ${TOOL[purpose]} takes ${TAKES[purpose]}` +
          `${skippedText(answer.skipped)}.`, "error");
      }
      const loaded = new Map(); // tool name -> files it loaded
      const problems = []; // one sentence per refusal, warning or silence
      for (const file of answer.files) {
        const replies = purpose === "table"
          ? await samp.sendTable({ url: file.url, name: file.table.name, tableId: file.table.table_id,
            format: file.table.format })
          : await samp.sendSpectrum({ url: file.url, name: file.spectrum.name, meta: file.spectrum.meta });
        for (const reply of replies) {
          if (reply.status === "ok" || reply.status === "warning") {
            loaded.set(reply.name, (loaded.get(reply.name) || 0) + 1);
          }
          if (reply.status !== "ok") {
            problems.push(samp.describeReplies([reply], { done: `loaded ${file.name}`, what: file.name }).text);
          }
        }
      }
      const head = loaded.size
        ? Array.from(loaded, ([name, n]) => `${name} loaded ${count(n, purpose)}`).join(", ")
        : "Nothing was loaded";
      say([`${head}${skippedText(answer.skipped)}.`, ...problems].join(" "),
        problems.length ? "error" : "success");
    } catch (error) {
      say(error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  document.querySelectorAll("[data-samp-send]").forEach((button) => {
    button.addEventListener("click", () => send(button));
  });
})();
