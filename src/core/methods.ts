/**
 * The gRPC full method of every operation. Every transport calls core under these names, so one policy
 * decides identically for GraphQL, REST and gRPC, and an event records the same method whatever the transport.
 */
export const Method = {
  entitySet: '/stategate.EntityService/Set',
  entityEdit: '/stategate.EntityService/Edit',
  entityRevert: '/stategate.EntityService/Revert',
  entityGet: '/stategate.EntityService/Get',
  entityDel: '/stategate.EntityService/Del',
  entitySearch: '/stategate.EntityService/Search',
  entityListTypes: '/stategate.EntityService/ListTypes',
  eventStream: '/stategate.EventService/Stream',
  eventSearch: '/stategate.EventService/Search',
  eventGet: '/stategate.EventService/Get',
  peerBroadcast: '/stategate.PeerService/Broadcast',
  peerStream: '/stategate.PeerService/Stream',
  cacheSet: '/stategate.CacheService/Set',
  cacheGet: '/stategate.CacheService/Get',
  cacheDel: '/stategate.CacheService/Del',
  mutexLock: '/stategate.MutexService/Lock',
  mutexUnlock: '/stategate.MutexService/Unlock',
  triggerCreate: '/stategate.TriggerService/Create',
  triggerList: '/stategate.TriggerService/List',
  triggerGet: '/stategate.TriggerService/Get',
  triggerDelete: '/stategate.TriggerService/Delete',
  triggerReplay: '/stategate.TriggerService/Replay',
} as const;

export type MethodName = (typeof Method)[keyof typeof Method];
