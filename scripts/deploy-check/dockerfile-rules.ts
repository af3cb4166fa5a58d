/**
 * What issue 9 asks of the image, checked on the parsed Dockerfile: multi-stage, production dependencies
 * only, the opa CLI inside and configured, non-root, a data volume, the port, a HEALTHCHECK on /healthz and
 * the server as CMD. Each rule names what is wrong; an empty list means the Dockerfile has all of it.
 */
import type { ImageSpec, Stage } from './dockerfile.js';

const runs = (stage: Stage | undefined, pattern: RegExp) =>
  stage?.instructions.some((i) => i.keyword === 'RUN' && pattern.test(i.args)) ?? false;

export function dockerfileProblems(stages: Stage[], image: ImageSpec): string[] {
  const problems: string[] = [];
  const final = stages.at(-1);
  const build = stages.find((s) => runs(s, /\bnpm ci\b/));
  const opa = stages.find((s) => runs(s, /go install github\.com\/open-policy-agent\/opa@v1\.22\.4\b/));
  if (stages.length < 3) problems.push(`${stages.length} stage(s): expected build, opa and runtime stages`);
  if (!build || build === final) problems.push('no build stage running npm ci');
  if (!runs(build, /\bnpm run build\b/)) problems.push('the build stage does not run npm run build');
  if (!runs(build, /\bnpm prune --omit=dev\b/)) problems.push('the build stage does not prune dev dependencies');
  if (!opa || opa === final) problems.push('no stage installs opa v1.22.4 from the Go module proxy');
  if (!/^node:20[-.\w]*slim/.test(final?.from ?? ''))
    problems.push(`final image ${final?.from}: expected node:20 slim`);
  const copies = final?.instructions.filter((i) => i.keyword === 'COPY') ?? [];
  const opaPath = image.env.STATEGATE_OPA_PATH;
  if (!opaPath) problems.push('STATEGATE_OPA_PATH is not set');
  else if (!copies.some((c) => c.args.startsWith(`--from=${opa?.name}`) && c.args.endsWith(` ${opaPath}`))) {
    problems.push(`nothing copies opa from the ${opa?.name} stage to ${opaPath}`);
  }
  if (copies.some((c) => /(^|\s)\.(\s|$)/.test(c.args))) problems.push('the final stage copies the whole context');
  if (!image.user || /^(root|0)(:|$)/.test(image.user)) problems.push(`USER ${image.user ?? '(unset)'}: runs as root`);
  if (!image.volumes.includes('/data')) problems.push('no VOLUME /data');
  if (image.env.STATEGATE_STORAGE_PROVIDER !== '{"name":"sqlite","path":"/data/stategate.db"}') {
    problems.push(`STATEGATE_STORAGE_PROVIDER=${image.env.STATEGATE_STORAGE_PROVIDER}: expected sqlite in /data`);
  }
  if (!image.expose.includes('8080')) problems.push('no EXPOSE 8080');
  if (!image.healthcheck?.join(' ').includes('/healthz')) problems.push('no HEALTHCHECK on /healthz');
  if (image.healthcheck?.[0] !== 'node')
    problems.push('the HEALTHCHECK does not run node (the slim image has no curl)');
  if (image.cmd.join(' ') !== 'node dist/main.js')
    problems.push(`CMD ${JSON.stringify(image.cmd)}: expected node dist/main.js`);
  return problems;
}
