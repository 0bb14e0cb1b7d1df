import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { generateFiles, names, type GeneratorCallback, type Tree } from '@nx/devkit';

export interface DomainGeneratorSchema {
  /** kebab-case domain name: topic prefix, table prefix, pipeline and catalog key. */
  name: string;
  /** camelCase event field that keys the records and groups the windows; default `<name>Id`. */
  keyField?: string;
  /** Tumbling window size in whole minutes as a duration (`15m`, `4h`, `1d`); default `15m`. */
  window?: string;
  /** Partitions of the domain's topics; default 3. */
  partitions?: number;
}

/** A domain the generator cannot create, with what it was given. Never retriable: the input must change. */
export class DomainGeneratorError extends Error {
  readonly retriable = false;

  constructor(
    message: string,
    readonly context: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainGeneratorError';
  }
}

/** Every name the templates and the registrations use, derived once from the options. */
export interface DomainNames {
  /** `air-quality`: catalog key, pipeline name, topic prefix. */
  name: string;
  /** `air-quality`: file names. */
  fileName: string;
  /** `airQuality`: identifiers (`airQualityEventsTopic`). */
  propertyName: string;
  /** `AirQuality`: contract and class names. */
  className: string;
  /** `air_quality`: table prefix and Avro namespace (no hyphens allowed there). */
  snakeName: string;
  /** `Air quality`: docs. */
  title: string;
  /** `airQuality` or `'air-quality'`: the key in object literals. */
  objectKey: string;
  /** `.airQuality` or `['air-quality']`: the member access. */
  accessor: string;
  keyField: string;
  /** The key field's warehouse column (contracts' columnName: camelCase → snake_case). */
  keyColumn: string;
  window: string;
  windowMinutes: number;
  partitions: number;
  /** The migration's TypeORM timestamp (ms), later than every existing one. */
  timestamp: number;
  migrationClass: string;
  tableName: string;
}

const DOMAIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const KEY_FIELD = /^[a-z][a-zA-Z0-9]*$/;
const WINDOW = /^([1-9][0-9]*)(m|h|d)$/;
const MINUTES_PER_UNIT: Readonly<Record<string, number>> = { m: 1, h: 60, d: 1440 };
/** Fields and parameter names the templates already use; the key field must be another one. */
const RESERVED_FIELDS = ['window', 'values', 'event', 'stats', 'value', 'timestamp', 'windowStart', 'windowEnd', 'windowMinutes', 'eventCount', 'valueSum', 'minValue', 'maxValue', 'avgValue'];
/** windowFields' bound of window_minutes (a year). */
const MAX_WINDOW_MINUTES = 525600;

export function domainNames(options: DomainGeneratorSchema, now: number = Date.now()): DomainNames {
  const name = options.name?.trim() ?? '';
  if (!DOMAIN_NAME.test(name)) throw new DomainGeneratorError(`domain name "${name}" must be lower-case kebab-case (e.g. parking, air-quality)`, { name });
  const { fileName, propertyName, className, constantName } = names(name);
  const keyField = options.keyField ?? `${propertyName}Id`;
  if (!KEY_FIELD.test(keyField) || RESERVED_FIELDS.includes(keyField)) {
    throw new DomainGeneratorError(`--key-field "${keyField}" must be a camelCase field name other than ${RESERVED_FIELDS.join(', ')}`, { keyField });
  }
  const window = options.window ?? '15m';
  const match = WINDOW.exec(window);
  const windowMinutes = match ? Number(match[1]) * (MINUTES_PER_UNIT[match[2] ?? ''] ?? 0) : 0;
  if (!match || windowMinutes > MAX_WINDOW_MINUTES) throw new DomainGeneratorError(`--window "${window}" must be whole minutes, hours or days (e.g. 1m, 15m, 4h, 1d), at most a year`, { window });
  const partitions = options.partitions ?? 3;
  if (!Number.isInteger(partitions) || partitions < 1) throw new DomainGeneratorError(`--partitions must be a positive integer (got ${partitions})`, { partitions });
  const quoted = name.includes('-');
  const snakeName = constantName.toLowerCase();
  return {
    name,
    fileName,
    propertyName,
    className,
    snakeName,
    title: `${name.charAt(0).toUpperCase()}${name.slice(1).replace(/-/g, ' ')}`,
    objectKey: quoted ? `'${name}'` : name,
    accessor: quoted ? `['${name}']` : `.${name}`,
    keyField,
    keyColumn: keyField.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(),
    window,
    windowMinutes,
    partitions,
    timestamp: now,
    migrationClass: `Create${className}Tables${now}`,
    tableName: `${snakeName}_window_stats`,
  };
}

/** Where a domain is registered, each edit anchored on text that the three shipped domains share. */
const PATHS = {
  contractsIndex: 'libs/contracts/src/index.ts',
  catalog: 'libs/contracts/src/domains/catalog.ts',
  pipelinesIndex: 'libs/pipelines/src/index.ts',
  pipelines: 'libs/pipelines/src/pipelines.ts',
  generatorsIndex: 'libs/ingest/src/lib/generators/index.ts',
  jobs: 'libs/ingest/src/lib/jobs.ts',
  migrationsIndex: 'libs/warehouse/src/lib/migrations/index.ts',
  readme: 'README.md',
} as const;

