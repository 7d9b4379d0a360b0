// docs/websockets.md quotes examples/websocket-chat/broadcast.ts (tested in examples.test.ts):
// the quote must stay identical to the file.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { test } from "node:test";

test("docs/websockets.md quotes examples/websocket-chat/broadcast.ts as it is", () => {
  const guide = readFileSync(new URL("../../docs/websockets.md", import.meta.url), "utf8");
  const quoted = /<!-- examples\/websocket-chat\/broadcast\.ts -->\n```ts\n([^]*?)```/.exec(guide)?.[1];
  assert.ok(quoted !== undefined, "the guide has the marked broadcast.ts block");
  const source = readFileSync(new URL("../../examples/websocket-chat/broadcast.ts", import.meta.url), "utf8");
  assert.equal(quoted, source);
});
