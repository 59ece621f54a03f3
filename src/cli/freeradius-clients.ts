// Reads a FreeRADIUS clients.conf (v2/v3 syntax) into plain client records with line numbers:
//
//   client NAME {            # NAME may itself be an address or CIDR (FreeRADIUS v2 style)
//       ipaddr = 192.0.2.0/24        # or ipv4addr / ipv6addr; `*` means any; or ipaddr + netmask
//       secret = "a \"quoted\" secret"
//       shortname = edge1
//       require_message_authenticator = yes
//       limit { max_connections = 16 }   # nested sections are skipped
//   }
//   clients per_socket { client ... }    # a `clients` section groups clients; read through it
//
// `#` starts a comment outside quotes. Double-quoted strings take backslash escapes; single-quoted
// ones are literal; back-quoted strings (FreeRADIUS runs them as commands) and $INCLUDE are refused
// with their line rather than silently skipped. Mapping to devices and groups is import-export's job.

export interface ClientAttr {
  value: string;
  line: number;
}
export interface ClientBlock {
  name: string;
  line: number;
  /** Key → value with its line (keys lower-cased). Nested sections are not here. */
  attrs: Map<string, ClientAttr>;
}
export type ParseResult =
  { ok: true; clients: ClientBlock[] } | { ok: false; line: number; message: string };

type Tok = {
  kind: "word" | "string" | "{" | "}" | "=";
  text: string;
  line: number;
};

/** Nesting deeper than this is not a clients.conf. */
const MAX_DEPTH = 8;

class Fail {
  constructor(
    readonly line: number,
    readonly message: string,
  ) {}
}

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === "\n") {
      line++;
      i++;
    } else if (ch === " " || ch === "\t" || ch === "\r") i++;
    else if (ch === "#") while (i < s.length && s[i] !== "\n") i++;
    else if (ch === "{" || ch === "}" || ch === "=") (out.push({ kind: ch, text: ch, line }), i++);
    else if (ch === "`")
      throw new Fail(line, "back-quoted values run commands in FreeRADIUS; write the value itself");
    else if (ch === '"' || ch === "'") {
      const start = line;
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length || s[i] === "\n") throw new Fail(start, "unterminated quoted string");
        const c = s[i]!;
        if (c === ch) break;
        if (c === "\\" && ch === '"' && i + 1 < s.length) {
          const n = s[i + 1]!;
          v += n === "n" ? "\n" : n === "t" ? "\t" : n === "r" ? "\r" : n;
          i += 2;
          continue;
        }
        v += c;
        i++;
      }
      i++;
      out.push({ kind: "string", text: v, line: start });
    } else {
      let v = "";
      while (i < s.length && !/[\s{}=#"'`]/.test(s[i]!)) v += s[i++];
      if (v.startsWith("$"))
        throw new Fail(
          line,
          `${v.split(/\s/)[0]} is not supported: import each included file on its own`,
        );
      out.push({ kind: "word", text: v, line });
    }
  }
  return out;
}

export function parseClientsConf(text: string): ParseResult {
  try {
    const toks = tokenize(text);
    let p = 0;
    const clients: ClientBlock[] = [];
    const peek = () => toks[p];
    const expect = (kind: Tok["kind"], what: string): Tok => {
      const t = toks[p];
      if (t === undefined)
        throw new Fail(toks[p - 1]?.line ?? 1, `unexpected end of file: expected ${what}`);
      if (t.kind !== kind) throw new Fail(t.line, `expected ${what}, found "${t.text}"`);
      p++;
      return t;
    };
    const skipSection = (depth: number): void => {
      for (;;) {
        const t = toks[p++];
        if (t === undefined)
          throw new Fail(toks[toks.length - 1]?.line ?? 1, 'unexpected end of file: missing "}"');
        if (t.kind === "}") return;
        if (t.kind === "{") {
          if (depth >= MAX_DEPTH) throw new Fail(t.line, "sections nested too deeply");
          skipSection(depth + 1);
        }
      }
    };
    const client = (): void => {
      const kw = expect("word", "client");
      const name = peek();
      if (name === undefined || (name.kind !== "word" && name.kind !== "string"))
        throw new Fail(kw.line, "client needs a name");
      p++;
      expect("{", `"{" after client ${name.text}`);
      const attrs = new Map<string, ClientAttr>();
      for (;;) {
        const t = peek();
        if (t === undefined) throw new Fail(kw.line, `client ${name.text}: missing "}"`);
        if (t.kind === "}") {
          p++;
          break;
        }
        const key = expect("word", "an attribute name or }");
        if (peek()?.kind === "{") {
          p++;
          skipSection(2); // limit { ... } and the like
          continue;
        }
        expect("=", `"=" after ${key.text}`);
        const v = peek();
        if (v === undefined || (v.kind !== "word" && v.kind !== "string"))
          throw new Fail(key.line, `${key.text} needs a value`);
        p++;
        const k = key.text.toLowerCase();
        if (attrs.has(k))
          throw new Fail(
            key.line,
            `${key.text} is set twice in client ${name.text} (first on line ${attrs.get(k)!.line})`,
          );
        attrs.set(k, { value: v.text, line: v.line });
      }
      clients.push({ name: name.text, line: kw.line, attrs });
    };
    const items = (depth: number, closing: boolean): void => {
      for (;;) {
        const t = peek();
        if (t === undefined) {
          if (closing)
            throw new Fail(toks[p - 1]?.line ?? 1, 'unexpected end of file: missing "}"');
          return;
        }
        if (t.kind === "}" && closing) {
          p++;
          return;
        }
        if (t.kind === "word" && t.text === "client") client();
        else if (t.kind === "word" && t.text === "clients" && depth < MAX_DEPTH) {
          p++;
          if (peek()?.kind === "word") p++; // optional section name
          expect("{", '"{" after clients');
          items(depth + 1, true);
        } else throw new Fail(t.line, `expected a client section, found "${t.text}"`);
      }
    };
    items(0, false);
    return { ok: true, clients };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, line: e.line, message: e.message };
    throw e;
  }
}
