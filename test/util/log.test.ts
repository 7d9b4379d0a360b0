// Tests of the loggers and Tornado's line format. Mirrors tornado/test/log_test.py (LogFormatterTest).
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { appLog, enablePrettyLogging, expectLog, formatLogRecord, getLogger, LogLevel, setLogLevel } from "typhoon";

test("formatLogRecord: [L yymmdd hh:mm:ss module:line] message, stack on following lines", () => {
  const time = new Date(2025, 0, 2, 3, 4, 5).getTime();
  const record = { logger: "x", level: LogLevel.INFO, levelName: "INFO", message: "200 GET / (127.0.0.1) 0.42ms", time, module: "web", line: 123 };
  assert.equal(formatLogRecord(record), "[I 250102 03:04:05 web:123] 200 GET / (127.0.0.1) 0.42ms");
  assert.equal(formatLogRecord(record, true), "\x1b[32m[I 250102 03:04:05 web:123]\x1b[39m 200 GET / (127.0.0.1) 0.42ms");
  const withError = formatLogRecord({ ...record, level: LogLevel.ERROR, levelName: "ERROR", error: new Error("boom") });
  assert.match(withError, /^\[E 250102 03:04:05 web:123\] 200 GET .*\nError: boom\n\s+at /);
});

test("enablePrettyLogging shows info lines with the calling module and line", () => {
  const stream = new PassThrough();
  let output = "";
  stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
  enablePrettyLogging({ stream, color: false });
  try {
    getLogger("typhoon.test-pretty").info("hello %s", "world");
  } finally {
    setLogLevel("warning");
    enablePrettyLogging({ stream: new PassThrough(), level: "warning" });
  }
  assert.match(output, /^\[I \d{6} \d\d:\d\d:\d\d log\.test:\d+\] hello world\n$/);
});

test("levels: records below the level are dropped; isEnabledFor tells", () => {
  const logger = getLogger("typhoon.test-levels");
  logger.setLevel("error");
  assert.equal(logger.isEnabledFor(LogLevel.WARNING), false);
  assert.equal(logger.isEnabledFor(LogLevel.ERROR), true);
  logger.setLevel(null);
  assert.equal(logger.level, null);
});

test("expectLog swallows matching lines and fails when none appear", async () => {
  await expectLog(appLog, "expected", () => appLog.error("expected line"));
  await assert.rejects(
    expectLog(appLog, "never", () => undefined),
    (error: Error & { code?: string }) => error.code === "TYPHOON_ERR_EXPECTED_LOG_MISSING",
  );
  await expectLog(appLog, "optional", () => undefined, { required: false });
  await expectLog(appLog, /ERR.R only/, () => appLog.warning("ERROR only"), { level: "warning" });
});
