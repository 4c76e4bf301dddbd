// The session page follows its running rounds: every 2 s it asks each one's status (JSON)
// and writes its jobs' phase and progress into the row, as text. It reloads once a round is
// ready, has failed or has started its next job: then the row gets new links and buttons.
const POLL_MS = 2000;

function show(row, which, job) {
  if (!job) return;
  const phase = row.querySelector(`[data-field="${which}-phase"]`);
  if (phase) {
    phase.textContent = job.phase;
    phase.className = `phase phase-${job.phase.toLowerCase()}`;
  }
  const progress = row.querySelector(`[data-field="${which}-progress"]`);
  if (progress) progress.textContent = job.progress_text;
}

function follow(row) {
  const tick = async () => {
    let status;
    try {
      const response = await fetch(row.dataset.statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      status = await response.json();
    } catch (error) {
      setTimeout(tick, 3 * POLL_MS); // the server restarts or the network hiccups: wait longer
      return;
    }
    const roundJob = status.round ? status.round.job_id : "";
    if (status.ready || status.failed || roundJob !== row.dataset.roundJob) {
      window.location.reload();
      return;
    }
    show(row, "train", status.train);
    show(row, "round", status.round);
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

document.querySelectorAll('tr[data-ready="0"][data-failed="0"]').forEach(follow);
