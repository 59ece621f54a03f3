// Shared fixtures for the policy unit tests: an in-memory PolicySource and a counting fake hasher.
import type {
  PasswordHasher,
  PolicyDevice,
  PolicyRule,
  PolicySnapshot,
  PolicyUser,
  PolicyUserGroup,
} from "../../src/policy/ports.ts";

export class FakeHasher implements PasswordHasher {
  verifies = 0;
  async hash(p: string): Promise<string> {
    return `fake$${p}`;
  }
  async verify(p: string | Uint8Array, h: string): Promise<boolean> {
    this.verifies++;
    return h === `fake$${typeof p === "string" ? p : new TextDecoder().decode(p)}`;
  }
}

export const core: PolicyDevice = {
  deviceName: "core1",
  groupId: 10,
  groupName: "core",
};
export const lab: PolicyDevice = {
  deviceName: "lab1",
  groupId: 20,
  groupName: "lab",
};

export function group(id: number, name: string, o: Partial<PolicyUserGroup> = {}): PolicyUserGroup {
  return {
    id,
    name,
    privLvl: 1,
    tacacsAv: {},
    radiusReply: [],
    deviceGroupIds: [core.groupId],
    ...o,
  };
}

export function user(
  id: number,
  username: string,
  password: string,
  groups: number[],
  o: Partial<PolicyUser> = {},
): PolicyUser {
  return {
    id,
    username,
    enabled: true,
    passwordHash: `fake$${password}`,
    enableHash: null,
    chapSecretEnc: null,
    ntHash: null,
    expiresAt: null,
    credentialVersion: 1,
    userGroupIds: groups,
    ...o,
  };
}

export function rule(
  id: number,
  name: string,
  action: "permit" | "deny",
  pattern: string,
  o: Partial<PolicyRule> = {},
): PolicyRule {
  return {
    id,
    name,
    position: id,
    action,
    pattern: new RegExp(pattern),
    minPriv: null,
    maxPriv: null,
    userGroupIds: [],
    deviceGroupIds: [],
    ...o,
  };
}

/** A mutable source: tests replace parts of the snapshot between calls. */
export class MemorySource {
  snap: PolicySnapshot;
  constructor(users: PolicyUser[], groups: PolicyUserGroup[], rules: PolicyRule[] = []) {
    this.snap = {
      usersByName: new Map(users.map((u) => [u.username, u])),
      groupsById: new Map(groups.map((g) => [g.id, g])),
      rules: [...rules].sort((a, b) => a.position - b.position || a.id - b.id),
    };
  }
  snapshot(): PolicySnapshot {
    return this.snap;
  }
  setUser(u: PolicyUser): void {
    const m = new Map(this.snap.usersByName);
    m.set(u.username, u);
    this.snap = { ...this.snap, usersByName: m };
  }
}
