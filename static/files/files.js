// The file manager page: folder uploads keep their relative paths, the selection toolbar
// (with "select all N matching", applied by the server to the filter), and drag-and-drop
// uploads sent in resumable chunks with a progress bar per file. User text reaches the
// page through textContent only.
(function () {
  "use strict";

  // Django keeps only the base name of an uploaded file, so a folder upload sends each
  // file's path inside the folder in a parallel field, in the same order as the files.
  const tree = document.querySelector("input[name=tree]");
  const holder = document.querySelector(".tree-paths");
  if (tree && holder) {
    tree.addEventListener("change", function () {
      holder.replaceChildren();
      for (const file of tree.files) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "tree_paths";
        field.value = file.webkitRelativePath || file.name;
        holder.appendChild(field);
      }
    });
  }

  // --- selection ---------------------------------------------------------------------
  const boxes = Array.from(document.querySelectorAll("input[name=paths][form=selection]"));
  const all = document.querySelector(".pick-all");
  const count = document.querySelector(".selection .picked");
  const scope = document.querySelector(".selection .picked-scope");
  const buttons = document.querySelectorAll(".selection .needs-pick");
  const matchingField = document.querySelector(".selection input[name=all_matching]");
  const matchingButton = document.querySelector(".selection .select-matching");
  const nMatching = matchingButton ? Number(matchingButton.dataset.matching) : 0;

  function refresh() {
    const picked = boxes.filter((box) => box.checked).length;
    const everything = matchingField && matchingField.value === "1";
    if (count) count.textContent = everything ? nMatching.toLocaleString("en") : String(picked);
    if (scope) scope.textContent = everything ? ": every match, on all pages" : "";
    buttons.forEach((button) => {
      button.disabled = picked === 0 || (everything && button.classList.contains("pick-only"));
    });
    if (all) {
      all.checked = picked > 0 && picked === boxes.length;
      all.indeterminate = picked > 0 && picked < boxes.length;
    }
    if (matchingButton) matchingButton.hidden = !(all && all.checked) || everything;
  }
  function pickPage() {
    if (matchingField) matchingField.value = "";  // a change by hand: only the ticked rows
    refresh();
  }
  boxes.forEach((box) => box.addEventListener("change", pickPage));
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach((box) => { box.checked = all.checked; });
      pickPage();
    });
  }
  if (matchingButton) {
    matchingButton.addEventListener("click", function () {
      matchingField.value = "1";
      refresh();
    });
  }
  refresh();

  // Overlay: the ticked files' paths go in the address (a GET page: nothing changes).
  const overlay = document.querySelector(".selection [data-overlay]");
  if (overlay) {
    overlay.addEventListener("click", function () {
      const query = new URLSearchParams();
      boxes.filter((box) => box.checked).forEach((box) => query.append("paths", box.value));
      window.location.assign(overlay.dataset.overlay + "?" + query.toString());
    });
  }

  // --- drag-and-drop uploads -----------------------------------------------------------
  const form = document.querySelector("form.upload[data-chunked]");
  const panel = document.getElementById("transfers");
  const hint = document.getElementById("drop-hint");
  if (!form || !panel) return;
  const startUrl = form.dataset.chunked;
  const folder = form.querySelector("input[name=folder]").value;
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const list = panel.querySelector(".transfer-list");

  function request(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.responseType = "json";
      if (onProgress) xhr.upload.addEventListener("progress", onProgress);
      xhr.addEventListener("load", function () {
        const answer = xhr.response || {};
        if (xhr.status >= 200 && xhr.status < 300) resolve(answer);
        else reject({status: xhr.status, answer: answer});
      });
      xhr.addEventListener("error", () => reject({status: 0, answer: {}}));
      xhr.send(body);
    });
  }

  function row(relative, size) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "transfer-name";
    name.textContent = relative;
    const bar = document.createElement("progress");
    bar.max = Math.max(size, 1);
    bar.value = 0;
    const state = document.createElement("span");
    state.className = "transfer-state muted";
    state.textContent = "waiting";
    item.append(name, bar, state);
    list.appendChild(item);
    return {item: item, bar: bar, state: state};
  }

  // One file: open an upload, then send it chunk by chunk from where the server is; after
  // a broken connection ask the server how many bytes it has and go on from there.
  // The same file dropped again (after a closed tab or a lost connection) goes on from the
  // bytes the server already has: its upload id is remembered in this browser.
  function remembered(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function remember(key, value) {
    try {
      if (value) window.localStorage.setItem(key, JSON.stringify(value));
      else window.localStorage.removeItem(key);
    } catch (e) { /* private mode: no resuming across page loads */ }
  }
  async function openUpload(file, relative, key) {
    const known = remembered(key);
    if (known) {
      try {
        const status = await request("GET", startUrl + known.id);
        if (status.size === file.size) return {id: known.id, chunk: known.chunk, offset: status.offset};
      } catch (e) { /* finished, expired or unknown: start again */ }
    }
    const form = new FormData();
    form.append("folder", folder);
    form.append("path", relative);
    form.append("size", String(file.size));
    const opened = await request("POST", startUrl, form);
    if (opened.done) return {done: opened.message || "done"};  // an empty file
    remember(key, {id: opened.id, chunk: opened.chunk_bytes});
    return {id: opened.id, chunk: opened.chunk_bytes, offset: 0};
  }

  async function send(file, relative, shown) {
    const key = ["vocloud-upload", folder, relative, file.size, file.lastModified].join("|");
    const opened = await openUpload(file, relative, key);
    if (opened.done) return opened.done;
    const url = startUrl + opened.id;
    const chunk = opened.chunk;
    let offset = opened.offset;
    let retries = 0;
    for (;;) {
      const end = Math.min(offset + chunk, file.size);
      const base = offset;
      try {
        const answer = await request("POST", url + "?offset=" + offset, file.slice(offset, end),
          (event) => { shown.bar.value = base + event.loaded; });
        offset = answer.offset;
        shown.bar.value = offset;
        shown.state.textContent = Math.floor((100 * offset) / Math.max(file.size, 1)) + "%";
        if (answer.done) {
          remember(key, null);
          return answer.message || "done";
        }
        retries = 0;
      } catch (failure) {
        if (failure.status && failure.status !== 409) throw failure;
        if (++retries > 5) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 500 * retries));
        offset = (await request("GET", url)).offset;  // resume where the server is
      }
    }
  }

  async function uploadAll(files) {
    panel.hidden = false;
    const rows = files.map((f) => [f, row(f.relative, f.file.size)]);
    let failed = 0;
    for (const [entry, shown] of rows) {
      shown.state.textContent = "0%";
      try {
        await send(entry.file, entry.relative, shown);
        shown.bar.value = shown.bar.max;
        shown.state.textContent = "done";
        shown.item.classList.add("done");
      } catch (failure) {
        failed += 1;
        shown.item.classList.add("failed");
        const answer = failure.answer || {};
        shown.state.textContent = answer.error || "The upload failed: try again.";
      }
    }
    if (!failed) {
      const note = document.createElement("li");
      note.className = "transfer-summary";
      note.textContent = "Uploaded " + files.length + " file(s); refreshing the list…";
      list.appendChild(note);
      setTimeout(() => window.location.reload(), 800);
    }
  }

  // Dropped folders are walked with the File and Directory Entries API.
  function readEntries(reader) {
    return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  }
  async function walk(entry, prefix, found) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      found.push({file: file, relative: prefix + file.name});
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
        for (const child of batch) await walk(child, prefix + entry.name + "/", found);
      }
    }
  }
  async function dropped(transfer) {
    // The items are readable only while the drop event runs: take them all before waiting.
    const items = Array.from(transfer.items || []).filter((item) => item.kind === "file");
    const entries = items.map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
    const plain = items.length ? items.map((item) => item.getAsFile()) : Array.from(transfer.files || []);
    const found = [];
    for (let i = 0; i < plain.length; i++) {
      if (entries[i]) await walk(entries[i], "", found);
      else if (plain[i]) found.push({file: plain[i], relative: plain[i].name});
    }
    return found;
  }

  let depth = 0;
  function carriesFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");
  }
  document.addEventListener("dragenter", function (event) {
    if (!carriesFiles(event)) return;
    depth += 1;
    if (hint) hint.hidden = false;
  });
  document.addEventListener("dragleave", function () {
    depth = Math.max(0, depth - 1);
    if (hint && depth === 0) hint.hidden = true;
  });
  document.addEventListener("dragover", function (event) {
    if (carriesFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", async function (event) {
    if (!event.dataTransfer) return;
    event.preventDefault();
    depth = 0;
    if (hint) hint.hidden = true;
    const files = await dropped(event.dataTransfer);
    if (files.length) uploadAll(files);
  });
})();
