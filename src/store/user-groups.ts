// Seeding shim (see seed.ts): user groups with the old call shapes; the admin service validates and audits.
import type { UserGroupView } from "../admin/ports.ts";
import type { NewUserGroup } from "../admin/user-groups.ts";
import type { Result } from "../lib/result.ts";
import type { Store } from "./open.ts";
import { done, seedService } from "./seed.ts";

export const addUserGroup = async (
  store: Store,
  g: NewUserGroup,
  actor: string,
): Promise<Result<void>> => done(seedService(store).userGroups.add(actor, g));
export const listUserGroups = (store: Store): UserGroupView[] =>
  seedService(store).userGroups.list();
export const removeUserGroup = (store: Store, name: string, actor: string): Result<void> =>
  seedService(store).userGroups.remove(actor, name);
