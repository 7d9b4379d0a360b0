// typhoon/options: command-line and config-file options (tornado.options).
export {
  OptionParser,
  Option,
  OptionsError,
  options,
  define,
  parseCommandLine,
  parseConfigFile,
  printHelp,
  addParseCallback,
  type OptionType,
  type OptionValueOf,
  type OptionSpec,
  type OptionSpecValue,
  type OptionValues,
  type ParseOptions,
} from "./options.js";
