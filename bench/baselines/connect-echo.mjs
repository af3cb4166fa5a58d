import { createServer } from 'node:http2';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { EntityService } from '../../dist/generated/stategate_pb.js';

/**
 * S1 floor for gRPC: connect-node serving stategate's own EntityService over HTTP/2 cleartext, each call
 * answered straight from its request (Get echoes the ref as an entity, Set answers Empty) — the framework's
 * cost with no work behind it.
 */
const port = Number(process.argv[2]);
const routes = (router) =>
  router.service(EntityService, {
    get: (req) => ({
      domain: req.domain,
      type: req.type,
      key: req.key,
      values: { first_name: 'Coleman' },
      version: 1n,
    }),
    set: () => ({}),
  });
createServer(connectNodeAdapter({ routes })).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
