// Independent peers (Debian packages) that interop tests drive. In CI (CI=true, set by the CI
// runner; .ci/run installs every package below) a missing peer FAILS the test file. On a
// developer machine without them, the file's tests are skipped with a printed reason, so the
// README's `npm test` works on a fresh machine with only Node.js and npm.
import { existsSync } from "node:fs";

const SBIN = { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/local/sbin` };

const PROBES: Record<string, () => boolean> = {
  tshark: () => Bun.which("tshark") !== null,
  haproxy: () => Bun.which("haproxy", SBIN) !== null,
  "python3-pyrad": () =>
    existsSync("/usr/bin/python3") &&
    Bun.spawnSync(["/usr/bin/python3", "-c", "import pyrad.packet"], { timeout: 15_000 })
      .exitCode === 0,
  "freeradius-common": () => existsSync("/usr/share/freeradius/dictionary"),
  "freeradius-utils": () => Bun.which("radclient") !== null,
  freeradius: () => Bun.which("freeradius", SBIN) !== null,
  chromium: () => Bun.which("chromium") !== null,
  rsyslog: () => Bun.which("rsyslogd", SBIN) !== null,
  "libauthen-tacacsplus-perl": () =>
    Bun.spawnSync(["perl", "-MAuthen::TacacsPlus", "-e", "1"], { timeout: 15_000 }).exitCode === 0,
};

export type Peer = keyof typeof PROBES;

export const inCI = (): boolean => {
  const v = process.env.CI;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
};

/**
 * Returns true when every listed peer is installed. Otherwise: in CI, throws (the file fails);
 * elsewhere prints which Debian packages are missing and returns false (use with describe.skipIf).
 */
export function peersAvailable(...peers: Peer[]): boolean {
  const missing = peers.filter((p) => !PROBES[p]!());
  if (missing.length === 0) return true;
  const msg = `missing independent peer(s): install the Debian package(s) ${missing.join(", ")} (apt-get install -y ${missing.join(" ")}); .ci/run installs them`;
  if (inCI()) throw new Error(msg);
  console.warn(`SKIPPED (not in CI): ${msg}`);
  return false;
}
