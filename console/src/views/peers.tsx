/** Peer messages: broadcast one (broadcastMessage) and watch the live stream (streamMessages, globs). */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, request, subscribe } from '../api.js';
import { formatNs } from '../time.js';
import { Empty, ErrorNote, Field, JsonBlock, parseJsonInput } from '../ui.js';

interface PeerMessage {
  id: string;
  domain: string;
  channel: string;
  type: string;
  body: unknown;
  time: string;
}

const BROADCAST = `mutation ConsoleBroadcast($input: MessageInput!) { broadcastMessage(input: $input) }`;
const STREAM = `subscription ConsolePeers($input: StreamMessageOpts!) {
  streamMessages(input: $input) { id domain channel type body time }
}`;

export function Peers() {
  const [message, setMessage] = useState({
    domain: 'chat',
    channel: 'general',
    type: 'text',
    body: '{"text": "hello"}',
  });
  const [sent, setSent] = useState<{ ok: true } | { error: unknown } | null>(null);
  const [globs, setGlobs] = useState({ domain: '*', channel: '*', type: '*' });
  const [received, setReceived] = useState<PeerMessage[]>([]);
  const [listening, setListening] = useState(false);
  const [streamError, setStreamError] = useState<ApiError | null>(null);
  const stop = useRef<(() => void) | null>(null);
  useEffect(() => () => stop.current?.(), []);

  const broadcast = async (e: Event) => {
    e.preventDefault();
    try {
      const body = parseJsonInput('body', message.body);
      await request(BROADCAST, { input: { ...message, body } });
      setSent({ ok: true });
    } catch (err) {
      setSent({ error: err });
    }
  };
  const listen = (e: Event) => {
    e.preventDefault();
    stop.current?.();
    setStreamError(null);
    setReceived([]);
    stop.current = subscribe<{ streamMessages: PeerMessage }>(
      STREAM,
      { input: globs },
      {
        next: ({ streamMessages: m }) => setReceived((old) => [m, ...old].slice(0, 200)),
        error: (err) => {
          setStreamError(err);
          setListening(false);
        },
      },
    );
    setListening(true);
  };
  const stopListening = () => {
    stop.current?.();
    stop.current = null;
    setListening(false);
  };

  return (
    <section aria-labelledby="peers-title">
      <h1 id="peers-title">Peer messages</h1>
      <p class="hint">Messages reach live subscribers only and are never stored (at most once).</p>
      <div class="grid">
        <form class="stack" onSubmit={broadcast} aria-labelledby="broadcast-title">
          <h2 id="broadcast-title">Broadcast</h2>
          <Field label="Domain">
            <input
              name="domain"
              value={message.domain}
              onInput={(e) => setMessage({ ...message, domain: e.currentTarget.value })}
            />
          </Field>
          <Field label="Channel">
            <input
              name="channel"
              value={message.channel}
              onInput={(e) => setMessage({ ...message, channel: e.currentTarget.value })}
            />
          </Field>
          <Field label="Type">
            <input
              name="type"
              value={message.type}
              onInput={(e) => setMessage({ ...message, type: e.currentTarget.value })}
            />
          </Field>
          <Field label="Body (JSON object)">
            <textarea
              name="body"
              rows={4}
              value={message.body}
              onInput={(e) => setMessage({ ...message, body: e.currentTarget.value })}
            />
          </Field>
          <button type="submit">Broadcast</button>
          {sent && 'ok' in sent && (
            <p class="note ok" role="status">
              Sent.
            </p>
          )}
          {sent && 'error' in sent && <ErrorNote error={sent.error} title="Not sent" />}
        </form>
        <div class="stack">
          <form class="stack" onSubmit={listen} aria-labelledby="listen-title">
            <h2 id="listen-title">Live stream</h2>
            <Field label="Domain glob">
              <input
                name="domain"
                value={globs.domain}
                onInput={(e) => setGlobs({ ...globs, domain: e.currentTarget.value })}
              />
            </Field>
            <Field label="Channel glob">
              <input
                name="channel"
                value={globs.channel}
                onInput={(e) => setGlobs({ ...globs, channel: e.currentTarget.value })}
              />
            </Field>
            <Field label="Type glob">
              <input
                name="type"
                value={globs.type}
                onInput={(e) => setGlobs({ ...globs, type: e.currentTarget.value })}
              />
            </Field>
            <div class="row">
              <button type="submit">{listening ? 'Restart' : 'Listen'}</button>
              <button type="button" onClick={stopListening} disabled={!listening}>
                Stop
              </button>
            </div>
          </form>
          {streamError && <ErrorNote error={streamError} title="The stream ended" />}
          {listening && received.length === 0 && (
            <Empty>
              <p>Listening… broadcast a message (here or from any client) to see it arrive.</p>
            </Empty>
          )}
          <ul class="messages" aria-live="polite">
            {received.map((m) => (
              <li key={m.id}>
                <small>
                  {formatNs(m.time)} · {m.domain}/{m.channel}/{m.type}
                </small>
                <JsonBlock value={m.body} label="message body" />
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}
