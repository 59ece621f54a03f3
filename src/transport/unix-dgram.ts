// A non-blocking AF_UNIX SOCK_DGRAM sender, for the local syslog socket (/dev/log). Bun has no
// Unix datagram socket (Bun.connect's `unix` is SOCK_STREAM, which /dev/log refuses with
// EPROTOTYPE; node:dgram has no Unix family), so this calls libc through bun:ffi. Linux only:
// the constants below are Linux's (x86_64 and aarch64 agree on them).
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
/** Never block (a full receive queue is EAGAIN, counted as a drop), never SIGPIPE. */
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
export const EAGAIN = 11;
/** Larger than the socket's send buffer allows: this message only, the socket is fine. */
const EMSGSIZE = 90;
/** sockaddr_un: sa_family_t (2 bytes) + sun_path[108]; the path needs its NUL inside. */
const SUN_PATH_MAX = 107;

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | null = null;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

function errno(l: Libc): number {
  const p = l.__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

export type SendResult = "sent" | "busy" | "too_long" | "failed";

/** One connected datagram socket to `path`; reconnects on the next send after a failure. */
export class UnixDgram {
  private fd = -1;
  private readonly addr: Uint8Array;

  constructor(readonly path: string) {
    const p = new TextEncoder().encode(path);
    if (p.length === 0 || p.length > SUN_PATH_MAX)
      throw new Error(`unix socket path must be 1..${SUN_PATH_MAX} bytes: ${path}`);
    this.addr = new Uint8Array(2 + 108);
    new DataView(this.addr.buffer).setUint16(0, AF_UNIX, true);
    this.addr.set(p, 2);
  }

  /** Returns the errno of a failed connect, 0 when connected. */
  private connect(l: Libc): number {
    const fd = l.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno(l);
    if (l.connect(fd, ptr(this.addr), this.addr.length) !== 0) {
      const e = errno(l);
      l.close(fd);
      return e;
    }
    this.fd = fd;
    return 0;
  }

  send(msg: Uint8Array): SendResult {
    libc ??= openLibc();
    if (this.fd < 0 && this.connect(libc) !== 0) return "failed";
    if (msg.length === 0) return "sent";
    const n = Number(libc.send(this.fd, ptr(msg), msg.length, MSG_DONTWAIT | MSG_NOSIGNAL));
    if (n >= 0) return "sent";
    const e = errno(libc);
    if (e === EAGAIN) return "busy";
    if (e === EMSGSIZE) return "too_long";
    // ECONNREFUSED / ENOENT: the receiver went away (rsyslog or journald restarted and made a
    // new socket at the same path). Reconnect on the next message.
    this.close();
    return "failed";
  }

  close(): void {
    if (this.fd >= 0 && libc) libc.close(this.fd);
    this.fd = -1;
  }
}
