// Pure formatting of log records for the destinations in src/transport/log-sinks.ts: a JSON line,
// a key=value text line, an RFC 5424 syslog message (collectors over UDP/TCP), a local syslog
// message for /dev/log, and RFC 6587 octet-counting framing. No I/O here.

export type Level = "debug" | "info" | "warn" | "error";

export interface LogRecord {
  time: string;
  level: Level;
  event: string;
  [field: string]: unknown;
}

export type LineFormat = "json" | "text";

/** RFC 5424 §6.2.1 table 1: the codes we accept in `facility = "..."`. */
export const FACILITY = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITY;

/** RFC 5424 §6.2.1 table 2. warn is "Warning" (4), not "Error". */
const SEVERITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** PRI = facility × 8 + severity (RFC 5424 §6.2.1). */
export function pri(facility: Facility, level: Level): number {
  return FACILITY[facility] * 8 + SEVERITY[level];
}

/** bigint as a decimal string, Error as its message; a cycle or a throwing toJSON gives a note. */
export function formatJson(rec: LogRecord): string {
  try {
    return JSON.stringify(rec, (_k, v) =>
      typeof v === "bigint" ? v.toString() : v instanceof Error ? v.message : v,
    );
  } catch {
    return JSON.stringify({
      time: rec.time,
      level: rec.level,
      event: rec.event,
      note: "unserialisable fields",
    });
  }
}

// A bare value never holds a space, quote, '=', backslash or control character: everything else is
// quoted the JSON way, so a newline in a user name cannot start a forged line.
const BARE = /^[^\s"=\\\x00-\x1f\x7f]+$/;

function textValue(v: unknown): string {
  if (typeof v === "string") return BARE.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v === null || v === undefined) return String(v);
  if (v instanceof Error) return textValue(v.message);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)) ?? "null";
  } catch {
    return '"[unserialisable]"';
  }
}

/**
 * `time=… level=info event=name key=value …`. `header: false` leaves out time, level and event
 * (a syslog header already carries them).
 */
export function formatText(rec: LogRecord, header = true): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (!header && (k === "time" || k === "level" || k === "event")) continue;
    // A field name comes from code, but keep the line parseable whatever it holds.
    parts.push(`${BARE.test(k) ? k : JSON.stringify(k)}=${textValue(v)}`);
  }
  return parts.join(" ");
}

export function formatLine(rec: LogRecord, format: LineFormat, json?: string): string {
  return format === "json" ? (json ?? formatJson(rec)) : formatText(rec);
}

/** RFC 5424 §6: PRINTUSASCII (33–126) only, at most `max` characters; empty is the NILVALUE. */
function headerField(s: string, max: number): string {
  const clean = s.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return clean === "" ? "-" : clean;
}

// RFC 5424 §6.3.3: inside PARAM-VALUE, '"', '\' and ']' must be escaped with a backslash.
const sdEscape = (s: string) => s.replace(/["\\\]]/g, (c) => "\\" + c);
// §6.3.3 SD-NAME: PRINTUSASCII except '=', ' ', ']', '"'; at most 32 characters.
const sdName = (s: string) => s.replace(/[^\x21-\x7e]|[= \]"]/g, "_").slice(0, 32) || "_";

/**
 * Our SD-ID. RFC 5424 §7.2.2: a private SD-ID is name@enterprise-number; 32473 is the number
 * RFC 5612 reserves for documentation, so operators who mind can filter on the name alone.
 */
export const SD_ID = "aaa@32473";

export interface SyslogHeader {
  facility: Facility;
  hostname: string;
  appName: string;
  procId: string;
}

export interface Rfc5424Options extends SyslogHeader {
  /** MSG: the JSON line or the key=value text (without time/level/event). */
  format: LineFormat;
  /** Also put the fields in one SD element `[aaa@32473 k="v" …]` (otherwise SD is "-"). */
  structuredData: boolean;
}

/**
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG` (RFC 5424 §6). TIMESTAMP is the record's
 * ISO time (UTC, "Z": §6.2.3 allows it); MSGID is the event name (≤ 32 characters). MSG goes
 * without the UTF-8 BOM (the MSG-ANY form of §6.4): the JSON and text forms are what a collector
 * should store verbatim, and a BOM ends up inside many collectors' stored lines.
 */
export function formatRfc5424(rec: LogRecord, o: Rfc5424Options, json?: string): string {
  const head =
    `<${pri(o.facility, rec.level)}>1 ${rec.time} ${headerField(o.hostname, 255)} ` +
    `${headerField(o.appName, 48)} ${headerField(o.procId, 128)} ${headerField(rec.event, 32)}`;
  let sd = "-";
  if (o.structuredData) {
    const params: string[] = [];
    for (const [k, v] of Object.entries(rec)) {
      if (k === "time" || k === "level" || k === "event") continue;
      const s = typeof v === "string" ? v : textValue(v);
      params.push(` ${sdName(k)}="${sdEscape(s)}"`);
    }
    sd = `[${SD_ID}${params.join("")}]`;
  }
  const msg = o.format === "json" ? (json ?? formatJson(rec)) : formatText(rec, false);
  return msg === "" ? `${head} ${sd}` : `${head} ${sd} ${msg}`;
}

export type ParsedTarget =
  { kind: "udp" | "tcp"; host: string; port: number } | { kind: "unix"; path: string };

/**
 * "udp://host:port" | "tcp://host:port" | "unix:///path" (IPv6 hosts in brackets). A Unix path
 * longer than sockaddr_un's 107 bytes cannot be connected to, so it is refused here.
 */
export function parseSyslogTarget(t: string): ParsedTarget | null {
  const unix = /^unix:\/\/(\/.+)$/.exec(t);
  if (unix) {
    const bytes = new TextEncoder().encode(unix[1]!).length;
    return bytes <= 107 ? { kind: "unix", path: unix[1]! } : null;
  }
  const m = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(t);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { kind: m[1] as "udp" | "tcp", host: m[2]!.replace(/^\[|\]$/g, ""), port };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * For the local socket (/dev/log): `<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG`, what glibc's syslog(3)
 * sends and what rsyslog's imuxsock and journald parse (imuxsock's own parser reads this form, not
 * RFC 5424). The timestamp is local time without year or zone (RFC 3164 §4.1.2); the receiver
 * stamps its own anyway. No HOSTNAME: the local socket has none (imuxsock takes its own).
 */
export function formatLocal(
  rec: LogRecord,
  o: Omit<SyslogHeader, "hostname"> & { format: LineFormat },
  json?: string,
): string {
  const d = new Date(rec.time);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const stamp =
    `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  const msg = o.format === "json" ? (json ?? formatJson(rec)) : formatText(rec);
  return `<${pri(o.facility, rec.level)}>${stamp} ${headerField(o.appName, 32)}[${o.procId}]: ${msg}`;
}

/** RFC 6587 §3.4.1 (and RFC 5425 §4.3) octet counting: `MSG-LEN SP SYSLOG-MSG`, length in bytes. */
export function octetCounted(msg: string): Uint8Array {
  const body = new TextEncoder().encode(msg);
  const len = new TextEncoder().encode(`${body.length} `);
  const out = new Uint8Array(len.length + body.length);
  out.set(len, 0);
  out.set(body, len.length);
  return out;
}
