// Temporary directories and stores for tests; removed in afterAll by the caller.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/open.ts";

export function tempDir(prefix = "aaa-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function tempStore(): Store & { dir: string; remove(): void } {
  const dir = tempDir("aaa-store-");
  const store = openStore(join(dir.path, "aaa.sqlite"));
  return {
    ...store,
    dir: dir.path,
    remove: () => {
      store.close();
      dir.remove();
    },
  };
}
