// Listening TCP sockets that a reload hands over instead of closing (issue 21, defect 5).
//
// Closing a listening socket makes the kernel reset every connection still in its SYN and accept
// queues, so "bind the new one, then close the old one" still fails a few connections per reload
// under load, even with SO_REUSEPORT sharing the address meanwhile (measured: ~2 per reload at
// ~4,000 sessions/s; the Linux sysctl net.ipv4.tcp_migrate_req=1 would migrate them, but a
// server should not depend on a host setting). So when the new service asks for an address the
// running one already listens on, it gets that very socket with its own handlers swapped in
// (`listener.reload`): nothing is closed and nothing queued is lost. Connections already open
// keep their per-connection state in `socket.data`, so the handlers must dispatch through it
// (they do: open() builds the state, the other callbacks only forward to it).
//
// One pool per composition root: only a service that replaces another one of the same root takes
// its sockets; anyone else asking for a taken address gets EADDRINUSE as before. Port 0 (tests)
// is never shared: each bind asks the kernel for a new port.
import type { SocketHandler, TCPSocketListener } from "bun";

/** What Bun.listen takes for a TCP listener, as far as the pool needs it. */
export interface TcpListenOptions<D> {
  hostname: string;
  port: number;
  allowHalfOpen?: boolean;
  socket: SocketHandler<D>;
}

export interface PooledListener {
  readonly port: number;
  /** Stop accepting, unless a newer service took the socket over (then nothing to do). */
  release(): void;
  /** Close it and every connection on it, unless taken over. */
  close(): void;
}

interface Entry {
  listener: TCPSocketListener<unknown>;
  owner: symbol;
}

export class ListenerPool {
  private readonly open = new Map<string, Entry>();

  /** Listen on host:port, taking over this pool's socket there if one is open. */
  listen<D>(o: TcpListenOptions<D>): PooledListener {
    const { hostname: host, port, socket } = o;
    const key = `${host}|${port}`;
    const me = Symbol(key);
    let entry = port === 0 ? undefined : this.open.get(key);
    if (entry) {
      (entry.listener as TCPSocketListener<D>).reload({ socket });
      entry.owner = me;
    } else {
      const listener = Bun.listen<D>(o);
      entry = { listener: listener as TCPSocketListener<unknown>, owner: me };
      if (port !== 0) this.open.set(key, entry);
    }
    const e = entry;
    const mine = () => e.owner === me;
    const forget = () => {
      if (this.open.get(key) === e) this.open.delete(key);
    };
    return {
      port: e.listener.port,
      release() {
        if (!mine()) return;
        e.listener.stop(false);
        forget();
      },
      close() {
        if (!mine()) return;
        e.listener.stop(true);
        forget();
      },
    };
  }
}
