// Loaded before every test file (scripts/run-tests.mjs): a test fails when Typhoon logs a
// warning or error it did not expect (wrap expected ones in expectLog), as Tornado's runner does.
import { after, afterEach } from "node:test";
import { addLogHandler, formatLogRecord, LogLevel, type LogRecord } from "typhoon";

const unexpected: LogRecord[] = [];
addLogHandler((record) => {
  // Like Tornado's test runner, the access log is not checked: 4xx/5xx lines are normal there.
  if (record.logger === "typhoon.access") return;
  if (record.level >= LogLevel.WARNING) unexpected.push(record);
  else process.stderr.write(`${formatLogRecord(record)}\n`);
});

function failOnUnexpectedLogs(): void {
  if (unexpected.length === 0) return;
  const lines = unexpected.splice(0).map((record) => formatLogRecord(record));
  throw new Error(`unexpected log output (wrap it in expectLog if it is intended):\n${lines.join("\n")}`);
}

afterEach(failOnUnexpectedLogs);
after(failOnUnexpectedLogs);
