// Typhoon's version, read once from package.json (for the Server header and `version`).

import { readFileSync } from "node:fs";

/** The installed Typhoon version, e.g. `0.1.0`. Tornado: `tornado.version`. */
export const version: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
