/**
 * The deployment files (Dockerfile, Compose, deploy/k8s, the Helm chart) validated by
 * scripts/validate-deploy.sh: every check it promises passes on this checkout, a copy with planted mistakes
 * fails exactly the checks that should catch them, and a missing tool fails the run instead of skipping.
 * Needs scripts/install-tools.sh (helm, kubeconform, hadolint, schemas) and dist/ (npm run build).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/validate-deploy.sh');

interface Run {
  code: number | null;
  output: string;
  ok: string[];
  notOk: string[];
}

function validate(env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [script], { cwd: root, env: { ...process.env, ...env }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', fail);
    child.on('exit', (code) => {
      const lines = output.split('\n');
      done({
        code,
        output,
        ok: lines.filter((l) => l.startsWith('ok ')).map((l) => l.slice(3)),
        notOk: lines.filter((l) => l.startsWith('not ok ')).map((l) => l.slice(7)),
      });
    });
  });
}

const EXPECTED = [
  'tool helm',
  'tool kubeconform',
  'tool hadolint',
  'tool opa',
  'tool haproxy',
  'tool kubernetes schemas',
  'tool compose-check',
  'hadolint Dockerfile',
  'dockerfile rules',
  'dockerfile COPY sources in the build context',
  'helm lint --strict deploy/helm/stategate',
  'helm template deploy/helm/stategate',
  'helm template deploy/helm/stategate --set auth.disabled=true',
  'helm refuses a release without authentication',
  'kubeconform -strict Kubernetes 1.30.0: deploy/k8s and the rendered chart',
  'kubeconform -strict Kubernetes 1.37.0: deploy/k8s and the rendered chart',
  'k8s rules deploy/k8s',
  'k8s rules helm',
  'k8s rules helm auth.disabled',
  'deploy/k8s/kustomization.yaml lists every manifest',
  'compose docker-compose.yml',
  'compose docker-compose.yml + docker-compose.nats.yml',
  'haproxy -c deploy/compose/haproxy.cfg',
  'env image ENV alone: valid, protected mode',
  'env compose stategate-1',
  'env compose stategate-2',
  'env compose+nats stategate-1',
  'env compose+nats stategate-2',
  'env deploy/k8s Deployment/stategate[0]',
  'env helm Deployment/stategate[0]',
  'env helm auth.disabled Deployment/stategate[0]',
  'run-image: CMD node dist/main.js answers /healthz',
  'run-image: /readyz is 200 (sqlite storage answers)',
  'run-image: the database is in the /data volume',
  'run-image: HEALTHCHECK exits 0 while the server is up',
  'run-image: SIGTERM: exit code 0',
  'run-image: HEALTHCHECK exits 1 once the server is gone',
];

const passed = (run: Run, check: string) => run.ok.some((line) => line === check || line.startsWith(`${check} `));
const failedWith = (run: Run, check: string) => run.notOk.find((line) => line.startsWith(check));

describe('scripts/validate-deploy.sh on this checkout', () => {
  let run: Run;
  beforeAll(async () => {
    run = await validate();
  }, 180_000);

  test('exits 0 with no failed check', () => {
    expect(run.notOk).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/^validate-deploy: all \d+ checks passed$/m);
  });

  test.each(EXPECTED)('%s: ok', (check) => {
    expect(passed(run, check)).toBe(true);
  });
});

describe('scripts/validate-deploy.sh catches mistakes', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'stategate-deploy-'));
    for (const file of ['Dockerfile', '.dockerignore', 'docker-compose.yml', 'docker-compose.nats.yml', 'deploy']) {
      cpSync(join(root, file), join(copy, file), { recursive: true });
    }
    // The build context's sources, unchanged: the Dockerfile's COPY lines must find them.
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'console']) {
      symlinkSync(join(root, file), join(copy, file));
    }
    mkdirSync(join(copy, 'scripts'));
    symlinkSync(join(root, 'scripts/build-if-stale.mjs'), join(copy, 'scripts/build-if-stale.mjs'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  const edit = (file: string, from: string | RegExp, to: string) => {
    const path = join(copy, file);
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(from, to);
    expect(edited).not.toBe(text); // the mistake was planted
    writeFileSync(path, edited);
  };

  test('a copy with planted mistakes fails exactly the checks meant to catch them', async () => {
    edit('Dockerfile', /^USER 1000:1000$/m, 'USER root');
    edit('.dockerignore', '!tsconfig.json\n', '');
    edit('deploy/k8s/deployment.yaml', 'timeoutSeconds: 3', 'timeoutSeconds: "3"');
    edit('docker-compose.yml', 'STATEGATE_LOG_LEVEL: info', 'STATEGATE_LOG_LEVL: info');
    edit('docker-compose.nats.yml', '    image: nats:2.10', '    image: nats:2.10\n    restart_policy: always');
    edit('deploy/compose/haproxy.cfg', 'balance leastconn', 'balance leastconn\n  option no-such-option');
    edit('deploy/k8s/configmap.yaml', /^ {2}STATEGATE_(JWKS_URI|JWT_ISSUER|JWT_AUDIENCE):.*\n/gm, '');
    edit('deploy/helm/stategate/values.yaml', 'token: change-me-to-a-long-random-token', 'token: ""');
    edit('deploy/helm/stategate/values.yaml', /(readiness:\n(?: {4}.*\n)*? {4}timeoutSeconds:) 3/, '$1 1');

    const broken = await validate({ DEPLOY_FILES_DIR: copy });

    expect(broken.code).toBe(1);
    expect(failedWith(broken, 'dockerfile rules')).toContain('USER root: runs as root');
    expect(failedWith(broken, 'dockerfile COPY sources')).toMatch(/: excluded by \.dockerignore: tsconfig\.json$/);
    expect(failedWith(broken, 'hadolint Dockerfile')).toBeDefined();
    expect(failedWith(broken, 'kubeconform -strict Kubernetes 1.30.0')).toContain('timeoutSeconds');
    expect(failedWith(broken, 'kubeconform -strict Kubernetes 1.37.0')).toContain('timeoutSeconds');
    expect(failedWith(broken, 'env compose stategate-1')).toContain('STATEGATE_LOG_LEVL: unknown variable');
    expect(failedWith(broken, 'compose docker-compose.yml + docker-compose.nats.yml')).toContain('restart_policy');
    expect(failedWith(broken, 'env helm Deployment/stategate[0]')).toContain('metrics port listens on 0.0.0.0 without');
    // With authentication disabled the token is not required (the port is as open as the API): still ok.
    expect(passed(broken, 'env helm auth.disabled Deployment/stategate[0]')).toBe(true);
    expect(failedWith(broken, 'env deploy/k8s Deployment/stategate[0]')).toContain('protected mode');
    expect(failedWith(broken, 'haproxy -c deploy/compose/haproxy.cfg')).toContain('no-such-option');
    expect(failedWith(broken, 'k8s rules helm')).toContain('readinessProbe timeoutSeconds 1 < 3');
    expect(failedWith(broken, 'k8s rules helm auth.disabled')).toContain('readinessProbe timeoutSeconds 1 < 3');
    // What was not touched still passes: the failures above are the planted mistakes, not a broken run.
    for (const check of ['helm lint --strict deploy/helm/stategate', 'compose docker-compose.yml', 'tool helm']) {
      expect(passed(broken, check)).toBe(true);
    }
    // Nothing else failed: only the planted mistakes and what they reach (stategate-2 shares stategate-1's
    // settings; the NATS Compose env cannot be checked when its files do not load).
    const expectedFailures = [
      'hadolint Dockerfile',
      'dockerfile rules',
      'dockerfile COPY sources in the build context',
      'kubeconform -strict Kubernetes 1.30.0',
      'kubeconform -strict Kubernetes 1.37.0',
      'compose docker-compose.yml + docker-compose.nats.yml',
      'env compose stategate-1',
      'env compose stategate-2',
      'env compose+nats',
      'env deploy/k8s Deployment/stategate[0]',
      'env helm Deployment/stategate[0]',
      'k8s rules helm',
      'k8s rules helm auth.disabled',
      'haproxy -c deploy/compose/haproxy.cfg',
    ];
    expect(broken.notOk.filter((line) => !expectedFailures.some((check) => line.startsWith(check)))).toEqual([]);
    expect(broken.notOk).toHaveLength(expectedFailures.length);
  }, 180_000);

  test('a missing tool fails the run, never skips a check', async () => {
    const missing = await validate({ DEPLOY_TOOLS_VENV: join(copy, 'no-such-venv') });
    expect(missing.code).toBe(1);
    expect(failedWith(missing, 'tool hadolint')).toContain('run scripts/install-tools.sh');
    expect(failedWith(missing, 'tool kubernetes schemas')).toContain('run scripts/install-tools.sh');
    expect(failedWith(missing, 'hadolint Dockerfile')).toBeDefined();
    expect(missing.output).toMatch(/^validate-deploy: \d+ of \d+ checks failed$/m);
  }, 180_000);
});
