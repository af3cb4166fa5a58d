import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Trigger(_message.Message):
    __slots__ = ("name", "url", "domain", "type", "key", "secret", "headers", "timeout_ms", "max_attempts")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    domain: str
    type: str
    key: str
    secret: str
    headers: _containers.ScalarMap[str, str]
    timeout_ms: int
    max_attempts: int
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., domain: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., secret: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., timeout_ms: _Optional[int] = ..., max_attempts: _Optional[int] = ..., **kwargs) -> None: ...

class TriggerRef(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListTriggersOpts(_message.Message):
    __slots__ = ("prefix",)
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    def __init__(self, prefix: _Optional[str] = ...) -> None: ...

class ReplayTriggerOpts(_message.Message):
    __slots__ = ("name", "event_ids")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplayTriggerResult(_message.Message):
    __slots__ = ("replayed",)
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    def __init__(self, replayed: _Optional[int] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("event_id", "position", "domain", "type", "key", "attempts", "last_error", "time", "replay")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    position: int
    domain: str
    type: str
    key: str
    attempts: int
    last_error: str
    time: _timestamp_pb2.Timestamp
    replay: bool
    def __init__(self, event_id: _Optional[str] = ..., position: _Optional[int] = ..., domain: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replay: _Optional[bool] = ...) -> None: ...

class TriggerStatus(_message.Message):
    __slots__ = ("position", "lag", "attempts", "last_error", "dead_letter_count", "dead_letters")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    position: int
    lag: int
    attempts: int
    last_error: str
    dead_letter_count: int
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    def __init__(self, position: _Optional[int] = ..., lag: _Optional[int] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., dead_letter_count: _Optional[int] = ..., dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ...) -> None: ...

class TriggerInfo(_message.Message):
    __slots__ = ("name", "url", "domain", "type", "key", "header_names", "timeout_ms", "max_attempts", "created_at", "status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    HEADER_NAMES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    domain: str
    type: str
    key: str
    header_names: _containers.RepeatedScalarFieldContainer[str]
    timeout_ms: int
    max_attempts: int
    created_at: _timestamp_pb2.Timestamp
    status: TriggerStatus
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., domain: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., header_names: _Optional[_Iterable[str]] = ..., timeout_ms: _Optional[int] = ..., max_attempts: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[TriggerStatus, _Mapping]] = ...) -> None: ...

class TriggerInfos(_message.Message):
    __slots__ = ("triggers",)
    TRIGGERS_FIELD_NUMBER: _ClassVar[int]
    triggers: _containers.RepeatedCompositeFieldContainer[TriggerInfo]
    def __init__(self, triggers: _Optional[_Iterable[_Union[TriggerInfo, _Mapping]]] = ...) -> None: ...

class EntityRef(_message.Message):
    __slots__ = ("domain", "type", "key", "version", "at")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    key: str
    version: int
    at: int
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., version: _Optional[int] = ..., at: _Optional[int] = ...) -> None: ...

class EventRef(_message.Message):
    __slots__ = ("domain", "type", "key", "id", "version")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    key: str
    id: str
    version: int
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class Entity(_message.Message):
    __slots__ = ("domain", "type", "key", "values", "version")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    key: str
    values: _struct_pb2.Struct
    version: int
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., key: _Optional[str] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class Entities(_message.Message):
    __slots__ = ("entities",)
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    entities: _containers.RepeatedCompositeFieldContainer[Entity]
    def __init__(self, entities: _Optional[_Iterable[_Union[Entity, _Mapping]]] = ...) -> None: ...

class Sort(_message.Message):
    __slots__ = ("field", "reverse")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REVERSE_FIELD_NUMBER: _ClassVar[int]
    field: str
    reverse: bool
    def __init__(self, field: _Optional[str] = ..., reverse: _Optional[bool] = ...) -> None: ...

class SearchEntityOpts(_message.Message):
    __slots__ = ("domain", "type", "query_string", "limit", "offset", "sort")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    QUERY_STRING_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    query_string: str
    limit: int
    offset: int
    sort: Sort
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., query_string: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., sort: _Optional[_Union[Sort, _Mapping]] = ...) -> None: ...

