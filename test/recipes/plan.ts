// What a recipe's commands configure, read back from the argv the CLI ran, and what a device
// should therefore receive: the expectations of recipes.test.ts, derived from the page itself.
import { flagValues, type Recipe } from "./recipe-doc.ts";

/** One row per page of docs/devices/: what that platform asks for and needs. */
export interface Platform {
  doc: string;
  /** The TACACS+ authorization service the platform asks for after login (RFC 8907 §6.1 args). */
  service: string;
  /** Reply attributes the platform needs; the page must configure each for some user group. */
  radius: string[];
  /** TACACS+ AVs the platform needs in that service's reply (the start of their text). */
  tacacs: string[];
}

export const PLATFORMS: Platform[] = [
  {
    doc: "cisco-ios-xe.md",
    service: "shell",
    radius: ["Cisco-AVPair"],
    tacacs: ["priv-lvl"],
  },
  {
    doc: "cisco-nx-os.md",
    service: "shell",
    radius: ["Cisco-AVPair"],
    tacacs: ["priv-lvl", "cisco-av-pair=shell:roles="],
  },
  {
    doc: "juniper-junos.md",
    service: "junos-exec",
    radius: ["Juniper-Local-User-Name"],
    tacacs: ["local-user-name="],
  },
  {
    doc: "arista-eos.md",
    service: "shell",
    radius: ["Arista-AVPair"],
    tacacs: ["priv-lvl"],
  },
  {
    doc: "fortinet-fortigate.md",
    service: "fortigate",
    radius: ["Fortinet-Group-Name"],
    tacacs: ["memberof=", "admin_prof="],
  },
];

export interface UserPlan {
  name: string;
  groups: string[];
}

/** What a recipe's commands configure, read back from the same argv the CLI ran. */
export function plan(r: Recipe) {
  const usergroups = new Map<string, { privLvl: number; av: string[]; reply: string[] }>();
  const users: UserPlan[] = [];
  let deviceGroup: string | undefined;
  for (const a of r.setup) {
    if (a[0] === "group" && a[1] === "add") deviceGroup ??= a[2];
    if (a[0] === "usergroup" && a[1] === "add")
      usergroups.set(a[2]!, {
        privLvl: Number(flagValues(a, "--priv-lvl")[0] ?? 1),
        av: flagValues(a, "--av"),
        reply: flagValues(a, "--radius-reply"),
      });
    if (a[0] === "user" && a[1] === "add")
      users.push({ name: a[2]!, groups: flagValues(a, "--group") });
  }
  if (deviceGroup === undefined) throw new Error("the recipe adds no device group");
  return { usergroups, users, deviceGroup };
}

/**
 * The AV pairs a user's groups give `service`, as src/policy/authorize.ts documents the merge:
 * priv-lvl folded into one (the maximum, first for shell), first group wins per AV name. Groups
 * are taken in the user's --group order, which is their id order when a page adds them in that
 * order (the recipes give each user one group).
 */
export function expectedAv(p: ReturnType<typeof plan>, u: UserPlan, service: string): string[] {
  let priv = 0;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const g of u.groups) {
    const ug = p.usergroups.get(g)!;
    priv = Math.max(priv, ug.privLvl);
    for (const s of ug.av) {
      const m = /^(?:service=)?([^:]+):(.*)$/s.exec(s)!;
      if (m[1] !== service) continue;
      const name = m[2]!.split(/[=*]/)[0]!;
      if (name === "priv-lvl") priv = Math.max(priv, Number(m[2]!.slice(name.length + 1)));
      else if (!seen.has(name)) {
        seen.add(name);
        out.push(m[2]!);
      }
    }
  }
  return service === "shell" ? [`priv-lvl=${priv}`, ...out] : out;
}

export const expectedReply = (p: ReturnType<typeof plan>, u: UserPlan) =>
  [...new Set(u.groups.flatMap((g) => p.usergroups.get(g)!.reply))].map((s) => {
    const i = s.indexOf("=");
    return { name: s.slice(0, i), value: s.slice(i + 1) };
  });
