// Seeding shim (see seed.ts): device groups, devices and proxies with DeviceStore's old call shapes.
// Writes are validated and audited by the admin service (actor "seed").
import type { Database } from "bun:sqlite";
import type { DevicePatch, GroupPatch, NewDevice, NewGroup, NewProxy } from "../admin/devices.ts";
import type { DeviceFilter, DeviceView, GroupView, ProxyView } from "../admin/ports.ts";
import type { Result } from "../lib/result.ts";
import type { Store } from "./open.ts";
import { done, seedService } from "./seed.ts";

const ACTOR = "seed";

export class DeviceStore {
  private readonly ops;
  constructor(s: Store | Database) {
    this.ops = seedService(s).devices;
  }
  addGroup = (g: NewGroup): Result<void> => done(this.ops.addGroup(ACTOR, g));
  updateGroup = (name: string, p: GroupPatch): Result<void> =>
    done(this.ops.updateGroup(ACTOR, name, p));
  removeGroup = (name: string): Result<void> => this.ops.removeGroup(ACTOR, name);
  listGroups = (): GroupView[] => this.ops.listGroups();
  getGroup = (name: string): GroupView | null => this.ops.getGroup(name);
  addDevice = (d: NewDevice): Result<void> => done(this.ops.addDevice(ACTOR, d));
  updateDevice = (name: string, p: DevicePatch): Result<void> =>
    done(this.ops.updateDevice(ACTOR, name, p));
  removeDevice = (name: string): Result<void> => this.ops.removeDevice(ACTOR, name);
  listDevices = (f: DeviceFilter = {}): DeviceView[] => this.ops.listDevices(f);
  getDevice = (name: string): DeviceView | null => this.ops.getDevice(name);
  addProxy = (p: NewProxy): Result<void> => done(this.ops.addProxy(ACTOR, p));
  removeProxy = (name: string): Result<void> => this.ops.removeProxy(ACTOR, name);
  listProxies = (): ProxyView[] => this.ops.listProxies();
}
