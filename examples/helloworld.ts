// Tornado's helloworld demo: one handler, one route.
import { Application, enablePrettyLogging, RequestHandler } from "typhoon";

class MainHandler extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
}

enablePrettyLogging();
const port = Number(process.env.PORT ?? 8888);
const app = new Application([["/", MainHandler]]);
await app.listen(port);
console.log(`Listening on http://localhost:${port}/`);
