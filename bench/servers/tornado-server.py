"""The bench scenarios on Python Tornado 6 (the reference Typhoon ports), written as Tornado's docs show.

Started by bench/run.ts as `python3 tornado-server.py <scenario>` with BENCH_FIXTURE naming the data file;
prints `READY <port>` once listening on 127.0.0.1, or `SKIP <reason>` for a scenario it does not serve.
"""
import asyncio
import json
import os
import sys

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

FIXTURE = json.load(open(os.environ["BENCH_FIXTURE"], encoding="utf-8"))
SCENARIO = sys.argv[1]


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.write(FIXTURE["hello"])


class JsonHandler(tornado.web.RequestHandler):
    def get(self):
        self.write(FIXTURE["json"])


class UserHandler(tornado.web.RequestHandler):
    def get(self, user_id):
        self.write("User " + user_id)


class ItemHandler(tornado.web.RequestHandler):
    def initialize(self, section):
        self.section = section

    def get(self, item_id):
        self.write("section %d item %s" % (self.section, item_id))


class FormHandler(tornado.web.RequestHandler):
    def post(self):
        self.write(",".join(self.get_body_argument("f%d" % i) for i in range(10)))


class CookieHandler(tornado.web.RequestHandler):
    def get(self):
        # get_signed_cookie is Tornado 6.3's name for 6.2's get_secure_cookie.
        read_signed_cookie = getattr(self, "get_signed_cookie", None) or self.get_secure_cookie
        user = read_signed_cookie(FIXTURE["cookieName"])
        if user is None:
            raise tornado.web.HTTPError(403)
        self.write("Hello, " + user.decode())


class TemplateHandler(tornado.web.RequestHandler):
    def get(self):
        self.render(FIXTURE["templateName"], title=FIXTURE["title"], rows=FIXTURE["rows"])


class EchoHandler(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


def rule_indices():
    count = FIXTURE["ruleCount"]
    return [count - 1] if SCENARIO == "rules1" else range(count)


def make_app():
    settings = {}
    if SCENARIO == "hello":
        rules = [(r"/hello", HelloHandler)]
    elif SCENARIO == "json":
        rules = [(r"/json", JsonHandler)]
    elif SCENARIO == "param":
        rules = [(r"/user/(\d+)", UserHandler)]
    elif SCENARIO in ("rules1", "rules500"):
        rules = [(r"/section%d/item/(\d+)" % i, ItemHandler, {"section": i}) for i in rule_indices()]
    elif SCENARIO == "form":
        rules = [(r"/form", FormHandler)]
    elif SCENARIO == "cookie":
        rules = [(r"/cookie", CookieHandler)]
        settings["cookie_secret"] = FIXTURE["cookieSecret"]
    elif SCENARIO == "template":
        rules = [(r"/template", TemplateHandler)]
        settings["template_path"] = FIXTURE["templateDir"]
    elif SCENARIO in ("static", "revalidate"):
        rules = []
        settings["static_path"] = FIXTURE["staticDir"]
    elif SCENARIO == "websocket":
        rules = [(r"/ws", EchoHandler)]
    else:
        print("SKIP Tornado has no %r scenario" % SCENARIO, flush=True)
        sys.exit(3)
    return tornado.web.Application(rules, **settings)


async def main():
    app = make_app()
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    print("READY %d" % sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
