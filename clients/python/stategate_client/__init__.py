"""stategate_client: the stategate API over gRPC, generated from proto/stategate.proto by grpcio-tools.

The messages are in ``stategate_pb2`` and the service stubs in ``stategate_pb2_grpc`` (both generated: run
scripts/gen-clients.sh, never edit them). ``create_client`` opens a channel and its five stubs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import grpc

from . import stategate_pb2, stategate_pb2_grpc

__all__ = ["StategateClient", "create_client", "stategate_pb2", "stategate_pb2_grpc"]


@dataclass
class StategateClient:
    """One stub per stategate service, all over one channel. Use as a context manager to close it."""

    channel: grpc.Channel
    entity: stategate_pb2_grpc.EntityServiceStub
    event: stategate_pb2_grpc.EventServiceStub
    peer: stategate_pb2_grpc.PeerServiceStub
    cache: stategate_pb2_grpc.CacheServiceStub
    mutex: stategate_pb2_grpc.MutexServiceStub

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> StategateClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_client(url: str) -> StategateClient:
    """A client for the server at ``url``: ``http://host:port`` is gRPC over HTTP/2 cleartext (h2c),
    ``https://host:port`` gRPC over TLS with the system's roots."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    target = f"{host}:{port}"
    if parts.scheme == "https":
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials())
    else:
        channel = grpc.insecure_channel(target)
    return StategateClient(
        channel=channel,
        entity=stategate_pb2_grpc.EntityServiceStub(channel),
        event=stategate_pb2_grpc.EventServiceStub(channel),
        peer=stategate_pb2_grpc.PeerServiceStub(channel),
        cache=stategate_pb2_grpc.CacheServiceStub(channel),
        mutex=stategate_pb2_grpc.MutexServiceStub(channel),
    )
