// The admin commands' part of `aaa-proxy --help`, kept beside the commands it describes.
export const ADMIN_USAGE = `Admin commands (safe while the server runs; they share its database):
  group add NAME [--tacacs-secret S] [--radius-secret S] [--proxy-network CIDR] [--description D]
            [--require-message-authenticator yes|no]
  group set NAME [--tacacs-secret S|--clear-tacacs-secret] [--radius-secret S|--clear-radius-secret]
            [--proxy-network CIDR|--clear-proxy-network] [--description D]
            [--require-message-authenticator yes|no]
            (add and set: --tacacs-secret-env VAR / --radius-secret-env VAR read the secret from VAR,
             not argv; --no-require-message-authenticator is the old spelling of
             --require-message-authenticator no)
  group list [--json] | group remove NAME
  device add NAME --network CIDR --group G [--disabled] | device list [--json] | device remove NAME
  device set NAME [--network CIDR] [--group G] [--enable|--disable]
  proxy add NAME --network CIDR [--description D] | proxy list [--json] | proxy remove NAME
  proxy set NAME [--network CIDR] [--description D]
  user add NAME --password P [--group G] ... | user list [--json] | user remove NAME | user passwd NAME --password P
  user groups NAME (--group G ... | --no-groups) | user enable|disable NAME | user expire NAME --expires ISO|never
  usergroup add|set|list|remove, rule add|set|list|remove, accounting list, policy test (see README)
  import freeradius-clients FILE | import csv devices|users FILE | export json [--include-secrets]`;
