// Tests of typhoon's options module, mirroring tornado/test/options_test.py.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { OptionParser, OptionsError, options as globalOptions, define } from "typhoon";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));
const argv = (...args: string[]): string[] => ["node", "main.ts", ...args];
const props = (parser: OptionParser): Record<string, unknown> => parser as unknown as Record<string, unknown>;

class Email {
  readonly value: string;
  constructor(value: string) {
    if (!value.includes("@")) throw new Error(`not an e-mail address: ${value}`);
    this.value = value;
  }
}

function defineTypes(): OptionParser {
  const parser = new OptionParser();
  parser.define("str", { type: "string" });
  parser.define("basestring", { type: "string" });
  parser.define("int", { type: "integer" });
  parser.define("float", { type: "number" });
  parser.define("datetime", { type: "date" });
  parser.define("timedelta", { type: "duration" });
  parser.define("email", { type: (text) => new Email(text) });
  parser.define("list-of-int", { type: "integer", multiple: true });
  return parser;
}

function checkTypes(parser: OptionParser): void {
  const values = props(parser);
  assert.equal(values["str"], "asdf");
  assert.equal(values["basestring"], "qwer");
  assert.equal(values["int"], 42);
  assert.equal(values["float"], 1.5);
  assert.deepEqual(values["datetime"], new Date(2013, 3, 28, 5, 16));
  assert.equal(values["timedelta"], 45);
  assert.ok(values["email"] instanceof Email, "a custom type's parser makes the value");
  assert.equal((values["email"] as { value: string }).value, "tornado@web.com");
  assert.deepEqual(values["list_of_int"], [1, 2, 3]);
}

