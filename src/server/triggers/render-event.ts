import { toJson } from '@bufbuild/protobuf';
import type { Event } from '../../core/model.js';
import { EventSchema } from '../../generated/stategate_pb.js';
import { protoEvent } from '../../transports/proto/convert.js';

/** The body of a delivery: the event as protojson (with its `position`), exactly as REST and Connect render it. */
export function renderEvent(event: Event): string {
  return JSON.stringify(toJson(EventSchema, protoEvent(event)));
}