class ListTypesOpts(_message.Message):
    __slots__ = ("domain", "limit", "offset")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    domain: str
    limit: int
    offset: int
    def __init__(self, domain: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class TypeCount(_message.Message):
    __slots__ = ("domain", "type", "count")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    count: int
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class TypeCounts(_message.Message):
    __slots__ = ("types",)
    TYPES_FIELD_NUMBER: _ClassVar[int]
    types: _containers.RepeatedCompositeFieldContainer[TypeCount]
    def __init__(self, types: _Optional[_Iterable[_Union[TypeCount, _Mapping]]] = ...) -> None: ...

class SearchEventOpts(_message.Message):
    __slots__ = ("domain", "type", "query_string", "min", "max", "limit", "offset", "sort", "after")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    QUERY_STRING_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    query_string: str
    min: int
    max: int
    limit: int
    offset: int
    sort: Sort
    after: int
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., query_string: _Optional[str] = ..., min: _Optional[int] = ..., max: _Optional[int] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., sort: _Optional[_Union[Sort, _Mapping]] = ..., after: _Optional[int] = ...) -> None: ...

class StreamEventOpts(_message.Message):
    __slots__ = ("domain", "type", "consumer_group", "key", "after")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_GROUP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    domain: str
    type: str
    consumer_group: str
    key: str
    after: int
    def __init__(self, domain: _Optional[str] = ..., type: _Optional[str] = ..., consumer_group: _Optional[str] = ..., key: _Optional[str] = ..., after: _Optional[int] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("domain", "channel", "type", "body")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    domain: str
    channel: str
    type: str
    body: _struct_pb2.Struct
    def __init__(self, domain: _Optional[str] = ..., channel: _Optional[str] = ..., type: _Optional[str] = ..., body: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class PeerMessage(_message.Message):
    __slots__ = ("id", "domain", "channel", "type", "body", "claims", "time")
    ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    domain: str
    channel: str
    type: str
    body: _struct_pb2.Struct
    claims: _struct_pb2.Struct
    time: int
    def __init__(self, id: _Optional[str] = ..., domain: _Optional[str] = ..., channel: _Optional[str] = ..., type: _Optional[str] = ..., body: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., claims: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., time: _Optional[int] = ...) -> None: ...

class StreamMessageOpts(_message.Message):
    __slots__ = ("domain", "channel", "type", "consumer_group")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_GROUP_FIELD_NUMBER: _ClassVar[int]
    domain: str
    channel: str
    type: str
    consumer_group: str
    def __init__(self, domain: _Optional[str] = ..., channel: _Optional[str] = ..., type: _Optional[str] = ..., consumer_group: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("id", "entity", "claims", "time", "method", "position")
    ID_FIELD_NUMBER: _ClassVar[int]
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    entity: Entity
    claims: _struct_pb2.Struct
    time: int
    method: str
    position: int
    def __init__(self, id: _Optional[str] = ..., entity: _Optional[_Union[Entity, _Mapping]] = ..., claims: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., time: _Optional[int] = ..., method: _Optional[str] = ..., position: _Optional[int] = ...) -> None: ...

class Events(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class Cache(_message.Message):
    __slots__ = ("domain", "key", "value", "exp")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    EXP_FIELD_NUMBER: _ClassVar[int]
    domain: str
    key: str
    value: _struct_pb2.Value
    exp: _timestamp_pb2.Timestamp
    def __init__(self, domain: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., exp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CacheRef(_message.Message):
    __slots__ = ("domain", "key")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    domain: str
    key: str
    def __init__(self, domain: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class Mutex(_message.Message):
    __slots__ = ("domain", "key", "exp")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXP_FIELD_NUMBER: _ClassVar[int]
    domain: str
    key: str
    exp: _timestamp_pb2.Timestamp
    def __init__(self, domain: _Optional[str] = ..., key: _Optional[str] = ..., exp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MutexLease(_message.Message):
    __slots__ = ("domain", "key", "exp", "token", "fencing")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXP_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    FENCING_FIELD_NUMBER: _ClassVar[int]
    domain: str
    key: str
    exp: _timestamp_pb2.Timestamp
    token: str
    fencing: int
    def __init__(self, domain: _Optional[str] = ..., key: _Optional[str] = ..., exp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., token: _Optional[str] = ..., fencing: _Optional[int] = ...) -> None: ...

class MutexRef(_message.Message):
    __slots__ = ("domain", "key", "token")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    domain: str
    key: str
    token: str
    def __init__(self, domain: _Optional[str] = ..., key: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...
