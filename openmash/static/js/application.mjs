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
  // Only what the user has changed since the last save is saved: opening the form, or
  // leaving it untouched, makes no draft.
  let changed = false;
  const save = (useBeacon) => {
    if (submitting || !changed) return;
    changed = false;
    const body = new FormData(form);
    body.delete("action");
    if (useBeacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
    } else {
      fetch(url, { method: "POST", body, credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) changed = true;
        })
        .catch(() => {
          changed = true;
        });
    }
  };
  const later = () => {
    changed = true;
    clearTimeout(timer);
    timer = setTimeout(() => save(false), 1500);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save(true);
  });
}

// Tables wider than a small screen scroll sideways in their own region, never the page
// (WCAG 1.4.10, reflow). Each table is put in a region (app-table-wrap in
// openmash.css) if its template did not; a region that scrolls can take the keyboard's
// focus, so it can be scrolled without a mouse, and is named after its table's caption.
const tableRegions = () => {
  for (const table of document.querySelectorAll("table.govuk-table")) {
    if (!table.parentElement.classList.contains("app-table-wrap")) {
      const region = document.createElement("div");
      region.className = "app-table-wrap";
      table.before(region);
      region.append(table);
    }
  }
  for (const region of document.querySelectorAll(".app-table-wrap")) {
    if (region.scrollWidth > region.clientWidth + 1) {
      const caption = region.querySelector("caption");
      const name = caption ? caption.textContent.trim().replace(/\s+/g, " ") : "Table";
      region.tabIndex = 0;
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", `${name} (scrolls sideways)`);
    } else if (region.hasAttribute("role")) {
      region.removeAttribute("tabindex");
      region.removeAttribute("role");
      region.removeAttribute("aria-label");
    }
  }
};
tableRegions();
let tableRegionsTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(tableRegionsTimer);
  tableRegionsTimer = setTimeout(tableRegions, 100);
});

// The print view's "Print this record" button.
for (const button of document.querySelectorAll("[data-print-page]")) {
  button.addEventListener("click", () => window.print());
}