describe("OptionsTest (tornado/test/options_test.py)", () => {
  test("test_parse_command_line", () => {
    const parser = new OptionParser();
    const port = parser.define("port", { default: 80 });
    parser.parseCommandLine(argv("--port=443"));
    assert.equal(props(parser)["port"], 443);
    assert.equal(port.value, 443);
    assert.equal(parser.get("port"), 443);
  });

  test("test_parse_config_file (JSON instead of Python)", () => {
    const parser = new OptionParser();
    parser.define("port", { default: 80 });
    parser.define("username", { default: "foo" });
    parser.parseConfigFile(fixture("options-test.json"));
    assert.equal(parser.get("port"), 443);
    assert.equal(parser.get("username"), "李康");
  });

  test("test_parse_callbacks: only a final parse runs them, every time", () => {
    const parser = new OptionParser();
    let called = 0;
    parser.addParseCallback(() => called++);
    parser.parseCommandLine(argv(), { final: false });
    assert.equal(called, 0);
    parser.parseCommandLine(argv());
    assert.equal(called, 1);
    parser.parseCommandLine(argv());
    assert.equal(called, 2);
  });

  test("test_help: --help prints the usage and exits with status 0", () => {
    const script = [
      'import { define, parseCommandLine } from "typhoon";',
      'define("port", { default: 8888, help: "run on the given port", metavar: "PORT" });',
      'parseCommandLine(["node", "app", "--help"]);',
      'console.log("not reached");',
    ].join("\n");
    const child = spawnSync(process.execPath, ["--conditions=typhoon-source", "--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stderr, /^Usage: /);
    assert.match(child.stderr, /--port=PORT {20,}run on the given port \(default 8888\)/);
    assert.match(child.stderr, /--help {20,}show this help information/);
    assert.doesNotMatch(child.stdout, /not reached/);
  });

  test("test_subcommand: parsing stops at the first non-option; parsers are distinct", () => {
    const base = new OptionParser();
    base.define("verbose", { default: false });
    const sub = new OptionParser();
    sub.define("foo", { type: "string" });
    const rest = base.parseCommandLine(argv("--verbose", "subcommand", "--foo=bar"));
    assert.deepEqual(rest, ["subcommand", "--foo=bar"]);
    assert.equal(base.get("verbose"), true);
    assert.deepEqual(sub.parseCommandLine(["node", ...rest]), []);
    assert.equal(sub.get("foo"), "bar");
    const help: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((text: string) => help.push(text) > 0) as typeof process.stderr.write;
    try {
      assert.throws(() => sub.parseCommandLine(argv("--verbose")), { name: "OptionsError", message: "Unrecognized command line option: 'verbose'" });
    } finally {
      process.stderr.write = original;
    }
    assert.match(help.join(""), /Usage:/, "an unknown option prints the help first, as Tornado");
  });

  test("everything after -- is returned unparsed", () => {
    const parser = new OptionParser();
    parser.define("a", { default: 1 });
    assert.deepEqual(parser.parseCommandLine(argv("--a=2", "--", "--a=3")), ["--a=3"]);
    assert.equal(parser.get("a"), 2);
  });

  test("test_setattr, test_setitem: assignment sets the value", () => {
    const parser = new OptionParser();
    parser.define("foo", { default: 1, type: "integer" });
    props(parser)["foo"] = 2;
    assert.equal(parser.get("foo"), 2);
    parser.set("foo", 3);
    assert.equal(props(parser)["foo"], 3);
  });

  test("test_setattr_type_check: assignment is type-checked and does not parse text", () => {
    const parser = new OptionParser();
    parser.define("foo", { default: 1, type: "integer" });
    assert.throws(() => (props(parser)["foo"] = "2"), {
      name: "OptionsError",
      code: "TYPHOON_ERR_OPTIONS",
      message: "Option 'foo' is required to be a integer (string given)",
    });
    assert.throws(() => parser.set("foo", 1.5), OptionsError);
  });

  test("test_setattr_with_callback", () => {
    const values: number[] = [];
    const parser = new OptionParser();
    parser.define("foo", { default: 1, type: "integer", callback: (value: number) => values.push(value) });
    parser.set("foo", 2);
    parser.parseCommandLine(argv("--foo=3"));
    assert.deepEqual(values, [2, 3]);
  });

  test("test_iter, test_items, test_as_dict: help is always defined", () => {
    const parser = new OptionParser();
    parser.define("a", { default: 1 });
    parser.define("b", { default: 2 });
    assert.deepEqual(new Set(parser), new Set(["help", "a", "b"]));
    assert.deepEqual(
      parser.items().sort(([x], [y]) => x.localeCompare(y)),
      [
        ["a", 1],
        ["b", 2],
        ["help", undefined],
      ],
    );
    assert.deepEqual(parser.asDict(), { help: undefined, a: 1, b: 2 });
  });

  test("test_group_dict: groups default to the defining file", () => {
    const parser = new OptionParser();
    parser.define("a", { default: 1 });
    parser.define("b", { group: "b_group", default: 2 });
    const thisFile = fileURLToPath(import.meta.url);
    const groups = parser.groups();
    assert.ok(groups.has("b_group") && groups.has(thisFile), `groups: ${[...groups].join(", ")}`);
    assert.deepEqual(parser.groupDict("b_group"), { b: 2 });
    assert.deepEqual(parser.groupDict("nonexistent"), {});
  });

  test("test_types: every type from the command line", () => {
    const parser = defineTypes();
    parser.parseCommandLine(
      argv(
        "--str=asdf",
        "--basestring=qwer",
        "--int=42",
        "--float=1.5",
        "--datetime=2013-04-28 05:16",
        "--timedelta=45s",
        "--email=tornado@web.com",
        "--list-of-int=1,2,3",
      ),
    );
    checkTypes(parser);
  });

  test("test_types_with_conf_file: typed values and strings", () => {
    for (const file of ["options-test-types.json", "options-test-types-str.json"]) {
      const parser = defineTypes();
      parser.parseConfigFile(fixture(file));
      checkTypes(parser);
    }
  });

  test("test_multiple_string and test_multiple_int (with inclusive ranges)", () => {
    const parser = new OptionParser();
    parser.define("foo", { type: "string", multiple: true });
    parser.define("bar", { type: "integer", multiple: true });
    parser.parseCommandLine(argv("--foo=a,b,c", "--bar=1,3,5:7"));
    assert.deepEqual(parser.get("foo"), ["a", "b", "c"]);
    assert.deepEqual(parser.get("bar"), [1, 3, 5, 6, 7]);
  });

  test("test_error_redefine and test_error_redefine_underscore", () => {
    for (const [a, b] of [
      ["foo-bar", "foo-bar"],
      ["foo_bar", "foo_bar"],
      ["foo-bar", "foo_bar"],
      ["foo_bar", "foo-bar"],
      ["fooBar", "foo-bar"],
    ] as const) {
      const parser = new OptionParser();
      parser.define(a);
      assert.throws(() => parser.define(b), /Option 'foo-bar' already defined in .*options\.test\.ts/, `${a} then ${b}`);
    }
  });

  test("test_dash_underscore_cli: dashes, underscores and camelCase are one name", () => {
    for (const defined of ["foo-bar", "foo_bar", "fooBar"]) {
      for (const flag of ["--foo-bar=a", "--foo_bar=a", "--fooBar=a"]) {
        const parser = new OptionParser();
        parser.define(defined);
        parser.parseCommandLine(argv(flag));
        assert.equal(props(parser)["foo_bar"], "a", `${defined} ${flag}`);
        assert.equal(props(parser)["fooBar"], "a", `${defined} ${flag}`);
        assert.equal(parser.get("foo-bar"), "a");
        assert.equal(parser.get("foo_bar"), "a");
      }
    }
  });

  test("test_dash_underscore_file", () => {
    for (const defined of ["foo-bar", "foo_bar"]) {
      const parser = new OptionParser();
      parser.define(defined);
      parser.parseConfigFile(fixture("options-test.json"));
      assert.equal(parser.get("fooBar"), "a");
    }
  });

  test("test_dash_underscore_introspection: names kept as defined, help in dashes", () => {
    const parser = new OptionParser();
    parser.define("with-dash", { group: "g" });
    parser.define("with_underscore", { group: "g" });
    assert.deepEqual([...parser].sort(), ["help", "with-dash", "with_underscore"]);
    assert.deepEqual(Object.keys(parser.groupDict("g")).sort(), ["with-dash", "with_underscore"]);
    let help = "";
    parser.printHelp({ write: (text: string) => (help += text) });
    assert.match(help, /--with-dash/);
    assert.match(help, /--with-underscore/);
  });
});

describe("malformed values and files", () => {
  test("a value its type cannot parse is a clear OptionsError", () => {
    const parser = new OptionParser();
    parser.define("port", { default: 80 });
    parser.define("ratio", { type: "number" });
    parser.define("when", { type: "date" });
    parser.define("wait", { type: "duration" });
    parser.define("email", { type: (text) => new Email(text) });
    for (const [flag, message] of [
      ["--port=eighty", "Option 'port' expects an integer, got 'eighty'"],
      ["--port=1.5", "Option 'port' expects an integer, got '1.5'"],
      ["--ratio=", "Option 'ratio' expects a number, got ''"],
      ["--when=yesterday", "Unrecognized date/time format: 'yesterday'"],
      ["--when=2013-02-30", "Unrecognized date/time format: '2013-02-30'"],
      ["--wait=5 fortnights", "Option 'wait' expects a duration such as 45s, 1h30m or 2d, got '5 fortnights'"],
      ["--email=nobody", "Option 'email' could not parse 'nobody': not an e-mail address: nobody"],
      ["--port", "Option 'port' requires a value"],
    ] as const) {
      assert.throws(() => parser.parseCommandLine(argv(flag)), { name: "OptionsError", message }, flag);
    }
  });

  test("durations and dates in Tornado's formats", () => {
    const parser = new OptionParser();
    parser.define("wait", { type: "duration" });
    parser.define("when", { type: "date" });
    for (const [text, seconds] of [
      ["45", 45],
      ["1h30m", 5400],
      ["1.5 min", 90],
      ["2d 1s", 172801],
      ["250ms", 0.25],
      ["1w", 604800],
    ] as const) {
      parser.parseCommandLine(argv(`--wait=${text}`));
      assert.equal(parser.get("wait"), seconds, text);
    }
    for (const [text, date] of [
      ["Sun Apr 28 05:16:07 2013", new Date(2013, 3, 28, 5, 16, 7)],
      ["2013-04-28 05:16:07", new Date(2013, 3, 28, 5, 16, 7)],
      ["2013-04-28T05:16", new Date(2013, 3, 28, 5, 16)],
      ["20130428 05:16", new Date(2013, 3, 28, 5, 16)],
      ["2013-04-28", new Date(2013, 3, 28)],
      ["20130428", new Date(2013, 3, 28)],
      ["05:16", new Date(new Date(1900, 0, 1, 5, 16).setFullYear(1900))],
    ] as const) {
      parser.parseCommandLine(argv(`--when=${text}`));
      assert.deepEqual(parser.get("when"), date, text);
    }
  });

  test("config files: not JSON, not an object, wrong value types, unknown keys ignored", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "typhoon-options-"));
    t.after(() => rm(dir, { recursive: true }));
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const parser = new OptionParser();
    parser.define("port", { default: 80 });
    parser.define("hosts", { multiple: true });
    assert.throws(() => parser.parseConfigFile(join(dir, "missing.json")), /Config file .*missing\.json is not valid JSON/);
    assert.throws(() => parser.parseConfigFile(write("bad.json", "port = 80")), /is not valid JSON/);
    assert.throws(() => parser.parseConfigFile(write("array.json", "[1]")), /must hold a JSON object/);
    assert.throws(() => parser.parseConfigFile(write("bool.json", '{"port": true}')), /Option 'port' is required to be a integer \(boolean given\)/);
    assert.throws(() => parser.parseConfigFile(write("hosts.json", '{"hosts": 3}')), /Option 'hosts' is required to be a list of string or a comma-separated string/);
    parser.parseConfigFile(write("good.json", '{"port": 81, "hosts": "a,b", "unrelated": 1}'));
    assert.equal(parser.get("port"), 81);
    assert.deepEqual(parser.get("hosts"), ["a", "b"]);
  });

  test("reading an option that was never defined is a clear error", () => {
    assert.throws(() => new OptionParser().get("nope"), { name: "OptionsError", message: "Unrecognized option 'nope': define() it first" });
  });
});

describe("the global options", () => {
  test("define() adds to the shared options object, typed through its return value", () => {
    const option = define("typhoon-test-global", { default: 3 });
    const value: number = option.value;
    assert.equal(value, 3);
    assert.equal(globalOptions.get("typhoonTestGlobal"), 3);
    globalOptions.parseCommandLine(argv("--typhoon-test-global=4"));
    assert.equal(option.value, 4);
  });
});
