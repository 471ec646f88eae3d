// Copies the npm-installed front-end assets into the Django static tree, so pages load them
// from our own origin (no CDN, no third-party request from a creator's browser).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "academy", "web", "static", "vendor");

const assets = [
  ["node_modules/@picocss/pico/css/pico.min.css", "pico/pico.min.css"],
  ["node_modules/@picocss/pico/LICENSE.md", "pico/LICENSE.md"],
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["node_modules/htmx.org/LICENSE", "htmx/LICENSE"],
  // Charts: Vega-Lite specs written by Altair (its schema version must match vega-lite's).
  ["node_modules/vega/build/vega.min.js", "vega/vega.min.js"],
  ["node_modules/vega/LICENSE", "vega/LICENSE.vega"],
  ["node_modules/vega-lite/build/vega-lite.min.js", "vega/vega-lite.min.js"],
  ["node_modules/vega-lite/LICENSE", "vega/LICENSE.vega-lite"],
  ["node_modules/vega-embed/build/vega-embed.min.js", "vega/vega-embed.min.js"],
  ["node_modules/vega-embed/LICENSE", "vega/LICENSE.vega-embed"],
];

// The source maps are not shipped, so their comments go: a manifest static storage would
// otherwise fail on the missing files.
const withoutSourceMap = (text) => text.replace(/^\/\/# sourceMappingURL=.*$/gm, "");

for (const [from, to] of assets) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  const text = readFileSync(join(root, from), "utf8");
  writeFileSync(target, to.endsWith(".js") ? withoutSourceMap(text) : text);
  console.log(`static/vendor/${to}`);
}
