import type { Db, MongoServerError } from 'mongodb';
import { StategateError, unavailable } from '../../../core/errors.js';
import type { TriggerStore } from '../../../core/ports/trigger-store.js';
import type { DeadLetter, TriggerRecord, TriggerSpec } from '../../../core/triggers/model.js';
import { specFromJson } from '../../../core/triggers/stored-spec.js';

interface TriggerDoc {
  _id: string;
  spec: TriggerSpec;
  position: number;
  epoch: number;
  lastError: string | null;
  attempts: number;
  createdAt: number;
}

interface LetterDoc extends Omit<DeadLetter, 'eventId'> {
  _id: string;
  trigger: string;
  eventId: string;
}

const letterId = (trigger: string, eventId: string) => JSON.stringify([trigger, eventId]);

/**
 * Triggers in the MongoDB (or FerretDB) database, on the storage's own client. The cursor write is one
 * conditional update (fenced by the epoch in its filter). Dead-letter writes check the epoch and then write,
 * as two operations: without multi-document transactions (FerretDB has none) a holder fenced out in
 * between may still file a letter, which only means an event the new holder delivers is also listed.
 */
export function createMongoTriggerStore(db: Db, isClosed: () => boolean): TriggerStore {
  const triggers = db.collection<TriggerDoc>('stategate_triggers');
  const letters = db.collection<LetterDoc>('stategate_trigger_dead_letters');
  const claims = db.collection<{ _id: string; trigger: string; epoch: number }>('stategate_trigger_claims');
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    if (isClosed()) throw unavailable('storage is closed');
    try {
      return await work();
    } catch (err) {
      if (err instanceof StategateError) throw err;
      throw unavailable(`trigger storage failed: ${(err as Error).message}`, err);
    }
  };
  const current = async (name: string, epoch: number) => (await triggers.countDocuments({ _id: name, epoch })) === 1;

  return {
    open: () =>
      run(async () => {
        await letters.createIndex({ trigger: 1, position: 1 });
        await claims.createIndex({ trigger: 1, epoch: 1 });
      }),
    create: (spec, position, createdAt) =>
      run(async () => {
        try {
          await triggers.insertOne({
            _id: spec.name,
            spec,
            position,
            epoch: 0,
            lastError: null,
            attempts: 0,
            createdAt,
          });
          return true;
        } catch (err) {
          if ((err as MongoServerError).code === 11000) return false;
          throw err;
        }
      }),
    update: (spec) =>
      run(async () => (await triggers.updateOne({ _id: spec.name }, { $set: { spec } })).matchedCount === 1),
    get: (name) =>
      run(async () => {
        const doc = await triggers.findOne({ _id: name });
        return doc ? toRecord(doc) : null;
      }),
    list: () => run(async () => (await triggers.find({}).sort({ _id: 1 }).toArray()).map(toRecord)),
    delete: (name) =>
      run(async () => {
        const { deletedCount } = await triggers.deleteOne({ _id: name });
        await letters.deleteMany({ trigger: name });
        await claims.deleteMany({ trigger: name });
        return deletedCount === 1;
      }),
    claim: (name) =>
      run(async () => {
        // FerretDB's $inc is a read and a write that concurrent claims can interleave (two got the same epoch
        // in the contract test); an insert under a unique _id cannot, so each epoch is won by one claim.
        for (let tries = 0; tries < 100; tries++) {
          const doc = await triggers.findOne({ _id: name });
          if (!doc) return null;
          const next = doc.epoch + 1;
          try {
            await claims.insertOne({ _id: letterId(name, String(next)), trigger: name, epoch: next });
          } catch (err) {
            if ((err as MongoServerError).code !== 11000) throw err;
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
            continue;
          }
          await triggers.updateOne({ _id: name }, { $max: { epoch: next } });
          await claims.deleteMany({ trigger: name, epoch: { $lt: next - 10 } });
          return next;
        }
        throw unavailable(`trigger ${name}: could not claim an epoch`);
      }),
    saveProgress: (name, epoch, p) =>
      run(async () => {
        const result = await triggers.updateOne(
          { _id: name, epoch },
          { $max: { position: p.position }, $set: { lastError: p.lastError, attempts: p.attempts } },
        );
        return result.matchedCount === 1;
      }),
    addDeadLetter: (name, epoch, l) =>
      run(async () => {
        if (!(await current(name, epoch))) return false;
        const doc = {
          trigger: name,
          eventId: l.eventId,
          position: l.position,
          domain: l.domain,
          type: l.type,
          key: l.key,
          attempts: l.attempts,
          lastError: l.lastError,
          time: l.time ?? Date.now(),
          replay: false,
        };
        await letters.replaceOne({ _id: letterId(name, l.eventId) }, doc, { upsert: true });
        return true;
      }),
    listDeadLetters: (name, { limit, replayOnly }) =>
      run(async () => {
        const filter = replayOnly ? { trigger: name, replay: true } : { trigger: name };
        const docs = await letters.find(filter).sort({ position: 1 }).limit(limit).toArray();
        return docs.map(toLetter);
      }),
    countDeadLetters: (name) => run(() => letters.countDocuments({ trigger: name })),
    markReplay: (name, eventIds) =>
      run(async () => {
        const filter =
          eventIds === null
            ? { trigger: name, replay: false }
            : { _id: { $in: eventIds.map((id) => letterId(name, id)) }, replay: false };
        return (await letters.updateMany(filter, { $set: { replay: true } })).modifiedCount;
      }),
    settleReplay: (name, epoch, eventId, outcome) =>
      run(async () => {
        if (!(await current(name, epoch))) return false;
        const _id = letterId(name, eventId);
        if (outcome.delivered) await letters.deleteOne({ _id });
        else {
          await letters.updateOne(
            { _id },
            { $set: { attempts: outcome.attempts, lastError: outcome.lastError, time: outcome.time, replay: false } },
          );
        }
        return true;
      }),
  };
}

function toRecord(doc: TriggerDoc): TriggerRecord {
  return {
    spec: specFromJson(doc.spec),
    position: Number(doc.position),
    epoch: Number(doc.epoch),
    lastError: doc.lastError ?? null,
    attempts: Number(doc.attempts),
    createdAt: Number(doc.createdAt),
  };
}

function toLetter(doc: LetterDoc): DeadLetter {
  return {
    eventId: doc.eventId,
    position: Number(doc.position),
    domain: doc.domain,
    type: doc.type,
    key: doc.key,
    attempts: Number(doc.attempts),
    lastError: doc.lastError,
    time: Number(doc.time),
    replay: doc.replay === true,
  };
}
