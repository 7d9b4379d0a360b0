// The template layer's public names: Tornado's template language with JavaScript expressions.
export { Template, BaseLoader, TemplateRenderError, templateBuiltins } from "./template.js";
export type { TemplateOptions, LoaderOptions, TemplateNamespace, TemplateLike, TemplateLoaderLike } from "./template.js";
export { Loader, DictLoader } from "./loader.js";
export { TemplateNotFoundError, TemplatePathError } from "./errors.js";
export { ParseError, filterWhitespace } from "./parser.js";
export type { WhitespaceMode } from "./parser.js";
