// A development identity provider, for trying stategate's authentication on one machine: it makes a
// signing key, publishes its public half as a JWKS, and hands out short-lived tokens for any `sub`.
// Anyone who can reach it can mint tokens: bind it to loopback and never use it in production.
//
//   node examples/auth/dev-issuer.mjs [port]     (default 9000)
//   GET /.well-known/jwks.json                 the key set (STATEGATE_JWKS_URI)
//   GET /token?sub=alice[&ttl=600]             a token for alice, valid ttl seconds (default 3600)
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const port = Number(process.argv[2] ?? 9000);
const kid = `dev-${Date.now().toString(36)}`;
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/.well-known/jwks.json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    return;
  }
  const sub = url.searchParams.get('sub');
  if (url.pathname === '/token' && sub) {
    const ttl = Number(url.searchParams.get('ttl') ?? 3600);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(privateKey);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /.well-known/jwks.json or /token?sub=NAME\n');
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(
    `dev issuer: JWKS at http://127.0.0.1:${port}/.well-known/jwks.json, tokens at /token?sub=NAME\n`,
  );
});
