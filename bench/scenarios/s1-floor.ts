import { type Ctx, type Floors, floorServers, measureMax } from '../lib/context.js';

/**
 * S1: the floor of each transport on this machine — bare node:http, connect-node unary, Yoga `{ hello }`.
 * The ratios of the other scenarios do not use these numbers: they pair each measurement with its own run of
 * the floor (context.ts pairedMax), because the shared machine's load changes within minutes.
 */
export async function floors(ctx: Ctx): Promise<Floors> {
  if (ctx.floors) return ctx.floors;
  ctx.log('S1 floors: node:http hello, connect-node echo, Yoga { hello }');
  // The servers stay up: S2, S3 and S8 pair each of their measurements with a fresh run of its floor.
  const servers = await floorServers(ctx);
  const http = await measureMax(ctx, 'http', servers.hello, 'hello');
  const grpcGet = await measureMax(ctx, 'grpc', servers.echo, 'grpc.get');
  const grpcSet = await measureMax(ctx, 'grpc', servers.echo, 'grpc.set');
  const gql = await measureMax(ctx, 'http', servers.yoga, 'gql.hello');
  ctx.floors = { http: http.opsPerS, grpcGet: grpcGet.opsPerS, grpcSet: grpcSet.opsPerS, yoga: gql.opsPerS };
  ctx.results.s1 = { floors: ctx.floors, detail: { http, grpcGet, grpcSet, yoga: gql } };
  return ctx.floors;
}

export async function s1(ctx: Ctx) {
  ctx.floors = undefined;
  await floors(ctx);
  return ctx.results.s1;
}
