import { type Ctx, type Floors, measureMax, startBaseline } from '../lib/context.js';

/** S1: the floor of each transport on this machine — bare node:http, connect-node unary, Yoga `{ hello }`. */
export async function floors(ctx: Ctx): Promise<Floors> {
  if (ctx.floors) return ctx.floors;
  ctx.log('S1 floors: node:http hello, connect-node echo, Yoga { hello }');
  const hello = await startBaseline('hello-http.mjs');
  const http = await measureMax(ctx, 'http', hello.url, 'hello').finally(() => hello.stop());
  const echo = await startBaseline('connect-echo.mjs');
  const grpcGet = await measureMax(ctx, 'grpc', echo.url, 'grpc.get');
  const grpcSet = await measureMax(ctx, 'grpc', echo.url, 'grpc.set').finally(() => echo.stop());
  const yoga = await startBaseline('yoga-hello.mjs');
  const gql = await measureMax(ctx, 'http', yoga.url, 'gql.hello').finally(() => yoga.stop());
  ctx.floors = { http: http.opsPerS, grpcGet: grpcGet.opsPerS, grpcSet: grpcSet.opsPerS, yoga: gql.opsPerS };
  ctx.results.s1 = { floors: ctx.floors, detail: { http, grpcGet, grpcSet, yoga: gql } };
  return ctx.floors;
}

export async function s1(ctx: Ctx) {
  ctx.floors = undefined;
  await floors(ctx);
  return ctx.results.s1;
}
