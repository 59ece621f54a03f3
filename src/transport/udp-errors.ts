// What a UDP socket's error() callback means, for the log level (issue 21, defect 9).
//
// Bun facts (1.4.5, checked): when an earlier datagram drew an ICMP error — a NAS that closed its
// port before our reply, a host or network unreachable — the socket's error() is called with
// `undefined`, not an Error; the send itself had returned true. That is the client's doing (or
// the network's), like any UDP loss: info, with a reason an operator can read. Errors that do come
// as an Error with one of the unreachable codes are the same. Anything else is the server's own
// failure: error.
export interface SocketErrorView {
  level: "info" | "error";
  reason: string;
}

const PEER_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
]);

export function socketErrorOf(e: unknown): SocketErrorView {
  if (e === undefined || e === null)
    return { level: "info", reason: "peer-unreachable (ICMP error for an earlier datagram)" };
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && PEER_CODES.has(code))
    return { level: "info", reason: `peer-unreachable (${code})` };
  if (e instanceof Error) return { level: "error", reason: e.message || e.name };
  return { level: "error", reason: String(e) };
}
