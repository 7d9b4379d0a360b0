// typhoon/locale: translations and locale-aware formatting (tornado.locale).
export {
  Locale,
  CSVLocale,
  GettextLocale,
  CONTEXT_SEPARATOR,
  getLocale,
  setDefaultLocale,
  getSupportedLocales,
  loadTranslations,
  loadGettextTranslations,
  interpolate,
  type FormatDateOptions,
  type CsvTranslations,
} from "./locale.js";
export { LOCALE_NAMES } from "./locale-data.js";
