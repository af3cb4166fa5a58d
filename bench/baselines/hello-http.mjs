import { createServer } from 'node:http';

/** S1 floor: the least an HTTP/1.1 server on node:http can do per request. */
const port = Number(process.argv[2]);
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
