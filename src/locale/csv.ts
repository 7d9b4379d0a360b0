// Reads CSV text as Python's csv module in its default "excel" dialect, for tornado.locale's translation files.

/**
 * The rows of `text`: fields separated by commas, optionally quoted with `"` (a quote
 * inside doubled as `""`), quoted fields may span lines; rows end with LF or CRLF. Each
 * row carries the line it started on, for error messages.
 */
export function parseCsv(text: string): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let sawAnything = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (char === "\n") line++;
        field += char;
      }
      continue;
    }
    if (char === '"' && field === "") {
      quoted = true;
      sawAnything = true;
    } else if (char === ",") {
      fields.push(field);
      field = "";
      sawAnything = true;
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      if (sawAnything || field !== "") fields.push(field);
      rows.push({ fields, line: rowLine });
      fields = [];
      field = "";
      sawAnything = false;
      line++;
      rowLine = line;
    } else {
      field += char;
      sawAnything = true;
    }
  }
  if (sawAnything || field !== "") {
    fields.push(field);
    rows.push({ fields, line: rowLine });
  }
  return rows;
}
