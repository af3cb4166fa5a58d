import { getOption, hasOption } from '@bufbuild/protobuf';
import { http } from '../../generated/google/api/annotations_pb.js';
import type { HttpRule } from '../../generated/google/api/http_pb.js';
import { type RpcMethod, rpcMethodList } from '../proto/index.js';
import { compilePathTemplate, type PathTemplate } from './path-template.js';

/** One REST route: an rpc bound to a verb and a path template by a `google.api.http` rule of the proto. */
export interface RestRoute {
  readonly rpc: RpcMethod;
  /** Upper case: GET, POST, PUT, PATCH, DELETE (or a custom rule's kind). */
  readonly verb: string;
  readonly template: PathTemplate;
  /**
   * Where the fields that are not in the path come from: `*` = the JSON body holds them all; `` = the
   * query string; a field name = the body is that field, the query string gives the others.
   */
  readonly body: string;
}

function bindingOf(rpc: RpcMethod, rule: HttpRule): RestRoute | undefined {
  const { pattern } = rule;
  if (pattern.case === undefined) return undefined;
  const [verb, path] =
    pattern.case === 'custom'
      ? [pattern.value.kind.toUpperCase(), pattern.value.path]
      : [pattern.case.toUpperCase(), pattern.value];
  return { rpc, verb, template: compilePathTemplate(path), body: rule.body };
}

/** The routes of every rpc's `google.api.http` rule (with its additional bindings), in proto order. */
export function restRoutes(rpcs: readonly RpcMethod[] = rpcMethodList): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const rpc of rpcs) {
    if (!hasOption(rpc.descriptor, http)) continue;
    const rule = getOption(rpc.descriptor, http);
    for (const binding of [rule, ...rule.additionalBindings]) {
      const route = bindingOf(rpc, binding);
      if (route) routes.push(route);
    }
  }
  return routes;
}

/** What a request's verb and path select. */
export type RouteLookup =
  | { kind: 'found'; route: RestRoute; params: Record<string, string> }
  /** The path is a route's, but not with this verb: 405, with the verbs it has. */
  | { kind: 'wrong-verb'; allowed: string[] }
  | { kind: 'none' };

/** Finds routes by verb and raw (percent-encoded) path. */
export function createRouter(routes: readonly RestRoute[]): { lookup(verb: string, path: string): RouteLookup } {
  return {
    lookup(verb, path) {
      const allowed: string[] = [];
      for (const route of routes) {
        const params = route.template.match(path);
        if (!params) continue;
        if (route.verb === verb) return { kind: 'found', route, params };
        if (!allowed.includes(route.verb)) allowed.push(route.verb);
      }
      return allowed.length > 0 ? { kind: 'wrong-verb', allowed } : { kind: 'none' };
    },
  };
}
