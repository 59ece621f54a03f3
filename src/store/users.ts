// Seeding shim (see seed.ts): local users with the old call shapes; the admin service validates,
// hashes, encrypts the CHAP credential and audits.
import type { NewUser as ServiceNewUser } from "../admin/users.ts";
import type { UserView } from "../admin/ports.ts";
import type { Result } from "../lib/result.ts";
import type { Store } from "./open.ts";
import { done, seedService } from "./seed.ts";

export interface NewUser extends ServiceNewUser {
  /** The CHAP-credential key (needed with chapSecret). */
  chapKey?: Uint8Array | null;
}

export async function addUser(store: Store, u: NewUser, actor: string): Promise<Result<void>> {
  const { chapKey, ...user } = u;
  return done(await seedService(store, chapKey ?? null).users.add(actor, user));
}
export const listUsers = (store: Store): UserView[] => seedService(store).users.list();
export const removeUser = (store: Store, username: string, actor: string): Result<void> =>
  seedService(store).users.remove(actor, username);
export const setEnabled = (
  store: Store,
  username: string,
  enabled: boolean,
  actor: string,
): Result<void> => done(seedService(store).users.setEnabled(actor, username, enabled));
export const setPassword = async (
  store: Store,
  username: string,
  password: string,
  actor: string,
): Promise<Result<void>> =>
  done(await seedService(store).users.setPassword(actor, username, password));
