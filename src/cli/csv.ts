// A small RFC 4180 CSV reader for the import commands: comma-separated, fields optionally in double
// quotes ("" inside quotes is one quote; quoted fields may span lines), LF or CRLF line ends, an
// optional UTF-8 BOM. Every record keeps the line it starts on, so an import can name it.
// Blank lines are skipped. A header row maps column names to positions.

export interface CsvRecord {
  /** 1-based line of the record's first character. */
  line: number;
  fields: string[];
}

export type CsvResult<T> = { ok: true; value: T } | { ok: false; line: number; message: string };

/** A record with more fields than this is not a device or user list; refuse rather than guess. */
const MAX_FIELDS = 64;

export function parseCsv(text: string): CsvResult<CsvRecord[]> {
  const s = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const out: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    // Skip blank lines.
    if (s[i] === "\n") {
      line++;
      i++;
      continue;
    }
    if (s[i] === "\r" && s[i + 1] === "\n") {
      line++;
      i += 2;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (s[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= s.length)
            return {
              ok: false,
              line: quoteLine,
              message: "unterminated quoted field",
            };
          const ch = s[i]!;
          if (ch === '"') {
            if (s[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === "\n") line++;
          field += ch;
          i++;
        }
        if (i < s.length && s[i] !== "," && s[i] !== "\n" && !(s[i] === "\r" && s[i + 1] === "\n"))
          return {
            ok: false,
            line,
            message: "text after a closing quote (quote the whole field and double inner quotes)",
          };
      } else {
        while (
          i < s.length &&
          s[i] !== "," &&
          s[i] !== "\n" &&
          !(s[i] === "\r" && s[i + 1] === "\n")
        ) {
          if (s[i] === '"')
            return {
              ok: false,
              line,
              message:
                "a quote inside an unquoted field (quote the whole field and double inner quotes)",
            };
          field += s[i];
          i++;
        }
      }
      fields.push(field);
      if (fields.length > MAX_FIELDS)
        return {
          ok: false,
          line: start,
          message: `more than ${MAX_FIELDS} fields`,
        };
      if (s[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    out.push({ line: start, fields });
    if (s[i] === "\r") i++;
    if (s[i] === "\n") {
      line++;
      i++;
    }
  }
  return { ok: true, value: out };
}

export interface CsvTable {
  /** Column name → index, from the header (names lower-cased and trimmed). */
  columns: Map<string, number>;
  rows: CsvRecord[];
}

/**
 * Parse with a header. `required` columns must be present, `optional` ones may be; any other
 * column is refused (a typo in a header would otherwise silently drop data). Every row must have
 * exactly as many fields as the header.
 */
export function parseCsvTable(
  text: string,
  required: readonly string[],
  optional: readonly string[],
): CsvResult<CsvTable> {
  const p = parseCsv(text);
  if (!p.ok) return p;
  const [header, ...rows] = p.value;
  if (header === undefined)
    return {
      ok: false,
      line: 1,
      message: `empty file: expected a header line (${required.join(",")})`,
    };
  const columns = new Map<string, number>();
  for (const [i, raw] of header.fields.entries()) {
    const name = raw.trim().toLowerCase();
    if (!required.includes(name) && !optional.includes(name))
      return {
        ok: false,
        line: header.line,
        message: `unknown column "${raw}" (expected ${[...required, ...optional.map((o) => `[${o}]`)].join(",")})`,
      };
    if (columns.has(name))
      return {
        ok: false,
        line: header.line,
        message: `column "${name}" appears twice`,
      };
    columns.set(name, i);
  }
  const missing = required.filter((r) => !columns.has(r));
  if (missing.length > 0)
    return {
      ok: false,
      line: header.line,
      message: `missing column ${missing.join(", ")}`,
    };
  for (const r of rows)
    if (r.fields.length !== header.fields.length)
      return {
        ok: false,
        line: r.line,
        message: `expected ${header.fields.length} fields, found ${r.fields.length}`,
      };
  return { ok: true, value: { columns, rows } };
}

/** The value of a column in a row ("" when the column is absent from the header). */
export function cell(t: CsvTable, r: CsvRecord, column: string): string {
  const i = t.columns.get(column);
  return i === undefined ? "" : (r.fields[i] ?? "");
}
