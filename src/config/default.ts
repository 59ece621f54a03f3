// The embedded default configuration: what `aaa-proxy` (or `npm start`) runs with no --config.
// Loopback only. It holds no secrets: on first start the demo device group and demo user are
// created with random secrets, written to data/demo-credentials.env (mode 0600), never logged.
export const DEFAULT_CONFIG_TOML = `
[log]
level = "info"

[store]
path = "data/aaa-demo.sqlite"

[tacacs]
listen = ["127.0.0.1:4949"]

[radius]
auth_listen = ["127.0.0.1:1812"]
acct_listen = ["127.0.0.1:1813"]

[http]
listen = "127.0.0.1:9090"
`;

export const DEMO_CREDENTIALS_FILE = "data/demo-credentials.env";
