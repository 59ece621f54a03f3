// What a listener reports about itself: written by the transports, read by the health route, the
// status page and reload. A plain type in lib because both sides are adapters, which never import
// each other (they meet only in the composition root).
export interface ListenerStatus {
  protocol: "tacacs" | "radius-auth" | "radius-acct" | "http";
  address: string;
  state: "listening" | "failed" | "stopped";
  error?: string;
}
