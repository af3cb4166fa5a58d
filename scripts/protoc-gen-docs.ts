/**
 * A protoc plugin (run by `buf generate`, see buf.gen.yaml) that keeps the proto's comments for run time:
 * for each proto file of the packages named by its `package=` options (vendored files are documented
 * upstream) it writes `<name>_docs.ts`, a map from every service,
 * method, message, field, enum and enum value's full name (`stategate.Entity.domain`) to its comment.
 * protoc-gen-es puts the comments in JSDoc only, and its embedded descriptors carry no source info; the
 * OpenAPI document (src/transports/rest/openapi.ts) describes the API with these.
 */
import type { DescEnum, DescFile, DescMessage } from '@bufbuild/protobuf';
import { nestedTypes } from '@bufbuild/protobuf/reflect';
import { createEcmaScriptPlugin, getComments, getSyntaxComments, runNodeJs } from '@bufbuild/protoplugin';

/** A comment as written, without the one space after `//`, trailing blanks and empty edge lines. */
function tidy(text: string | undefined): string {
  if (!text) return '';
  return text
    .split('\n')
    .map((line) => line.replace(/^ /, '').trimEnd())
    .join('\n')
    .trim();
}

function collect(file: DescFile): { file: string; docs: Record<string, string> } {
  const docs: Record<string, string> = {};
  const add = (name: string, comment: string | undefined) => {
    const text = tidy(comment);
    if (text !== '') docs[name] = text;
  };
  const addEnum = (e: DescEnum) => {
    add(e.typeName, getComments(e).leading);
    for (const value of e.values) add(`${e.typeName}.${value.name}`, getComments(value).leading);
  };
  const addMessage = (m: DescMessage) => {
    add(m.typeName, getComments(m).leading);
    for (const field of m.fields) add(`${m.typeName}.${field.name}`, getComments(field).leading);
  };
  for (const service of file.services) {
    add(service.typeName, getComments(service).leading);
    for (const method of service.methods) add(`${service.typeName}.${method.name}`, getComments(method).leading);
  }
  for (const type of nestedTypes(file)) {
    if (type.kind === 'message') addMessage(type);
    else if (type.kind === 'enum') addEnum(type);
  }
  const header = getSyntaxComments(file).leadingDetached.map(tidy).join('\n\n');
  return { file: header, docs };
}

const plugin = createEcmaScriptPlugin({
  name: 'protoc-gen-docs',
  version: 'v1',
  parseOptions(raw): { packages: string[] } {
    const packages: string[] = [];
    for (const { key, value } of raw) {
      if (key !== 'package' || value === '') throw new Error(`protoc-gen-docs: unknown option ${key}=${value}`);
      packages.push(value);
    }
    return { packages };
  },
  generateTs(schema) {
    for (const file of schema.files) {
      if (!schema.options.packages.includes(file.proto.package)) continue;
      const { file: header, docs } = collect(file);
      const f = schema.generateFile(`${file.name}_docs.ts`);
      f.preamble(file);
      f.print('/** The comments of ', file.proto.name, ', by full name. */');
      f.print(
        f.export('const', `${safeName(file.name)}Docs`),
        ': Readonly<Record<string, string>> = ',
        json(docs),
        ';',
      );
      f.print();
      f.print('/** The comment at the head of ', file.proto.name, '. */');
      f.print(f.export('const', `${safeName(file.name)}FileDoc`), ' = ', JSON.stringify(header), ';');
    }
  },
});

function safeName(fileName: string): string {
  return fileName.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
}

function json(docs: Record<string, string>): string {
  const lines = Object.entries(docs).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  return `{\n${lines.join('\n')}\n}`;
}

runNodeJs(plugin);
