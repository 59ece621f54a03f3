// Authorization: account state checks shared by every decision, shell start (priv-lvl + AV pairs),
// and command rules. Pure functions over a PolicySnapshot; time is an argument.
import { Reason, allow, deny, type Decision, type ShellDecision } from "./decisions.ts";
import type {
  CommandRequest,
  PolicyDevice,
  PolicyRule,
  PolicySnapshot,
  PolicyUser,
  PolicyUserGroup,
  RadiusReplyAttribute,
  RuleAction,
  ShellRequest,
} from "./ports.ts";

/** RFC 8265 UsernameCasePreserved: width-mapped input is out of scope; NFC, then exact comparison. */
export const normalizeUsername = (u: string): string => u.normalize("NFC");

export function userGroups(snap: PolicySnapshot, user: PolicyUser): PolicyUserGroup[] {
  const out: PolicyUserGroup[] = [];
  for (const id of user.userGroupIds) {
    const g = snap.groupsById.get(id);
    if (g !== undefined) out.push(g);
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Highest privilege level over the user's groups; 0 with no group (TACACS+ priv-lvl 0 = minimal). */
export function maxPrivLvl(groups: readonly PolicyUserGroup[]): number {
  let p = 0;
  for (const g of groups) if (g.privLvl > p) p = g.privLvl;
  return p;
}

/**
 * Disabled, expired, and device-group checks, in that order; null when the account may be used on
 * this device. A user may use a device only if one of its groups lists the device's group.
 */
export function accountState(
  user: PolicyUser,
  groups: readonly PolicyUserGroup[],
  device: PolicyDevice,
  nowWall: number,
): Decision | null {
  if (!user.enabled) return deny(Reason.disabled);
  if (user.expiresAt !== null && nowWall >= user.expiresAt) return deny(Reason.expired);
  if (!groups.some((g) => g.deviceGroupIds.includes(device.groupId)))
    return deny(Reason.notAllowedOnDeviceGroup);
  return null;
}

const avName = (av: string): string => {
  const i = av.search(/[=*]/);
  return i < 0 ? av : av.slice(0, i);
};

/**
 * Shell start / service authorization (RFC 8907 §6). Union of the groups' AV pairs for the service,
 * groups in id order, first group wins per attribute name; priv-lvl is the maximum of the groups'
 * priv_lvl and any priv-lvl AV. "shell" is always allowed for a usable account; other services only
 * when some group lists them.
 */
export function authorizeShell(
  snap: PolicySnapshot,
  req: ShellRequest,
  nowWall: number,
): ShellDecision {
  const user = snap.usersByName.get(normalizeUsername(req.username));
  if (user === undefined) return { ...deny(Reason.unknownUser), av: [] };
  const groups = userGroups(snap, user);
  const state = accountState(user, groups, req.device, nowWall);
  if (state !== null) return { ...state, av: [] };
  let priv = maxPrivLvl(groups);
  let listed = req.service === "shell";
  const seen = new Set<string>();
  const av: string[] = [];
  for (const g of groups) {
    const list = g.tacacsAv[req.service];
    if (list === undefined) continue;
    listed = true;
    for (const pair of list) {
      const name = avName(pair);
      if (name === "priv-lvl") {
        const n = Number(pair.slice(name.length + 1));
        if (Number.isInteger(n) && n > priv && n <= 15) priv = n;
        continue;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      av.push(pair);
    }
  }
  if (!listed) return { ...deny(Reason.serviceNotAllowed, { privLvl: priv }), av: [] };
  if (req.service === "shell") av.unshift(`priv-lvl=${priv}`);
  return { ...allow(Reason.permitted, { privLvl: priv }), av };
}

/**
 * The full command line: cmd and every cmd-arg in order, joined by one space. IOS ends the argument
 * list with a literal `cmd-arg=<cr>` marking end of line; it is dropped so `^show running-config$`
 * matches what the operator typed.
 */
export function commandLine(cmd: string, args: readonly string[]): string {
  const parts = [cmd, ...args];
  if (parts.length > 1 && parts[parts.length - 1] === "<cr>") parts.pop();
  return parts.filter((p) => p !== "").join(" ");
}

export type RuleVerdict =
  "match" | "skip-user-group" | "skip-device-group" | "skip-priv" | "no-match";

/** One rule against one request. A scoped rule never matches outside its scope (unlike the Python original). */
export function matchRule(
  rule: PolicyRule,
  userGroupIds: readonly number[],
  device: PolicyDevice,
  privLvl: number,
  line: string,
): RuleVerdict {
  if (rule.userGroupIds.length > 0 && !rule.userGroupIds.some((id) => userGroupIds.includes(id)))
    return "skip-user-group";
  if (rule.deviceGroupIds.length > 0 && !rule.deviceGroupIds.includes(device.groupId))
    return "skip-device-group";
  if (
    (rule.minPriv !== null && privLvl < rule.minPriv) ||
    (rule.maxPriv !== null && privLvl > rule.maxPriv)
  )
    return "skip-priv";
  return rule.pattern.test(line) ? "match" : "no-match";
}

export function ruleDecision(rule: PolicyRule, privLvl: number): Decision {
  return rule.action === "permit"
    ? allow(`permitted:${rule.name}`, { rule: rule.name, privLvl })
    : deny(`command-denied:${rule.name}`, { rule: rule.name, privLvl });
}

export const defaultDecision = (action: RuleAction, privLvl?: number): Decision =>
  action === "permit"
    ? allow(Reason.defaultPermit, privLvl === undefined ? {} : { privLvl })
    : deny(Reason.defaultDeny, privLvl === undefined ? {} : { privLvl });

/** Command authorization: account checks, then rules by position, first match wins, else the default. */
export function authorizeCommand(
  snap: PolicySnapshot,
  req: CommandRequest,
  defaultAction: RuleAction,
  nowWall: number,
): Decision {
  const user = snap.usersByName.get(normalizeUsername(req.username));
  if (user === undefined) return deny(Reason.unknownUser);
  const groups = userGroups(snap, user);
  const state = accountState(user, groups, req.device, nowWall);
  if (state !== null) return state;
  const line = commandLine(req.cmd, req.args);
  for (const rule of snap.rules) {
    if (matchRule(rule, user.userGroupIds, req.device, req.privLvl, line) === "match")
      return ruleDecision(rule, req.privLvl);
  }
  return defaultDecision(defaultAction, req.privLvl);
}

/** Union of the groups' RADIUS reply attributes (group id order, duplicates by name+value dropped). */
export function radiusReply(snap: PolicySnapshot, username: string): RadiusReplyAttribute[] {
  const user = snap.usersByName.get(normalizeUsername(username));
  if (user === undefined) return [];
  const seen = new Set<string>();
  const out: RadiusReplyAttribute[] = [];
  for (const g of userGroups(snap, user)) {
    for (const a of g.radiusReply) {
      const k = `${a.name}\u0000${a.value}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ name: a.name, value: a.value });
    }
  }
  return out;
}
