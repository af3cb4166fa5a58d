// A small function that stategate calls for every event of a trigger: it checks the Standard Webhooks
// signature with the `standardwebhooks` package (npm install standardwebhooks), then handles the event.
// Answer 2xx once the event is handled; anything else (or no answer within the trigger's timeoutMs) makes
// stategate retry it later. Deliveries are at least once: `webhook-id` (the event id) tells a repeat apart.
//
//   WEBHOOK_SECRET=whsec_… PORT=3000 node examples/triggers/receiver.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.WEBHOOK_SECRET);
const seen = new Set();

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let event;
    try {
      // Throws unless the signature is the secret's and the timestamp is recent (replays are refused).
      event = webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers);
    } catch {
      res.writeHead(401).end();
      return;
    }
    if (!seen.has(event.id)) {
      seen.add(event.id);
      const { domain, type, key, version, values } = event.entity;
      console.log(
        `verified ${domain}/${type}/${key} v${version} at position ${event.position}: ${JSON.stringify(values)}`,
      );
    }
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log('listening'));
