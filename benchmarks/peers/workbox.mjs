// Workbox's generateSW over a folder, as a Workbox user would run it on a build's output: every file
// precached, production mode, no source map. Prints what it reports as JSON.
// usage: node workbox.mjs <folder> <sw.js to write> [hashed-url-regex]
import { generateSW } from "workbox-build";

const [folder, swDest, hashed] = process.argv.slice(2);
const result = await generateSW({
  globDirectory: folder,
  globPatterns: ["**/*"],
  globIgnores: ["**/*.br", "**/*.gz", "sw.js"],
  swDest,
  mode: "production",
  sourcemap: false,
  maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
  ...(hashed ? { dontCacheBustURLsMatching: new RegExp(hashed) } : {}),
});
console.log(JSON.stringify({ count: result.count, size: result.size, warnings: result.warnings }));
