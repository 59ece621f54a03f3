// The offline policy tracer (`aaa-proxy policy test`): the same functions the engines use, with every
// step recorded, so an operator can see which rule decided and why the earlier ones did not.
import { Reason, deny, type Decision } from "./decisions.ts";
import {
  accountState,
  authorizeShell,
  commandLine,
  defaultDecision,
  matchRule,
  maxPrivLvl,
  normalizeUsername,
  ruleDecision,
  userGroups,
  type RuleVerdict,
} from "./authorize.ts";
import type { CommandRequest, PolicyDevice, PolicySnapshot, RuleAction } from "./ports.ts";

export interface RuleStep {
  rule: string;
  position: number;
  action: RuleAction;
  pattern: string;
  verdict: RuleVerdict;
}

export interface AccessTrace {
  user: string;
  known: boolean;
  userGroups: string[];
  privLvl: number;
  device: PolicyDevice;
  /** Account state on this device: null when usable. */
  state: Decision | null;
  shellAv: string[];
}

export interface CommandTrace {
  line: string;
  steps: RuleStep[];
  decision: Decision;
}

export function traceAccess(
  snap: PolicySnapshot,
  username: string,
  device: PolicyDevice,
  nowWall: number,
): AccessTrace {
  const name = normalizeUsername(username);
  const user = snap.usersByName.get(name);
  if (user === undefined) {
    return {
      user: name,
      known: false,
      userGroups: [],
      privLvl: 0,
      device,
      state: deny(Reason.unknownUser),
      shellAv: [],
    };
  }
  const groups = userGroups(snap, user);
  const shell = authorizeShell(snap, { username: name, device, service: "shell" }, nowWall);
  return {
    user: name,
    known: true,
    userGroups: groups.map((g) => g.name),
    privLvl: maxPrivLvl(groups),
    device,
    state: accountState(user, groups, device, nowWall),
    shellAv: shell.av,
  };
}

/** Mirrors authorizeCommand exactly (same helpers, same order), recording each rule's verdict. */
export function traceCommand(
  snap: PolicySnapshot,
  req: CommandRequest,
  defaultAction: RuleAction,
  nowWall: number,
): CommandTrace {
  const line = commandLine(req.cmd, req.args);
  const user = snap.usersByName.get(normalizeUsername(req.username));
  if (user === undefined) return { line, steps: [], decision: deny(Reason.unknownUser) };
  const state = accountState(user, userGroups(snap, user), req.device, nowWall);
  if (state !== null) return { line, steps: [], decision: state };
  const steps: RuleStep[] = [];
  for (const rule of snap.rules) {
    const verdict = matchRule(rule, user.userGroupIds, req.device, req.privLvl, line);
    steps.push({
      rule: rule.name,
      position: rule.position,
      action: rule.action,
      pattern: rule.pattern.source,
      verdict,
    });
    if (verdict === "match") return { line, steps, decision: ruleDecision(rule, req.privLvl) };
  }
  return { line, steps, decision: defaultDecision(defaultAction, req.privLvl) };
}
