// The layer rule of DESIGN.md: imports inside src/ point down only, and never in a cycle.
// Each entry lists the src/ folders a layer may import (besides itself and node/npm modules).
const layers = {
  util: [],
  ioloop: ["util"],
  process: ["util"],
  net: ["util", "ioloop"],
  http: ["util", "ioloop", "net", "process"],
  client: ["util", "ioloop", "http"],
  template: ["util"],
  locale: ["util"],
  options: ["util"],
  web: ["util", "ioloop", "http", "template", "locale", "net", "process"],
  websocket: ["web", "client", "http", "util", "ioloop"],
};
const all = Object.keys(layers).concat(["testing"]);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules must not import each other in a cycle (type-only imports are erased, so they may).",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    ...Object.entries(layers).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      severity: "error",
      comment: `src/${layer} may import only ${allowed.length ? allowed.join(", ") : "nothing else in src"} (DESIGN.md layers).`,
      from: { path: `^src/${layer}/` },
      to: {
        path: `^src/(${all.filter((name) => name !== layer && !allowed.includes(name)).join("|")})/`,
      },
    })),
    {
      name: "nothing-imports-testing",
      severity: "error",
      comment: "src/testing is a leaf: only tests import it.",
      from: { path: "^src/(?!testing/|index\\.ts$)" },
      to: { path: "^src/testing/" },
    },
    {
      name: "barrel-is-top",
      severity: "error",
      comment: "Only the package root re-exports src/index.ts; nothing inside src imports it.",
      from: { path: "^src/(?!index\\.ts$)" },
      to: { path: "^src/index\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { conditionNames: ["typhoon-source", "import", "node", "default"] },
  },
};
