// Records a hash of the console's sources next to the built bundle, so the Python test suite
// can tell (without Node.js) when the committed bundle is older than its sources.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

export function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else out.push(path);
  }
  return out;
}

const root = new URL("..", import.meta.url).pathname;
const files = [
  "index.html",
  "package-lock.json",
  "vite.config.js",
  ...sourceFiles(join(root, "src")).map((p) => relative(root, p)),
];
const hash = createHash("sha256");
for (const file of files) {
  hash.update(file + "\n");
  hash.update(readFileSync(join(root, file)));
  hash.update("\n");
}
const stamp = { sources: hash.digest("hex"), files };
writeFileSync(
  join(root, "../src/tidings/console/static/build-stamp.json"),
  JSON.stringify(stamp, null, 1) + "\n",
);
