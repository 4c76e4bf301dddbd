// The session page reloads while a round's jobs run, so that its table shows their progress.
if (document.querySelector('tr[data-ready="0"]') && !document.querySelector(".error")) {
  setTimeout(() => window.location.reload(), 4000);
}
