/**
 * Event triggers as the API shows them (listTriggers, getTrigger): never a secret, only header names, and the
 * URL with its query values masked. Int64 fields (positions, counts) arrive as decimal strings.
 */
import { request } from './api.js';

export interface TriggerStatus {
  /** Every event at or below this log position was acknowledged or dead-lettered. */
  position: string;
  /** Log positions committed after the cursor. */
  lag: string;
  /** Failed attempts of the oldest pending event. */
  attempts: number;
  lastError: string | null;
  deadLetterCount: string;
}

export interface DeadLetter {
  eventId: string;
  position: string;
  domain: string;
  type: string;
  key: string;
  attempts: number;
  lastError: string;
  time: string;
  /** Marked by replayTrigger, waiting to be sent again. */
  replay: boolean;
}

export interface Trigger {
  name: string;
  url: string;
  domain: string;
  type: string;
  key: string;
  headerNames: string[];
  timeoutMs: number;
  maxAttempts: number;
  createdAt: string;
  status: TriggerStatus;
}

export interface TriggerWithLetters extends Trigger {
  status: TriggerStatus & { deadLetters: DeadLetter[] };
}

/** What the create form sends; empty optional fields are left out so the server's defaults apply. */
export interface NewTrigger {
  name: string;
  url: string;
  domain: string;
  type: string;
  key?: string;
  secret: string;
  maxAttempts?: number;
  from?: string;
}

const FIELDS = `name url domain type key headerNames timeoutMs maxAttempts createdAt
  status { position lag attempts lastError deadLetterCount`;
const LIST = `query ConsoleListTriggers($input: ListTriggersInput!) { listTriggers(input: $input) { ${FIELDS} } } }`;
const GET = `query ConsoleGetTrigger($input: TriggerRefInput!) {
  getTrigger(input: $input) {
    ${FIELDS} deadLetters { eventId position domain type key attempts lastError time replay } }
  }
}`;
const CREATE = `mutation ConsoleCreateTrigger($input: TriggerInput!) { createTrigger(input: $input) { name } }`;
const DELETE = `mutation ConsoleDeleteTrigger($input: TriggerRefInput!) { deleteTrigger(input: $input) { name } }`;
const REPLAY = `mutation ConsoleReplayTrigger($input: ReplayTriggerInput!) { replayTrigger(input: $input) { replayed } }`;

export const listTriggers = () => request<{ listTriggers: Trigger[] }>(LIST, { input: {} }).then((d) => d.listTriggers);

export const getTrigger = (name: string) =>
  request<{ getTrigger: TriggerWithLetters }>(GET, { input: { name } }).then((d) => d.getTrigger);

export const createTrigger = (input: NewTrigger) =>
  request<{ createTrigger: { name: string } }>(CREATE, { input }).then((d) => d.createTrigger.name);

export const deleteTrigger = (name: string) => request(DELETE, { input: { name } });

/** Marks dead letters for sending again (`eventIds` empty = all of them); answers how many. */
export const replayTrigger = (name: string, eventIds: string[]) =>
  request<{ replayTrigger: { replayed: number } }>(REPLAY, { input: { name, eventIds } }).then(
    (d) => d.replayTrigger.replayed,
  );

/** A fresh Standard Webhooks secret: whsec_ + base64 of 32 random bytes, made in the browser. */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/** The globs a trigger matches, as one readable line. */
export const globs = (t: Pick<Trigger, 'domain' | 'type' | 'key'>) => `${t.domain} / ${t.type} / ${t.key}`;
