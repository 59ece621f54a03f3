// clients.conf → device groups and devices. A device group holds the secret, so clients sharing a
// secret (and the same require_message_authenticator) share a group, named PREFIX + a counter that
// skips names already in the store. Every problem names the line of the attribute (or client) at fault.
import { MAX_SECRET, OBJECT_NAME } from "../admin/validate.ts";
import { parseCidr } from "../lib/ip.ts";
import type { ClientBlock } from "./freeradius-clients.ts";
import { RowError } from "./import-util.ts";

export interface PlannedGroup {
  name: string;
  secret: string;
  requireMessageAuthenticator: boolean;
  /** The first client that uses it: where a refused group is reported. */
  line: number;
  client: string;
}
export interface PlannedDevice {
  line: number;
  name: string;
  network: string;
  group: string;
}

/** The admin service's name rule, checked here too so a derived name can be fixed up first. */
const DEVICE_NAME = OBJECT_NAME;
/** What the import reads; any other attribute is reported once as ignored. */
export const USED_ATTRIBUTES = new Set([
  "ipaddr",
  "ipv4addr",
  "ipv6addr",
  "netmask",
  "secret",
  "shortname",
  "require_message_authenticator",
]);

function network(c: ClientBlock): string {
  const keys = ["ipaddr", "ipv4addr", "ipv6addr"].filter((k) => c.attrs.has(k));
  if (keys.length > 1)
    throw new RowError(
      c.attrs.get(keys[1]!)!.line,
      `client ${c.name}: give one of ${keys.join(", ")}, not several`,
    );
  const key = keys[0];
  const a = key === undefined ? { value: c.name, line: c.line } : c.attrs.get(key)!;
  let v = a.value.trim();
  if (v === "*") v = key === "ipv6addr" ? "::/0" : "0.0.0.0/0";
  const mask = c.attrs.get("netmask");
  if (mask !== undefined) {
    if (v.includes("/"))
      throw new RowError(
        mask.line,
        `client ${c.name}: netmask given and the address already has a /prefix`,
      );
    if (!/^\d{1,3}$/.test(mask.value.trim()))
      throw new RowError(
        mask.line,
        `client ${c.name}: netmask must be a prefix length, got "${mask.value}"`,
      );
    v = `${v}/${mask.value.trim()}`;
  }
  const cidr = parseCidr(v);
  if (!cidr.ok) {
    if (key === undefined)
      throw new RowError(
        c.line,
        `client ${c.name}: no ipaddr/ipv6addr and the name is not an address`,
      );
    if (/^[A-Za-z]/.test(v) && !v.includes(":"))
      throw new RowError(
        a.line,
        `client ${c.name}: "${v}" is a host name; FreeRADIUS resolves it once at start-up, aaa-proxy needs the address`,
      );
    throw new RowError(a.line, `client ${c.name}: "${a.value}" is not a valid address or CIDR`);
  }
  if (
    (key === "ipv4addr" && cidr.value.family !== 4) ||
    (key === "ipv6addr" && cidr.value.family !== 6)
  )
    throw new RowError(a.line, `client ${c.name}: ${key} = ${a.value} is the wrong address family`);
  return cidr.value.text;
}

function requireMA(c: ClientBlock): boolean {
  const a = c.attrs.get("require_message_authenticator");
  if (a === undefined) return false;
  const v = a.value.trim().toLowerCase();
  if (v === "yes" || v === "true" || v === "1") return true;
  // "auto" (FreeRADIUS 3.2.5+) requires it once a client has sent one; we cannot learn that, so
  // keep accepting requests without it, as FreeRADIUS did before the client sent one.
  if (v === "no" || v === "false" || v === "0" || v === "auto") return false;
  throw new RowError(
    a.line,
    `client ${c.name}: require_message_authenticator must be yes, no or auto, got "${a.value}"`,
  );
}

function deviceName(c: ClientBlock): string {
  if (DEVICE_NAME.test(c.name)) return c.name;
  const short = c.attrs.get("shortname")?.value;
  if (short !== undefined && DEVICE_NAME.test(short)) return short;
  // "10.0.0.0/8" → "10.0.0.0_8": keeps the name recognisable.
  const s = c.name.replace(/[^A-Za-z0-9._:@-]/g, "_").replace(/^[^A-Za-z0-9]/, "c");
  if (!DEVICE_NAME.test(s))
    throw new RowError(c.line, `client ${c.name}: cannot make a device name from it`);
  return s;
}

export function planClients(
  clients: ClientBlock[],
  prefix: string,
  groupExists: (name: string) => boolean,
): { groups: PlannedGroup[]; devices: PlannedDevice[]; ignored: string[] } {
  const groups = new Map<string, PlannedGroup>();
  const devices: PlannedDevice[] = [];
  const names = new Map<string, number>();
  const ignored = new Set<string>();
  let counter = 0;
  for (const c of clients) {
    for (const k of c.attrs.keys()) if (!USED_ATTRIBUTES.has(k)) ignored.add(k);
    const net = network(c);
    const s = c.attrs.get("secret");
    if (s === undefined) throw new RowError(c.line, `client ${c.name}: no secret`);
    if (s.value.length === 0 || s.value.length > MAX_SECRET)
      throw new RowError(s.line, `client ${c.name}: secret must be 1-${MAX_SECRET} characters`);
    const rma = requireMA(c);
    const key = JSON.stringify([s.value, rma]);
    let g = groups.get(key);
    if (g === undefined) {
      let name: string;
      do name = `${prefix}${++counter}`;
      while (groupExists(name));
      if (!DEVICE_NAME.test(name))
        throw new RowError(
          c.line,
          `group name "${name}" is not valid: choose another --group-prefix`,
        );
      g = {
        name,
        secret: s.value,
        requireMessageAuthenticator: rma,
        line: c.line,
        client: c.name,
      };
      groups.set(key, g);
    }
    const name = deviceName(c);
    const first = names.get(name);
    if (first !== undefined)
      throw new RowError(
        c.line,
        `client ${c.name}: device name "${name}" is already used by the client on line ${first}`,
      );
    names.set(name, c.line);
    devices.push({ line: c.line, name, network: net, group: g.name });
  }
  return {
    groups: [...groups.values()],
    devices,
    ignored: [...ignored].sort(),
  };
}
