// Forms with data-confirm="question?" ask before they submit. It lives here, not in an
// onsubmit attribute, because the Content-Security-Policy runs no inline handlers.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
