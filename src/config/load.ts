// aaa.toml → validated Config. Every failure is a list of "key.path: reason" lines; the caller
// prints them and exits 2 before anything is started.
import * as v from "valibot";
import { readFileSync } from "node:fs";
import { parseHostPort } from "../lib/ip.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { checkRadiusProxy } from "./radius-proxy.ts";
import { ConfigSchema, type Config } from "./schema.ts";

export interface ConfigError {
  path: string;
  reason: string;
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  const parts: string[] = [];
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === "number") parts.push(`[${key}]`);
    else parts.push(parts.length === 0 ? String(key) : `.${String(key)}`);
  }
  return parts.join("") || "(root)";
}

function describe(issue: v.BaseIssue<unknown>): string {
  // strictObject reports an unknown key as an issue expecting "never" at that key's path.
  if (issue.expected === "never") return "unknown key";
  if (issue.kind === "schema" && issue.received === "undefined") return "is required";
  return issue.message.replace(/^Invalid type: /, "");
}

/** Validate an already-parsed TOML document. */
export function validateConfig(
  doc: unknown,
): Result<Config, "config/invalid"> & { errors?: ConfigError[] } {
  const parsed = v.safeParse(ConfigSchema, doc, { abortPipeEarly: true });
  if (!parsed.success) {
    const errors = parsed.issues.map((i) => ({ path: pathOf(i), reason: describe(i) }));
    return { ...err("config/invalid"), errors };
  }
  const cfg = parsed.output;
  const errors: ConfigError[] = [];
  if (cfg.devices.auto_register && cfg.devices.default_group === "")
    errors.push({
      path: "devices.default_group",
      reason: "is required when devices.auto_register = true",
    });
  // One address may be bound by one listener only.
  const seen = new Map<string, string>();
  const claim = (addr: string, path: string, proto: "tcp" | "udp") => {
    const hp = parseHostPort(addr);
    if (!hp.ok) return;
    const key = `${proto}:${hp.value.host}:${hp.value.port}`;
    const prev = seen.get(key);
    if (prev && hp.value.port !== 0)
      errors.push({ path, reason: `${addr} is already used by ${prev}` });
    else seen.set(key, path);
  };
  cfg.tacacs.listen.forEach((l, i) => claim(l.address, `tacacs.listen[${i}]`, "tcp"));
  cfg.radius.auth_listen.forEach((a, i) => claim(a, `radius.auth_listen[${i}]`, "udp"));
  cfg.radius.acct_listen.forEach((a, i) => claim(a, `radius.acct_listen[${i}]`, "udp"));
  if (cfg.http.listen !== "") claim(cfg.http.listen, "http.listen", "tcp");
  errors.push(...checkRadiusProxy(cfg.radius.proxy));
  if (errors.length > 0) return { ...err("config/invalid"), errors };
  return ok(cfg);
}

/** Parse TOML text and validate it. */
export function parseConfigText(
  text: string,
): Result<Config, "config/invalid"> & { errors?: ConfigError[] } {
  let doc: unknown;
  try {
    doc = Bun.TOML.parse(text);
  } catch (e) {
    return {
      ...err("config/invalid"),
      errors: [tomlError(text, e instanceof Error ? e.message : String(e))],
    };
  }
  return validateConfig(doc);
}

/**
 * A TOML syntax error as a config error that never repeats a value: the parser's message quotes
 * the offending text ('Strings must be quoted: "<value>"'), and the value of an unquoted
 * `secret = …` is a secret — it would reach the log, the reload API's answer and the audit table.
 * For that case the key path and line are found instead; any other quoted text is elided.
 */
function tomlError(text: string, message: string): ConfigError {
  const first = (message.split("\n")[0] ?? message).replace(/^TOML Parse error: /, "");
  const unquoted = /^Strings must be quoted: "(.*)"$/.exec(first);
  if (unquoted) {
    const value = unquoted[1]!;
    let table = "";
    const arrays = new Map<string, number>();
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      const header = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(line) ?? /^\[\s*([^\]]+?)\s*\]$/.exec(line);
      if (header) {
        const name = header[1]!;
        if (line.startsWith("[[")) {
          const n = (arrays.get(name) ?? -1) + 1;
          arrays.set(name, n);
          table = `${name}[${n}]`;
        } else table = name;
        continue;
      }
      const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*(#.*)?$/.exec(line);
      if (kv && kv[2] === value)
        return {
          path: table === "" ? kv[1]! : `${table}.${kv[1]!}`,
          reason: `line ${i + 1}: the value must be a quoted string (not shown here)`,
        };
    }
    return { path: "(toml)", reason: "a string value must be quoted (not shown here)" };
  }
  return { path: "(toml)", reason: first.replace(/"[^"]*"/g, '"…"') };
}

/**
 * Read, parse, validate, and check what the file names outside itself: every `secret_env` of a
 * home server must be set in `env`. Start-up, check-config and reload all come through here, so a
 * missing variable is a "key.path: reason" line (exit 2, or a refused reload), never a half-applied
 * configuration.
 */
export function loadConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Result<Config, "config/invalid"> & { errors?: ConfigError[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    return {
      ...err("config/invalid"),
      errors: [{ path: "(file)", reason: `cannot read ${file}: ${code}` }],
    };
  }
  const r = parseConfigText(text);
  if (!r.ok) return r;
  const errors = checkEnvironment(r.value, env);
  return errors.length > 0 ? { ...err("config/invalid"), errors } : r;
}

/** Environment variables the configuration names for secrets, each set and non-empty. */
export function checkEnvironment(
  cfg: Config,
  env: Readonly<Record<string, string | undefined>>,
): ConfigError[] {
  const errors: ConfigError[] = [];
  cfg.radius.proxy?.home_servers.forEach((h, i) => {
    if (h.secret_env !== undefined && (env[h.secret_env] ?? "") === "")
      errors.push({
        path: `radius.proxy.home_servers[${i}].secret_env`,
        reason: `environment variable ${h.secret_env} is not set`,
      });
  });
  return errors;
}

export function formatConfigErrors(errors: readonly ConfigError[], file: string): string {
  return errors.map((e) => `config error: ${file}: ${e.path}: ${e.reason}`).join("\n");
}
