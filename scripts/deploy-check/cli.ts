/**
 * The Node side of scripts/validate-deploy.sh, one subcommand per check:
 *   dockerfile FILE                         the image's required properties (after hadolint)
 *   k8s-schemas PACKAGE_DIR VERSION OUT FILE...   standalone schemas for kubeconform (see k8s-schemas.ts)
 *   k8s-rules LABEL FILE...                probes, resources, kinds and selectors (see k8s-rules.ts)
 *   env DOCKERFILE compose:LABEL=JSON | k8s:LABEL=FILE[,FILE...] ...   loadConfig on every sample's env
 *   run-image DOCKERFILE REPO OPA          the image's CMD and HEALTHCHECK run here
 * Each prints `ok <what>` lines and exits 1 after `not ok <what>: <why>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readImageSpec } from './dockerfile.js';
import { dockerfileProblems } from './dockerfile-rules.js';
import { isSentToBuilder, readDockerignore } from './dockerignore.js';
import { kubernetesProblems } from './k8s-rules.js';
import { writeStandaloneSchemas } from './k8s-schemas.js';
import { runImage } from './run-image.js';
import { composeSamples, configProblem, type Env, kubernetesSamples } from './sample-env.js';

const [command, ...args] = process.argv.slice(2);
let failed = false;
const report = (what: string, problem: string | null) => {
  if (problem) failed = true;
  console.log(problem ? `not ok ${what}: ${problem}` : `ok ${what}`);
};

if (command === 'dockerfile') {
  const { stages, image } = readImageSpec(args[0]!);
  const problems = dockerfileProblems(stages, image);
  report('dockerfile rules', problems.length > 0 ? problems.join('; ') : null);
  // Every COPY from the build context must exist and get past .dockerignore, or `docker build` fails.
  const context = dirname(args[0]!);
  const rules = readDockerignore(join(context, '.dockerignore'));
  const sources = stages.flatMap((stage) =>
    stage.instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((part) => !part.startsWith('--'))
          .slice(0, -1),
      ),
  );
  const missing = sources.filter((source) => !existsSync(join(context, source)));
  const excluded = sources.filter((source) => !isSentToBuilder(rules, source));
  const why = [
    missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
    excluded.length > 0 ? `excluded by .dockerignore: ${excluded.join(', ')}` : '',
  ].filter(Boolean);
  report(`dockerfile COPY sources in the build context (${sources.length})`, why.length > 0 ? why.join('; ') : null);
} else if (command === 'k8s-schemas') {
  const [packageDir, version, out, ...files] = args;
  const written = writeStandaloneSchemas(packageDir!, version!, out!, files);
  report(`k8s schemas v${version}: ${written.join(', ')}`, written.length === 0 ? 'no schema found' : null);
} else if (command === 'k8s-rules') {
  const [label, ...files] = args;
  const problems = kubernetesProblems(files);
  report(`k8s rules ${label}`, problems.length > 0 ? problems.join('; ') : null);
} else if (command === 'env') {
  const [dockerfile, ...samples] = args;
  const { image } = readImageSpec(dockerfile!);
  // The image alone chooses no authentication on purpose (Dockerfile header): valid, and loopback only.
  const alone = configProblem({}, image.env);
  report(
    'env image ENV alone: valid, protected mode',
    alone?.startsWith('protected mode') ? null : (alone ?? 'not protected'),
  );
  for (const sample of samples) {
    const [, kind, label, source] = /^(compose|k8s):([^=]+)=(.+)$/.exec(sample) ?? [];
    let envs: Map<string, Env>;
    try {
      envs =
        kind === 'compose'
          ? composeSamples(readFileSync(source!, 'utf8'), label!)
          : kubernetesSamples(source!.split(','), label!);
    } catch (err) {
      report(`env ${label ?? sample}`, (err as Error).message);
      continue;
    }
    if (envs.size === 0) report(`env ${label}`, 'no STATEGATE_* settings found');
    for (const [name, env] of envs)
      report(`env ${name} (${Object.keys(env).length} STATEGATE_* set)`, configProblem(image.env, env));
  }
} else if (command === 'run-image') {
  const [dockerfile, repo, opa] = args;
  const { stages, image } = readImageSpec(dockerfile!);
  try {
    for (const step of await runImage(stages, image, repo!, opa!)) report(`run-image: ${step}`, null);
  } catch (err) {
    report('run-image', (err as Error).message);
  }
} else {
  console.error(`unknown subcommand ${command}`);
  process.exit(2);
}
process.exit(failed ? 1 : 0);
