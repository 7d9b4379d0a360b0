// The package root: every public name of Typhoon (API.md), re-exported from the layer barrels.
export * from "./util/index.js";
export * from "./ioloop/index.js";
export * from "./process/index.js";
export * from "./options/index.js";
export * from "./locale/index.js";
export * from "./http/index.js";
export * from "./client/index.js";
export * from "./template/index.js";
export * from "./web/index.js";
export * from "./testing/index.js";
export * from "./websocket/index.js";