/** Folders whose exported identifiers the new domain's must not clash with. */
const IDENTIFIER_FOLDERS = ['libs/contracts/src/domains', 'libs/pipelines/src/domains', 'libs/ingest/src/lib/generators'];

function read(tree: Tree, path: string): string {
  const text = tree.read(path, 'utf-8');
  if (text === null) throw new DomainGeneratorError(`${path} is missing: run the generator at the workspace root`, { path });
  return text;
}

function edit(tree: Tree, path: string, change: (text: string) => string): void {
  tree.write(path, change(read(tree, path)));
}

/** Inserts `line` (one or more lines) before the line that closes the block opened by `start`. */
function insertInBlock(text: string, path: string, start: string, end: string, line: string): string {
  const startAt = text.indexOf(start);
  const endAt = startAt < 0 ? -1 : text.indexOf(end, startAt + start.length);
  if (endAt < 0) throw new DomainGeneratorError(`${path}: cannot find where to register the domain (expected "${start}" … "${end.trim()}")`, { path, start, end });
  const lineStart = text.lastIndexOf('\n', endAt) + 1;
  return `${text.slice(0, lineStart)}${line}\n${text.slice(lineStart)}`;
}

/** Inserts `line` before the line equal to `anchor`. */
function insertBeforeLine(text: string, path: string, anchor: string, line: string): string {
  const at = text.indexOf(`${anchor}\n`);
  if (at < 0 || (at > 0 && text[at - 1] !== '\n')) throw new DomainGeneratorError(`${path}: cannot find the line "${anchor}"`, { path, anchor });
  return `${text.slice(0, at)}${line}\n${text.slice(at)}`;
}

/** Adds an import after the file's last top-level import statement. */
function addImport(text: string, path: string, statement: string): string {
  const imports = [...text.matchAll(/^import [^;]*;\n/gm)];
  const last = imports[imports.length - 1];
  if (last?.index === undefined) throw new DomainGeneratorError(`${path}: has no import to add one after`, { path });
  const at = last.index + last[0].length;
  return `${text.slice(0, at)}${statement}\n${text.slice(at)}`;
}

function assertNew(tree: Tree, domain: DomainNames, files: readonly string[]): void {
  const catalog = read(tree, PATHS.catalog);
  const eventTopics = /export const eventTopics = \{([\s\S]*?)\n\} as const;/.exec(catalog)?.[1] ?? '';
  if (new RegExp(`^\\s*'?${domain.name}'?:`, 'm').test(eventTopics)) throw new DomainGeneratorError(`domain "${domain.name}" is already in ${PATHS.catalog}`, { name: domain.name });
  const existing = files.filter((file) => tree.exists(file));
  if (existing.length > 0) throw new DomainGeneratorError(`domain "${domain.name}" would overwrite ${existing.join(', ')}: pick another name`, { name: domain.name, existing });
  if (tree.exists(`libs/warehouse/src/lib/migrations`) && tree.children('libs/warehouse/src/lib/migrations').some((file) => file.endsWith(`-create-${domain.fileName}-tables.ts`))) {
    throw new DomainGeneratorError(`a migration for "${domain.name}" already exists`, { name: domain.name });
  }
  // The new exports sit next to every other domain's (index files re-export them all): no name may clash.
  const identifiers = [`${domain.propertyName}Event`, `${domain.propertyName}WindowStats`, `${domain.propertyName}EventsTopic`, `${domain.propertyName}WindowStatsTopic`, `${domain.propertyName}WindowStatsTable`, `${domain.propertyName}Pipeline`, `${domain.propertyName}Events`, `${domain.className}EventValue`];
  const declared = new RegExp(`\\b(?:const|function\\*?|type|interface|class)\\s+(${identifiers.join('|')})\\b`);
  for (const folder of IDENTIFIER_FOLDERS) {
    for (const file of tree.children(folder).filter((child) => child.endsWith('.ts'))) {
      const clash = declared.exec(read(tree, `${folder}/${file}`));
      if (clash) throw new DomainGeneratorError(`domain "${domain.name}" would declare ${clash[1] ?? ''} again (already in ${folder}/${file}): pick another name`, { name: domain.name, file: `${folder}/${file}` });
    }
  }
}

/** The README's domain table gets a row (after the last one). */
function addReadmeRow(text: string, domain: DomainNames): string {
  const header = '| domain | input (topic, key) | aggregates (table) |';
  const at = text.indexOf(header);
  if (at < 0) throw new DomainGeneratorError(`${PATHS.readme}: the domain table ("${header}") is missing`, { path: PATHS.readme });
  let end = at;
  while (text.startsWith('|', end)) end = text.indexOf('\n', end) + 1;
  const row =
    `| ${domain.title} (generated; describe it here) | \`${domain.name}.events\`, by ${domain.keyField} | ` +
    `per ${domain.keyField}, ${domain.window} tumbling: count, sum, min, max, avg of value (\`${domain.tableName}\`) |\n`;
  return `${text.slice(0, end)}${row}${text.slice(end)}`;
}

