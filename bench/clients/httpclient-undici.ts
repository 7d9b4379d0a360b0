// The HTTP-client baseline: undici.request (the library under AsyncHTTPClient), body read as text,
// on undici's global dispatcher (no limit on connections per origin).
import { getGlobalDispatcher, request } from "undici";
import { runClientLoad } from "./client-loop.js";

await runClientLoad(() => ({
  async fetchOnce(url) {
    const response = await request(url);
    return { status: response.statusCode, body: await response.body.text() };
  },
  close: () => getGlobalDispatcher().close(),
}));
