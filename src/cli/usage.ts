/** The CLI's help text (`stategate help`, and on a bad command line). */
export const USAGE = `Usage: stategate [command] [arguments] [options]

Server:
  serve                                   start the server (the default; configured by STATEGATE_* variables)

Entities:
  get <domain> <type> <key>               current values   [--version N | --at <RFC 3339 time>]
  set <domain> <type> <key> <json|->      replace values   [--version N: precondition; --version=-1: must not exist]
  edit <domain> <type> <key> <json|->     JSON Merge Patch [--version N]
  del <domain> <type> <key>               delete           [--version N]
  history <domain> <type> <key>           every event of the entity, oldest first   [--limit N (default 100)]
  tail                                    live events      [--domain G] [--type G] [--key G] [--after <position>]
                                          (globs: * any run, ? one character; --after replays the log first)
Cache and mutex:
  cache get <domain> <key>
  cache set <domain> <key> <json|->       [--ttl <seconds> | --exp <RFC 3339 time>]
  cache del <domain> <key>
  lock <domain> <key>                     take the mutex; prints the lease's token   [--ttl <seconds> | --exp <time>]
  unlock <domain> <key>                   release it   [--lease <the lease's token>]

Options (client commands):
  --url <url>      the server (default http://localhost:8080)
  --token <jwt>    a bearer token, when the server has authentication on
  --json           JSON output (the default when stdout is not a terminal; one object a line for tail)

A <json> argument of "-" is read from standard input.
Exit codes: 0 done, 1 the server refused or failed the call, 2 a bad command line.`;