/**
 * `nx g @pipeline/nx-plugin:domain <name>`: a new domain wired exactly like iot, clickstream and
 * transit (README, "Extending: a new domain"). Files come from ./files; registrations are edits
 * anchored on the catalog, registries and index files. Everything goes through the Tree, so
 * `--dry-run` writes nothing; docs/warehouse.md is regenerated after the write (not on a dry run).
 */
export async function domainGenerator(tree: Tree, options: DomainGeneratorSchema): Promise<GeneratorCallback> {
  const domain = domainNames(options);
  const newFiles = [
    `libs/contracts/src/domains/${domain.fileName}.ts`,
    `libs/pipelines/src/domains/${domain.fileName}.ts`,
    `libs/ingest/src/lib/generators/${domain.fileName}.ts`,
    `libs/warehouse/src/lib/migrations/${domain.timestamp}-create-${domain.fileName}-tables.ts`,
    `apps/pipeline-e2e/src/${domain.fileName}.e2e.spec.ts`,
  ];
  assertNew(tree, domain, newFiles);

  generateFiles(tree, join(__dirname, 'files'), '.', { ...domain, tmpl: '' });

  const p = domain.propertyName;
  // Contracts: exported, and in the catalog (eventTopics → Domain, sinkRoutes → the sink and the migrations).
  edit(tree, PATHS.contractsIndex, (text) => insertBeforeLine(text, PATHS.contractsIndex, `export * from './domains/catalog';`, `export * from './domains/${domain.fileName}';`));
  edit(tree, PATHS.catalog, (text) => {
    let next = addImport(text, PATHS.catalog, `import { ${p}EventsTopic, ${p}WindowStatsTable, ${p}WindowStatsTopic } from './${domain.fileName}';`);
    next = insertInBlock(next, PATHS.catalog, 'export const eventTopics = {', '\n} as const;', `  ${domain.objectKey}: ${p}EventsTopic,`);
    return insertInBlock(next, PATHS.catalog, 'export const sinkRoutes = [', '\n] as const;', `  route(${p}WindowStatsTopic, ${p}WindowStatsTable),`);
  });
  // Pipelines: exported and registered (Record<Domain, …> fails to compile without it).
  edit(tree, PATHS.pipelinesIndex, (text) => insertBeforeLine(text, PATHS.pipelinesIndex, `export * from './pipelines';`, `export * from './domains/${domain.fileName}';`));
  edit(tree, PATHS.pipelines, (text) => {
    const next = addImport(text, PATHS.pipelines, `import { ${p}Pipeline } from './domains/${domain.fileName}';`);
    return insertInBlock(next, PATHS.pipelines, 'export const pipelines: Record<Domain, RegisteredPipeline> = {', '\n};', `  ${domain.objectKey}: register(${p}Pipeline),`);
  });
  // Ingest: the seeded generator and the typed dispatch of `generate --domain`.
  edit(tree, PATHS.generatorsIndex, (text) => {
    let next = addImport(text, PATHS.generatorsIndex, `import { ${p}Events, type ${domain.className}EventValue } from './${domain.fileName}';`);
    next = insertInBlock(next, PATHS.generatorsIndex, 'export interface DomainEvents {', '\n}', `  ${domain.objectKey}: ${domain.className}EventValue;`);
    return insertInBlock(next, PATHS.generatorsIndex, 'export const GENERATORS', '\n};', `  ${domain.objectKey}: ${p}Events,`);
  });
  edit(tree, PATHS.jobs, (text) =>
    insertInBlock(text, PATHS.jobs, 'export function forDomain', '\n  }\n}', `    case '${domain.name}':\n      return work(topics.bind(eventTopics${domain.accessor}), GENERATORS${domain.accessor});`),
  );
  // Warehouse: the migration that creates the table on databases migrated before the domain existed.
  edit(tree, PATHS.migrationsIndex, (text) => {
    const next = addImport(text, PATHS.migrationsIndex, `import { ${domain.migrationClass} } from './${domain.timestamp}-create-${domain.fileName}-tables';`);
    const start = next.indexOf('export const warehouseMigrations = [');
    const end = start < 0 ? -1 : next.indexOf('];', start);
    if (end < 0) throw new DomainGeneratorError(`${PATHS.migrationsIndex}: cannot find the warehouseMigrations list`, { path: PATHS.migrationsIndex });
    const before = next.slice(0, end).trimEnd();
    const separator = before.endsWith(',') ? ' ' : ', ';
    return `${before}${separator}${domain.migrationClass}${next.slice(end)}`;
  });
  edit(tree, PATHS.readme, (text) => addReadmeRow(text, domain));

  // docs/warehouse.md is rendered from the loaded catalog, so only once the files are on disk.
  return () => {
    execFileSync('npm', ['run', '--silent', 'warehouse:docs'], { cwd: tree.root, stdio: 'inherit' });
  };
}

export default domainGenerator;
