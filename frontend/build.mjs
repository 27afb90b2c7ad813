// Builds OpenMASH's front-end assets into ./dist, which Django serves as static files.
// The design systems' published CSS points at /assets/; Django serves them under
// /static/assets/, so the build rewrites those URLs rather than recompiling Sass.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const out = "dist";
const GOVUK = "node_modules/govuk-frontend/dist/govuk";
const MOJ = "node_modules/@ministryofjustice/frontend/moj";

rmSync(out, { recursive: true, force: true });
for (const dir of ["css", "js", "assets"]) mkdirSync(`${out}/${dir}`, { recursive: true });

const staticUrls = (css) => css.replaceAll("url(/assets/", "url(/static/assets/");
writeFileSync(`${out}/css/govuk-frontend.min.css`, staticUrls(readFileSync(`${GOVUK}/govuk-frontend.min.css`, "utf8")).replace(/\/\*# sourceMappingURL=.*\*\//, ""));
writeFileSync(`${out}/css/moj-frontend.min.css`, staticUrls(readFileSync(`${MOJ}/moj-frontend.min.css`, "utf8")).replace(/\/\*# sourceMappingURL=.*\*\//, ""));

cpSync(`${GOVUK}/assets`, `${out}/assets`, { recursive: true });
cpSync(`${MOJ}/assets`, `${out}/assets`, { recursive: true });
for (const [from, to] of [
  [`${GOVUK}/govuk-frontend.min.js`, "govuk-frontend.min.js"],
  [`${MOJ}/moj-frontend.min.js`, "moj-frontend.min.js"],
]) {
  writeFileSync(`${out}/js/${to}`, readFileSync(from, "utf8").replace(/\/\/# sourceMappingURL=.*$/m, ""));
}
console.log("front-end assets built in frontend/dist");
