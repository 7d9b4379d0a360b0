// Typhoon features the bench servers use that src/ may not have yet, looked up at run time: a missing
// one makes its scenario report "skipped" with the missing name instead of failing the type check.
// The shapes are those of /work/shared/API.md.
import * as typhoon from "typhoon";
import { announceSkip } from "./fixture.js";

/** Root exports checked at run time, with the shapes the bench uses. */
export interface TyphoonApi {
  StaticFileHandler: abstract new (...args: never[]) => unknown;
}

/**
 * Returns the named exports of `typhoon`, or reports the scenario skipped (and exits) when one is missing.
 */
export function requireTyphoon<K extends keyof TyphoonApi>(...names: K[]): Pick<TyphoonApi, K> {
  const exported = typhoon as unknown as Record<string, unknown>;
  const missing = names.filter((name) => typeof exported[name] !== "function");
  if (missing.length > 0) announceSkip(`typhoon does not export ${missing.join(", ")} yet (src/index.ts)`);
  return exported as unknown as Pick<TyphoonApi, K>;
}
