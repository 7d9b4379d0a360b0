// The util layer's public names: escaping, logging and the error base class.
export * from "./escape.js";
export * from "./log.js";
export { TyphoonError, InvalidStateError, InvalidArgumentError } from "./errors.js";
export { version } from "./version.js";
