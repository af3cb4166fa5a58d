import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ReplayRequest, TriggerInput, TriggerView } from '../../core/triggers/model.js';
import * as pb from '../../generated/stategate_pb.js';
import { numberToInt64 } from './convert.js';

/** A Trigger message as core's input: proto3 defaults (0, "") are "not given", so core applies its defaults. */
export function coreTriggerInput(msg: pb.Trigger): TriggerInput {
  return {
    name: msg.name,
    url: msg.url,
    domain: msg.domain,
    type: msg.type,
    ...(msg.key !== '' && { key: msg.key }),
    secret: msg.secret,
    headers: { ...msg.headers },
    ...(msg.timeoutMs !== 0 && { timeoutMs: msg.timeoutMs }),
    ...(msg.maxAttempts !== 0 && { maxAttempts: msg.maxAttempts }),
    // core reads "now" or a position in digits (validateFrom).
    ...(msg.from !== '' && { from: msg.from as 'now' }),
  };
}

export function coreReplayRequest(msg: pb.ReplayTriggerOpts): ReplayRequest {
  return { name: msg.name, eventIds: [...msg.eventIds] };
}

export function protoTriggerInfo(view: TriggerView): pb.TriggerInfo {
  const { status } = view;
  return create(pb.TriggerInfoSchema, {
    name: view.name,
    url: view.url,
    domain: view.domain,
    type: view.type,
    key: view.key,
    headerNames: view.headerNames,
    timeoutMs: view.timeoutMs,
    maxAttempts: view.maxAttempts,
    createdAt: timestampFromMs(view.createdAt),
    status: {
      position: numberToInt64(status.position),
      lag: numberToInt64(status.lag),
      attempts: status.attempts,
      lastError: status.lastError ?? '',
      deadLetterCount: numberToInt64(status.deadLetterCount),
      deadLetters: status.deadLetters.map((l) => ({
        eventId: l.eventId,
        position: numberToInt64(l.position),
        domain: l.domain,
        type: l.type,
        key: l.key,
        attempts: l.attempts,
        lastError: l.lastError,
        time: timestampFromMs(l.time),
        replay: l.replay,
      })),
    },
  });
}

export function protoTriggerInfos(views: readonly TriggerView[]): pb.TriggerInfos {
  return create(pb.TriggerInfosSchema, { triggers: views.map(protoTriggerInfo) });
}

export function protoReplayResult(result: { replayed: number }): pb.ReplayTriggerResult {
  return create(pb.ReplayTriggerResultSchema, { replayed: result.replayed });
}
