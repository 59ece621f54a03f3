// Plain options for the stream front door (camelCase, durations in ms). The composition root maps
// the validated config onto these; transports never read src/config.

export interface StreamListen {
  /** "host:port" (IPv6 in brackets); port 0 picks a free port. */
  address: string;
  /** Only the load balancer can reach this listener: a PROXY v2 header is mandatory. */
  requireProxyProtocol: boolean;
}

export interface ProxyProtocolOptions {
  enabled: boolean;
  /** Accept a header only from a registered proxy. */
  validateSources: boolean;
  /** A malformed header closes the connection (false: its bytes are skipped, treated as direct). */
  rejectInvalid: boolean;
}

export interface DoorLimits {
  maxConnections: number;
  maxConnectionsPerClient: number;
  maxConnectionsPerProxy: number;
  /**
   * Connections from a socket peer that is neither a registered proxy nor a device, while their
   * PROXY v2 header (or first byte) is undecided: at most this many in all and per source. They can
   * only become a device by a header from an unvalidated source or by auto-registration, so they get
   * a small budget instead of `maxConnections`: registered proxies and devices always find slots.
   * Default: pendingBudget(maxConnections).
   */
  maxUnadmitted?: number;
  maxUnadmittedPerSource?: number;
}

export interface DoorOptions<P extends string = string> {
  /** Protocol name for listener status and logs ("tacacs"). */
  protocol: P;
  listen: StreamListen[];
  proxyProtocol: ProxyProtocolOptions;
  /** One deadline for the PROXY header and the first whole packet (ms). */
  firstPacketTimeoutMs: number;
  /** After the first packet: time allowed between packets (ms). */
  idleTimeoutMs: number;
  limits: DoorLimits;
}

/** The default pre-admission budget: an eighth of the connection cap (at most 1,024), 8 per source. */
export function pendingBudget(maxConnections: number): { total: number; perSource: number } {
  const total = Math.max(1, Math.min(1024, Math.floor(maxConnections / 8)));
  return { total, perSource: Math.min(8, total) };
}
