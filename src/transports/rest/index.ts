/**
 * REST, transcoded from the proto's `google.api.http` rules and mounted on the Yoga server as a plugin
 * (`useRest`), plus the OpenAPI document of those routes.
 */
export { createOpenApiDocument } from './openapi.js';
export { compilePathTemplate, type PathTemplate } from './path-template.js';
export { createRouter, type RestRoute, type RouteLookup, restRoutes } from './routes.js';
export { errorAnswer, httpStatusOf, RestError, type StatusBody } from './status.js';
export { DEFAULT_KEEP_ALIVE_MS, DEFAULT_MAX_BODY_BYTES, OPENAPI_PATH, type RestOptions, useRest } from './use-rest.js';
