// The run page without reloading: ask for the run's progress every few seconds, show it,
// and load the page again once the run has finished (or failed) to show the results.
// Without JavaScript the page works the same with its "Check progress" button.
const box = document.querySelector("[data-progress-url]");
if (box) {
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-progress-text]");
  const refresh = box.querySelector("[data-progress-refresh]");
  if (refresh) refresh.classList.add("govuk-!-display-none");
  const every = Number(box.dataset.pollMs) || 2000;
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.progressUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const progress = await response.json();
        if (progress.finished || progress.failed) {
          window.location.reload();
          return;
        }
        if (bar && bar.hasAttribute("value")) {
          bar.value = progress.percent;
          bar.textContent = `${progress.percent}%`;
        }
        if (text && text.textContent !== progress.text) text.textContent = progress.text;
      }
    } catch (error) {
      // The server is busy or the connection dropped: try again next time.
    }
    window.setTimeout(poll, every);
  };
  window.setTimeout(poll, every);
}
