/**
 * A Dockerfile read the way the builder reads it: line continuations joined, comments and parser directives
 * dropped, instructions split into stages. Only what scripts/validate-deploy.sh checks is interpreted (ENV,
 * WORKDIR, USER, EXPOSE, VOLUME, HEALTHCHECK, CMD); hadolint lints the file as a whole.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export interface ImageSpec {
  env: Record<string, string>;
  workdir: string;
  user?: string;
  expose: string[];
  volumes: string[];
  /** The HEALTHCHECK's CMD in exec form, or null when there is none. */
  healthcheck: string[] | null;
  cmd: string[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  /** ARGs before the first FROM: their defaults name the base images (`FROM ${NODE_IMAGE}`). */
  const globalArgs: Record<string, string> = {};
  let pending = '';
  let startLine = 0;
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trimEnd();
    if (pending === '' && /^\s*(#|$)/.test(line)) continue;
    if (pending !== '' && /^\s*#/.test(line)) continue; // comments inside a continued instruction
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(whole);
    if (!match) continue;
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: startLine };
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [key, value = ''] = instruction.args.split('=', 2);
      globalArgs[key!] = unquote(value);
    } else if (instruction.keyword === 'FROM') {
      const expanded = instruction.args.replace(/\$\{?(\w+)\}?/g, (_, key: string) => globalArgs[key] ?? '');
      const [from, as, name] = expanded.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`line ${startLine}: ${instruction.keyword} before FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

/** ENV's two forms: `KEY=value KEY2="v 2"` and the legacy `KEY value`. */
function parseEnv(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [key, ...rest] = args.split(/\s+/);
    return { [key!]: rest.join(' ') };
  }
  const env: Record<string, string> = {};
  const pair = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const [, key, value] of args.matchAll(pair)) {
    env[key!] = unquote(value!);
  }
  return env;
}

function unquote(value: string): string {
  if (value.startsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, '$1');
  if (value.startsWith("'")) return value.slice(1, -1);
  return value;
}

/** JSON (exec) form only: the shell form would need a shell the checks do not model. */
function execForm(args: string, line: number): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`line ${line}: expected the exec form ["executable", "arg", ...]`);
  }
  return parsed;
}

/** What the final stage's image is: its environment, working directory, user and commands. */
export function imageSpec(stages: Stage[]): ImageSpec {
  const final = stages.at(-1);
  if (!final) throw new Error('no FROM');
  const spec: ImageSpec = { env: {}, workdir: '/', expose: [], volumes: [], healthcheck: null, cmd: [] };
  for (const { keyword, args, line } of final.instructions) {
    if (keyword === 'ENV') Object.assign(spec.env, parseEnv(args));
    if (keyword === 'WORKDIR') spec.workdir = args;
    if (keyword === 'USER') spec.user = args;
    if (keyword === 'EXPOSE') spec.expose.push(...args.split(/\s+/));
    if (keyword === 'VOLUME') spec.volumes.push(...(args.startsWith('[') ? execForm(args, line) : args.split(/\s+/)));
    if (keyword === 'CMD') spec.cmd = execForm(args, line);
    if (keyword === 'HEALTHCHECK') {
      const cmd = /(?:^|\s)CMD\s+(\[.*\])$/s.exec(args);
      if (!cmd) throw new Error(`line ${line}: HEALTHCHECK without an exec-form CMD`);
      spec.healthcheck = execForm(cmd[1]!, line);
    }
  }
  return spec;
}

export function readImageSpec(path: string): { stages: Stage[]; image: ImageSpec } {
  const stages = parseDockerfile(readFileSync(path, 'utf8'));
  return { stages, image: imageSpec(stages) };
}
