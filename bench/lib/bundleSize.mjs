import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/** The browser SDK as an app would ship it: bundled, minified, `node:` modules left out; and gzipped. */
export async function bundleSize(root) {
  const result = await build({
    entryPoints: [`${root}packages/sdk/dist/index.js`],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: ["node:*"],
    write: false,
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}
