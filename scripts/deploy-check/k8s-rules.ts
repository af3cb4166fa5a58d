/**
 * What issue 9 and the README ask of a Kubernetes sample beyond its schema: every kind present (Deployment,
 * Service, ConfigMap, Secret, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy), liveness on
 * /healthz and readiness on /readyz with a timeout of at least 3 s (the README: /readyz checks take up to
 * 2 s), resource requests and a memory limit, a non-root pod, and selectors that match the pods.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const REQUIRED_KINDS = [
  'Deployment',
  'Service',
  'ConfigMap',
  'Secret',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
];
const MIN_PROBE_TIMEOUT_S = 3;

interface Probe {
  httpGet?: { path?: string };
  timeoutSeconds?: number;
}
interface Container {
  name: string;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    podSelector?: { matchLabels?: Record<string, string> };
    scaleTargetRef?: { kind: string; name: string };
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { containers?: Container[]; securityContext?: { runAsNonRoot?: boolean } };
    };
  };
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export function kubernetesProblems(files: string[]): string[] {
  const objects = files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((doc) => doc.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null),
  );
  const problems = REQUIRED_KINDS.filter((kind) => !objects.some((o) => o.kind === kind)).map((k) => `no ${k}`);
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  for (const deployment of deployments) {
    const where = `Deployment/${deployment.metadata.name}`;
    const pod = deployment.spec?.template;
    const labels = pod?.metadata?.labels ?? {};
    if (pod?.spec?.securityContext?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
    for (const c of pod?.spec?.containers ?? []) {
      const probes: [string, Probe | undefined, string][] = [
        ['livenessProbe', c.livenessProbe, '/healthz'],
        ['readinessProbe', c.readinessProbe, '/readyz'],
      ];
      if (c.startupProbe) probes.push(['startupProbe', c.startupProbe, '/healthz']);
      for (const [name, probe, path] of probes) {
        if (probe?.httpGet?.path !== path) problems.push(`${where} ${c.name}: ${name} is not GET ${path}`);
        if ((probe?.timeoutSeconds ?? 1) < MIN_PROBE_TIMEOUT_S) {
          problems.push(
            `${where} ${c.name}: ${name} timeoutSeconds ${probe?.timeoutSeconds ?? 1} < ${MIN_PROBE_TIMEOUT_S}`,
          );
        }
      }
      const resources = c.resources;
      if (!resources?.requests?.cpu || !resources.requests.memory || !resources.limits?.memory) {
        problems.push(`${where} ${c.name}: needs cpu and memory requests and a memory limit`);
      }
    }
    for (const other of objects) {
      const selector =
        other.kind === 'Service'
          ? other.spec?.selector
          : other.kind === 'PodDisruptionBudget' || other.kind === 'Deployment'
            ? other.spec?.selector?.matchLabels
            : other.kind === 'NetworkPolicy'
              ? other.spec?.podSelector?.matchLabels
              : undefined;
      if (['Service', 'PodDisruptionBudget', 'Deployment', 'NetworkPolicy'].includes(other.kind)) {
        if (!matches(selector as Record<string, string> | undefined, labels)) {
          problems.push(`${other.kind}/${other.metadata.name}: selector does not match ${where}'s pods`);
        }
      }
      if (other.kind === 'HorizontalPodAutoscaler') {
        const target = other.spec?.scaleTargetRef;
        if (target?.kind !== 'Deployment' || target.name !== deployment.metadata.name) {
          problems.push(`HorizontalPodAutoscaler/${other.metadata.name}: does not scale ${where}`);
        }
      }
    }
  }
  return problems;
}
