// Writes the run's fixture: the data file every server reads (BENCH_FIXTURE), the 64 KiB static file,
// and a fresh Tornado v2 signed cookie. Everything lives in one temporary directory removed at exit.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fixture, Row } from "../servers/shared/fixture.js";
import { createSignedValueV2 } from "../servers/shared/signed-value.js";
import { ROOT } from "./build.js";

/** The fixture plus where it was written. */
export interface WrittenFixture {
  fixture: Fixture;
  path: string;
  staticBytes: Buffer;
  /** `f0=...&f1=...`, the urlencoded body of the form scenario. */
  formBody: string;
  /** The answer every server gives to the form: the ten decoded values joined by commas. */
  formAnswer: string;
}

/** Creates the fixture directory; it is deleted when the harness exits. */
export function writeFixture(): WrittenFixture {
  const dataDir = mkdtempSync(join(tmpdir(), "typhoon-bench-"));
  process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
  const staticDir = join(dataDir, "static");
  mkdirSync(staticDir);
  const staticFile = "data64k.bin";
  const staticBytes = randomBytes(64 * 1024);
  writeFileSync(join(staticDir, staticFile), staticBytes);

  const rows: Row[] = Array.from({ length: 100 }, (_, i) => ({
    id: i,
    name: `<b>User ${i}</b>`,
    email: `user${i}@example.com`,
    note: `"Tom" & 'Jerry' <${i}>`,
  }));
  const formFields: [string, string][] = Array.from({ length: 10 }, (_, i) => [`f${i}`, `value ${i} & more!`]);
  const cookieSecret = randomBytes(24).toString("hex");
  const cookieName = "session";
  const cookieUser = "user42";
  const fixture: Fixture = {
    hello: "Hello, world!",
    json: { message: "Hello, world!" },
    ruleCount: 500,
    formFields,
    cookieSecret,
    cookieName,
    cookieUser,
    signedCookie: createSignedValueV2(cookieSecret, cookieName, cookieUser, Date.now() / 1000),
    title: "Users & <friends>",
    rows,
    dataDir,
    staticDir,
    staticFile,
    templateDir: join(ROOT, "bench", "servers", "templates"),
    templateName: "page.html",
  };
  const path = join(dataDir, "fixture.json");
  writeFileSync(path, JSON.stringify(fixture));
  return {
    fixture,
    path,
    staticBytes,
    formBody: new URLSearchParams(formFields).toString(),
    formAnswer: formFields.map(([, value]) => value).join(","),
  };
}
