import { initAll as initGovuk } from "/static/js/govuk-frontend.min.js";
import { initAll as initMoj } from "/static/js/moj-frontend.min.js";

initGovuk();
initMoj();

// Contact form drafts: save what has been typed a moment after each change, and
// when the tab is hidden or closed, so nothing is lost to a time-out or a closed tab.
const form = document.querySelector("form[data-autosave-url]");
if (form) {
  const url = form.dataset.autosaveUrl;
  let timer = null;
  // Once the form is submitted the server keeps, replaces or discards the draft itself;
  // saving again as the page unloads would bring back a draft just submitted or discarded.
  let submitting = false;
  form.addEventListener("submit", () => {
    submitting = true;
    clearTimeout(timer);
  });
  window.addEventListener("pageshow", () => {
    submitting = false;
  });
  const save = (useBeacon) => {
    if (submitting) return;
    const body = new FormData(form);
    body.delete("action");
    if (useBeacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
    } else {
      fetch(url, { method: "POST", body, credentials: "same-origin" }).catch(() => {});
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => save(false), 1500);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save(true);
  });
}
