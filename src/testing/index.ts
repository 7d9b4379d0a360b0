// typhoon/testing: helpers for testing Typhoon applications (tornado.testing).
export { expectLog, ExpectedLogMissingError, type ExpectLogOptions } from "./expect-log.js";
export { createTestServer, type TestServer } from "./test-server.js";
