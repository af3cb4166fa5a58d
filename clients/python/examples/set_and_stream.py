"""Sets an entity, then streams its events: the stored one first (a resume from position 0), then the
live ones that two edits make. Prints each event and a final ``OK 3 events``.

    cd clients/python && STATEGATE_URL=http://127.0.0.1:8080 .venv/bin/python -m examples.set_and_stream
"""

import json
import os
import uuid

from google.protobuf import json_format, struct_pb2

from stategate_client import create_client
from stategate_client import stategate_pb2 as pb

WANTED = 3


def struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def main() -> None:
    url = os.environ.get("STATEGATE_URL", "http://127.0.0.1:8080")
    ref = {"domain": "example", "type": "user", "key": f"ada-{uuid.uuid4()}"}
    with create_client(url) as client:
        # 1. Set the entity: its first version, and the first event in its history.
        client.entity.Set(pb.Entity(**ref, values=struct({"name": "Ada", "visits": 1})), timeout=10)

        # 2. Stream its events. after=0 replays the stored ones first (here: the Set), then goes on live
        #    with no gap; the key filter keeps the stream to this one entity.
        stream = client.event.Stream(pb.StreamEventOpts(**ref, after=0), timeout=20)
        seen = 0
        for event in stream:
            seen += 1
            values = json.dumps(json_format.MessageToDict(event.entity.values), separators=(",", ":"), sort_keys=True)
            print(
                f"event {seen}: {event.method} version={event.entity.version} "
                f"position={event.position} values={values}",
                flush=True,
            )
            if seen == WANTED:
                break
            # 3. Each change appends an event, which the open stream delivers live.
            client.entity.Edit(pb.Entity(**ref, values=struct({"visits": seen + 1})), timeout=10)
        stream.cancel()  # the stream never ends by itself
        if seen < WANTED:
            raise SystemExit(f"stream ended after {seen} of {WANTED} events")
        print(f"OK {seen} events")


if __name__ == "__main__":
    main()
