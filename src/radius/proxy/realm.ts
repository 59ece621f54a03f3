// Realm routing: which realm a User-Name belongs to, and what to do with it.
//
// API
//   splitRealm(userName)                 → {user, realm, form} | undefined   "user@realm" / "REALM\user"
//   createRealmRouter(realms, default)   → RealmRouter with route(userName) → RealmRoute
//   suffixMatches(realm, suffix)         label-boundary suffix test
//
// Extraction (the forms FreeRADIUS's realms module calls "suffix" and "prefix"/ntdomain):
// - "user@realm": the LAST "@" separates (a user part may itself hold "@", e.g. an e-mail address
//   used as a login at another provider: "a@b.org@realm").
// - "REALM\user": the FIRST "\" separates (Windows down-level logon names).
// An empty user or realm part is no realm at all ("@x", "user@", "\user") — forwarding "" anywhere
// would only produce a confusing reject upstream.
//
// Matching, in this order (most specific first, independent of the order in the file):
// 1. exact  — case-insensitive equality (DNS names are case-insensitive).
// 2. suffix — equal to the pattern or ending in "." + pattern, i.e. on a label boundary:
//             "evilexample.com" must NOT match suffix "example.com". The longest pattern wins.
// 3. regex  — in configuration order; the pattern is not anchored implicitly (write ^...$).
// No realm, or no match: the default realm if one is configured, else local.
/** Where one port's requests go: a pool, the local server, or an Access-Reject / silence. */
export type RealmTarget = { kind: "pool"; pool: string } | { kind: "local" } | { kind: "reject" };

/**
 * A realm's targets per port: Access-Requests follow `pool`, Accounting-Requests `acct_pool` (default
 * `pool`). Either may be a reserved name: pool = "local" with acct_pool = "acct-pool" answers
 * logins here and proxies the accounting; acct_pool = "local" stores it here.
 */
export interface RealmAction {
  auth: RealmTarget;
  acct: RealmTarget;
}

export interface RealmRule {
  name: string;
  match: "exact" | "suffix" | "regex";
  pattern?: string | undefined;
  pool: string;
  acct_pool?: string | undefined;
  strip: boolean;
}

export interface RealmRoute {
  /** The configured realm name, or "" when nothing matched and there is no default realm. */
  realm: string;
  action: RealmAction;
  /** User-Name to send on (stripped when the realm says so); undefined when unchanged. */
  userName?: string;
}

export interface SplitName {
  user: string;
  realm: string;
  form: "suffix" | "prefix";
}

/** RFC 2865 §5.1: User-Name is at most 253 octets; nothing longer reaches us. */
export function splitRealm(userName: string): SplitName | undefined {
  const at = userName.lastIndexOf("@");
  if (at > 0 && at < userName.length - 1)
    return {
      user: userName.slice(0, at),
      realm: userName.slice(at + 1),
      form: "suffix",
    };
  if (at >= 0) return undefined;
  const bs = userName.indexOf("\\");
  if (bs > 0 && bs < userName.length - 1)
    return {
      user: userName.slice(bs + 1),
      realm: userName.slice(0, bs),
      form: "prefix",
    };
  return undefined;
}

/**
 * The user part of User-Name's octets, split exactly where splitRealm splits the decoded text: '@'
 * and '\\' are ASCII and never occur inside a multi-octet UTF-8 sequence, and an undecodable octet
 * becomes one or more characters, so "one before, one after" holds for both. A stripped name then
 * goes on with the NAS's own octets — a name that is not UTF-8 (Latin-1 from an old NAS) is not
 * turned into U+FFFD replacement characters on its way to the home server.
 */
export function userOctets(name: Uint8Array): Uint8Array | undefined {
  const at = name.lastIndexOf(0x40);
  if (at > 0 && at < name.length - 1) return name.subarray(0, at);
  if (at >= 0) return undefined;
  const bs = name.indexOf(0x5c);
  if (bs > 0 && bs < name.length - 1) return name.subarray(bs + 1);
  return undefined;
}

export function suffixMatches(realm: string, suffix: string): boolean {
  const r = realm.toLowerCase();
  const s = suffix.toLowerCase();
  if (r === s) return true;
  return r.length > s.length && r.endsWith(s) && r.charCodeAt(r.length - s.length - 1) === 46; // "."
}

export interface RealmRouter {
  route(userName: string | undefined): RealmRoute;
}

function targetOf(name: string): RealmTarget {
  if (name === "local") return LOCAL_TARGET;
  if (name === "reject") return { kind: "reject" };
  return { kind: "pool", pool: name };
}

const LOCAL_TARGET: RealmTarget = { kind: "local" };
const LOCAL: RealmAction = { auth: LOCAL_TARGET, acct: LOCAL_TARGET };

function actionOf(r: RealmRule): RealmAction {
  return { auth: targetOf(r.pool), acct: targetOf(r.acct_pool ?? r.pool) };
}

/** Patterns come from a validated config (regexes compile): a bad one here is a bug, so it throws. */
export function createRealmRouter(rules: readonly RealmRule[], defaultRealm = ""): RealmRouter {
  const exact = new Map<string, RealmRule>();
  const suffixes: RealmRule[] = [];
  const regexes: Array<{ re: RegExp; rule: RealmRule }> = [];
  const actions = new Map<RealmRule, RealmAction>();
  for (const r of rules) {
    actions.set(r, actionOf(r));
    const p = r.pattern ?? r.name;
    if (r.match === "exact") exact.set(p.toLowerCase(), r);
    else if (r.match === "suffix") suffixes.push(r);
    else regexes.push({ re: new RegExp(p, "i"), rule: r });
  }
  suffixes.sort((a, b) => (b.pattern ?? b.name).length - (a.pattern ?? a.name).length);
  const fallback = defaultRealm === "" ? undefined : rules.find((r) => r.name === defaultRealm);
  if (defaultRealm !== "" && !fallback)
    throw new Error(`default realm "${defaultRealm}" is not configured`);

  const find = (realm: string): RealmRule | undefined => {
    const e = exact.get(realm.toLowerCase());
    if (e) return e;
    for (const s of suffixes) if (suffixMatches(realm, s.pattern ?? s.name)) return s;
    for (const { re, rule } of regexes) if (re.test(realm)) return rule;
    return undefined;
  };

  return {
    route(userName) {
      const split = userName === undefined ? undefined : splitRealm(userName);
      const rule = split ? find(split.realm) : undefined;
      if (rule) {
        const out: RealmRoute = { realm: rule.name, action: actions.get(rule)! };
        if (rule.strip && split) out.userName = split.user;
        return out;
      }
      // The default realm forwards the name as it is: there is no matched realm to strip.
      if (fallback) return { realm: fallback.name, action: actions.get(fallback)! };
      return { realm: "", action: LOCAL };
    },
  };
}
