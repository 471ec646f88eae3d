// Copies the npm-installed front-end assets into the Django static tree, so pages load them
// from our own origin (no CDN, no third-party request from a creator's browser).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "academy", "web", "static", "vendor");

const assets = [
  ["node_modules/@picocss/pico/css/pico.min.css", "pico/pico.min.css"],
  ["node_modules/@picocss/pico/LICENSE.md", "pico/LICENSE.md"],
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["node_modules/htmx.org/LICENSE", "htmx/LICENSE"],
];

for (const [from, to] of assets) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, from), target);
  console.log(`static/vendor/${to}`);
}
