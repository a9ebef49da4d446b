/**
 * One robustness profile per source of ALL_SOURCES: which real files of the shared data to
 * sample (a handful, chosen deterministically: evenly spaced in sorted order), their format,
 * what else the connector needs beside them, and where in a parsed file the fields it reads
 * live (for the wrong-type damage): traced from the connector itself for a kit source of a
 * structured format (trace.ts), written here only for the whole-folder readers (ATT&CK, CTID,
 * Engage, Splunk's stories) and the NDJSON one. Azure Sentinel and RTA are not in the shared data: their
 * profiles write small files in the documented upstream formats instead.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { walkFiles } from '../../src/sources/lib/files.js';
import { CTID_FRAMEWORKS, frameworkFiles } from '../../src/sources/ctid.js';
import { findSource } from '../../src/sources/registry.js';
import { parseJson, parseToml, parseYaml, parseYamlDocuments } from '../../src/sources/lib/parse.js';
import { DEFAULT_LIMITS, type DocumentFormat, type LoadContext, type ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, realAttack, tempDir } from '../helpers.js';
import type { DamageKind, Format, Path } from './damage.js';
import { readPaths } from './trace.js';

export interface Profile {
  /** Source name in ALL_SOURCES. */
  source: string;
  /** Data-dir-relative files that may be damaged, each with its format. */
  files: { path: string; format: Format }[];
  /** Files written instead of read from the shared data (sources absent from the snapshot). */
  written?: Record<string, string>;
  /**
   * Objects (paths into the parsed file) whose keys the connector reads: each key gets every wrong
   * type. Traced from the connector for a kit source of a structured format (see tracedFieldPaths).
   */
  fieldPaths?: (doc: unknown, file: string) => Path[];
  /** Where fieldPaths came from. */
  fieldPathsBy?: 'trace' | 'hand';
  /** The connector finds ids in free text (descriptions), not in id fields. */
  prose?: boolean;
  /**
   * A source reading the same files that reports the shape problems both would meet, so that one
   * build reports each once (car for car-unit-tests): its warnings count as this source's.
   */
  reportedBy?: string;
  /** ATT&CK itself is the data: load it from the fixture, so the damage reaches the connector. */
  attackFromFixture?: boolean;
  /**
   * What must stay identical in the records of an undamaged file when `damaged` is damaged. The
   * default is the whole record; a source whose records draw on lookup files (Engage) narrows it.
   */
  stable?: (r: ResourceRecord, damaged: string) => unknown;
  /** Why the sample looks the way it does, when it is not obvious. */
  note?: string;
  /**
   * Damage that a component outside src/sources does not withstand yet, with the reason: the
   * test for that kind is expected to FAIL (it.fails), so fixing the component flips it.
   */
  gaps?: Partial<Record<DamageKind, string>>;
}

/** `k` files evenly spaced through the sorted list: the same picks on every run. */
export function spread<T>(list: readonly T[], k: number): T[] {
  if (list.length <= k) return [...list];
  return Array.from({ length: k }, (_, i) => list[Math.floor((i * list.length) / k)]!);
}

function walk(folder: string, accept: (rel: string) => boolean): string[] {
  return walkFiles(join(DATA_DIR, folder), (_name, rel) => accept(rel)).map((rel) => `${folder}/${rel}`);
}

function readFileText(file: string): string {
  return readFileSync(join(DATA_DIR, file), 'utf8');
}

/** Line (0-based) of the first ATC document that maps a technique. */
function ndjsonLineWithTechnique(file: string): number {
  return readFileText(file).split('\n').findIndex((l) => /"technique": \["T\d{4}/.test(l));
}

const as = (format: Format) => (path: string) => ({ path, format });

/** The damage kinds' name for a kit format: a YAML stream is damaged as YAML. */
const DAMAGE_FORMAT: Record<DocumentFormat, Format> = { yaml: 'yaml', 'yaml-documents': 'yaml', json: 'json', ndjson: 'ndjson', toml: 'toml', text: 'text' };

/**
 * A kit connector's sample, generated from what it declares (`Source.reads`): `k` of the files its
 * `match` picks in the shared data (or the files it names), in its declared format. Adding a kit
 * source thus needs no list of files here, only the field paths its upstream puts techniques at.
 */
export function declaredSample(source: string, k = 4, accept: (path: string) => boolean = () => true): { path: string; format: Format }[] {
  const s = findSource(source);
  const reads = s?.reads;
  if (!s || !reads) throw new Error(`${source} declares no files (Source.reads): give its profile a file list`);
  const paths = reads.match ? spread(walk(s.folder, (rel) => reads.match!(rel, rel.slice(rel.lastIndexOf('/') + 1))).filter(accept), k) : reads.files!.map((f) => `${s.folder}/${f}`);
  return paths.map(as(DAMAGE_FORMAT[reads.format]));
}

/**
 * The field paths of a kit connector with a structured format, traced (trace.ts): the mappings its
 * `toRecords` reads in the real file. NDJSON and text sources parse inside `toRecords`: their
 * paths stay written by hand.
 */
export function tracedFieldPaths(p: Profile): ((doc: unknown, file: string) => Path[]) | undefined {
  const s = findSource(p.source);
  const reads = s?.reads;
  if (!s || !reads || reads.format === 'ndjson' || reads.format === 'text') return undefined;
  return (_doc, file) => {
    const text = originalBytes(p, file).toString('utf8');
    const doc = parseAs(text, reads.format);
    const ctx: LoadContext = {
      dataDir: DATA_DIR, dir: join(DATA_DIR, s.folder), provenance: { accessedFrom: 'manifest', commit: 'trace' },
      get attack() {
        return realAttack();
      },
      limits: DEFAULT_LIMITS, warn: () => {},
    };
    const paths = readPaths(doc, (d) => {
      for (const _ of reads.records(ctx, file, text, d)) { /* the records are not the point: the reads are */ }
    });
    // The damage parses a one-document YAML file as that document, without the list around it.
    return reads.format === 'yaml-documents' ? paths.filter((q) => q[0] === 0).map((q) => q.slice(1)) : paths;
  };
}

function parseAs(text: string, format: DocumentFormat): unknown {
  switch (format) {
    case 'yaml': return parseYaml(text, DEFAULT_LIMITS);
    case 'yaml-documents': return parseYamlDocuments(text, DEFAULT_LIMITS);
    case 'json': return parseJson(text, DEFAULT_LIMITS);
    case 'toml': return parseToml(text, DEFAULT_LIMITS);
    default: return text;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Index of the first element of `list` that passes `test`, as a one-element path list (none when absent). */
function firstWhere(list: unknown, test: (v: Record<string, unknown>) => boolean, prefix: Path = []): Path[] {
  if (!Array.isArray(list)) return [];
  const i = list.findIndex((v) => isObj(v) && test(v));
  return i >= 0 ? [[...prefix, i]] : [];
}

function stix(types: string[], relationships: string[]) {
  return (doc: unknown): Path[] => {
    const objects = isObj(doc) ? doc.objects : undefined;
    return [
      [],
      ...types.flatMap((t) => firstWhere(objects, (o) => o.type === t && !o.revoked && !o.x_mitre_deprecated, ['objects'])),
      ...relationships.flatMap((t) => firstWhere(objects, (o) => o.type === 'relationship' && o.relationship_type === t, ['objects'])),
    ];
  };
}

const ATTACK_FILES = ['attack/ics-attack.json', 'attack/mobile-attack.json'];

const ENGAGE = 'engage/Data/json';

/** Written from the documented Microsoft Sentinel analytic-rule format (as test/sources/azure-sentinel.test.ts). */
const AZURE_RULES: Record<string, string> = {
  'azure-sentinel/Detections/SecurityEvent/LsassAccess.yaml': `id: 0b5a1f3e-3333-4c2d-9e8f-000000000003
name: LSASS memory access
description: Identifies processes opening LSASS.
severity: High
requiredDataConnectors:
  - connectorId: SecurityEvents
    dataTypes:
      - SecurityEvent
queryFrequency: 1h
queryPeriod: 1h
tactics:
  - CredentialAccess
relevantTechniques:
  - T1003.001
query: |
  SecurityEvent
  | where EventID == 4656 and ObjectName endswith "lsass.exe"
version: 1.0.0
kind: Scheduled
`,
  'azure-sentinel/Solutions/Contoso Identity/Analytic Rules/SprayFromOneIp.yaml': `id: 0b5a1f3e-1111-4c2d-9e8f-000000000001
name: Password spray from one IP address
description: |
  'Identifies failed sign-ins for many accounts from the same IP address
  within a short time window.'
severity: Medium
status: Available
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - SigninLogs
queryFrequency: 1d
queryPeriod: 7d
tactics:
  - CredentialAccess
relevantTechniques:
  - T1110.003
  - T1110
query: |
  SigninLogs
  | where ResultType in (50053, 50126)
  | summarize Accounts = dcount(UserPrincipalName) by IPAddress
version: 1.0.4
kind: Scheduled
`,
  'azure-sentinel/Solutions/Contoso Identity/Analytic Rules/Nrt/NrtRoleAdded.yaml': `id: 0b5a1f3e-2222-4c2d-9e8f-000000000002
name: NRT user added to a privileged role
description: 'Alerts when a user is added to a privileged role.'
severity: High
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - AuditLogs
tactics:
  - Persistence
  - PrivilegeEscalation
relevantTechniques:
  - T1098
  - T1078.004
tags:
  - DEV-0537
query: |
  AuditLogs
  | where OperationName =~ "Add member to role"
version: 1.0.7
kind: NRT
`,
};

/** Written in the header format of endgameinc/RTA `red_ttp/*.py` (as test/sources/rta.test.ts). */
const RTA_SCRIPTS: Record<string, string> = {
  'rta/red_ttp/at_command.py': `# Name: AT Command Lateral Movement
# RTA: at_command.py
# ATT&CK: T1053
# Description: Enumerates at tasks on target host, and schedules an at job for one hour in the future. Then checks the
#  status of that task, and deletes the task.

import common


def main():
    common.execute(['at.exe'])
`,
  'rta/red_ttp/enum_commands.py': `# Name: Common Enumeration Commands
# RTA: enum_commands.py
# ATT&CK: T1007, T1016, T1018
# Description: Executes a list of administration tools commonly used by attackers for enumeration.

import common
`,
  'rta/red_ttp/schtask_escalation.py': `# Copyright Elasticsearch B.V. and/or licensed to Elasticsearch B.V. under one
# or more contributor license agreements. Licensed under the Elastic License;
# you may not use this file except in compliance with the Elastic License.

# Name: Scheduled Task Privilege Escalation
# rta: schtask_escalation.py
# signal.rule.name: Local Scheduled Task Commands
# ATT&CK: T1053.005 Scheduled Task
# Platforms: Windows, macOS

import os
`,
};

function ctidProfile(name: string): Profile {
  const fw = CTID_FRAMEWORKS.find((f) => f.name === name)!;
  const all = frameworkFiles(DATA_DIR, fw);
  const aggregated = all.length > 1;
  return {
    source: name,
    // A capability of VERIS or KEV gathers its rows from every domain file, so a record of one
    // file depends on the others: those two are sampled by their enterprise file alone.
    files: (aggregated ? all.filter((f) => f.includes('/enterprise/')) : all).map(as('json')),
    note: aggregated ? 'capabilities aggregate across domain files: enterprise file only' : undefined,
    fieldPaths: (doc) => [
      [], ['metadata'],
      ...firstWhere(isObj(doc) ? doc.mapping_objects : undefined, (r) => typeof r.attack_object_id === 'string' && r.status !== 'non_mappable', ['mapping_objects']),
    ],
  };
}

/** Both CAR sources read the same analytics; the unit-test one samples analytics that have tests. */
function carProfile(source: string, withTests: boolean): Profile {
  return {
    source,
    reportedBy: withTests ? 'car' : undefined,
    files: declaredSample(source, 4, withTests ? (f) => /^unit_tests:/m.test(readFileText(f)) : undefined),
    note: withTests ? 'analytics that have unit tests' : undefined,
  };
}

const PROFILES: Profile[] = [
  {
    source: 'd3fend',
    files: [as('turtle')('d3fend/d3fend-protege.ttl')],
    note: 'the connector reads the one ontology file',
  },
  {
    source: 'attack-mitigations',
    files: ATTACK_FILES.map(as('json')),
    attackFromFixture: true,
    fieldPaths: stix(['course-of-action', 'attack-pattern'], ['mitigates']),
    note: 'the ICS and mobile bundles (enterprise is 33 MB); ATT&CK is loaded from the damaged fixture',
  },
  {
    source: 'attack-detection-strategies',
    files: ATTACK_FILES.map(as('json')),
    attackFromFixture: true,
    fieldPaths: stix(['x-mitre-detection-strategy', 'x-mitre-analytic'], ['detects']),
    note: 'the ICS and mobile bundles; ATT&CK is loaded from the damaged fixture',
  },
  ...CTID_FRAMEWORKS.map((fw) => ctidProfile(fw.name)),
  {
    source: 'engage',
    files: ['attack_mapping', 'activity_details', 'activities', 'approaches', 'goals'].map((f) => as('json')(`${ENGAGE}/${f}.json`)),
    // Every record is filed under attack_mapping.json and takes names from the lookup files: when
    // a lookup is damaged, the activities and their techniques must stay, the names may not.
    stable: (r, damaged) => (damaged === `${ENGAGE}/attack_mapping.json` ? r : { key: r.key, file: r.file, techniques: r.techniques }),
    fieldPaths: (doc) => (Array.isArray(doc) ? [[0]] : isObj(doc) ? [[], [Object.keys(doc)[0]!]] : []),
  },
  {
    source: 'sigma',
    files: declaredSample('sigma', 5),
  },
  {
    source: 'elastic',
    files: declaredSample('elastic'),
  },
  {
    source: 'splunk',
    files: [
      ...spread(walk('splunk', (rel) => /^detections\/(?:[^/]+\/)*[^/]+\.yml$/.test(rel)), 3),
      ...spread(walk('splunk', (rel) => /^stories\/[^/]+\.yml$/.test(rel)), 1),
    ].map(as('yaml')),
    fieldPaths: () => [[], ['tags']],
  },
  carProfile('car', false),
  {
    source: 'eqllib',
    files: declaredSample('eqllib'),
  },
  {
    source: 'sentinel-attack',
    files: declaredSample('sentinel-attack'),
    prose: true,
    note: 'one file upstream; ids are read from the description text',
  },
  {
    source: 'security-analytics',
    files: declaredSample('security-analytics'),
  },
  {
    source: 'threathunting',
    files: [as('conf')('threathunting/default/savedsearches.conf')],
    note: 'one file upstream',
  },
  {
    source: 'atomic-threat-coverage',
    files: declaredSample('atomic-threat-coverage'),
    fieldPaths: (_doc, file) => [[ndjsonLineWithTechnique(file)]],
    note: 'one file upstream (Elasticsearch bulk NDJSON)',
  },
  {
    source: 'threathunter-playbook',
    files: declaredSample('threathunter-playbook'),
  },
  {
    source: 'azure-sentinel',
    files: Object.keys(AZURE_RULES).sort().map(as('yaml')),
    written: AZURE_RULES,
    note: 'not in the shared data: three rules written in the documented format',
  },
  {
    source: 'atomic-red-team',
    files: declaredSample('atomic-red-team'),
  },
  {
    source: 'caldera',
    files: declaredSample('caldera'),
  },
  {
    source: 'prelude',
    files: declaredSample('prelude'),
  },
  carProfile('car-unit-tests', true),
  {
    source: 'scythe',
    files: declaredSample('scythe'),
  },
  {
    source: 'stratus-red-team',
    files: declaredSample('stratus-red-team'),
    note: 'one file upstream',
  },
  {
    source: 'rta',
    files: Object.keys(RTA_SCRIPTS).sort().map(as('text')),
    written: RTA_SCRIPTS,
    note: 'not in the shared data: three scripts written in the documented header format',
  },
];

export function profileFor(source: string): Profile | undefined {
  return PROFILES.find((p) => p.source === source);
}

/** A kit connector of a structured format has its field paths traced, never written by hand (profiles.test.ts). */
for (const p of PROFILES) {
  const traced = p.fieldPaths ? undefined : tracedFieldPaths(p);
  if (traced) p.fieldPaths = traced;
  if (p.fieldPaths) p.fieldPathsBy = traced ? 'trace' : 'hand';
}

export const ALL_PROFILES: readonly Profile[] = PROFILES;

/** A temp data folder holding the profile's files at their data-relative paths. */
export function layOut(p: Profile): string {
  const dir = tempDir('purplebook-robust-');
  for (const rel of p.files.map((f) => f.path)) {
    const to = join(dir, rel);
    mkdirSync(dirname(to), { recursive: true });
    if (p.written?.[rel] !== undefined) writeFileSync(to, p.written[rel]);
    else copyFileSync(join(DATA_DIR, rel), to);
  }
  return dir;
}

/** The undamaged bytes of a profile file. */
export function originalBytes(p: Profile, rel: string): Buffer {
  return p.written?.[rel] !== undefined ? Buffer.from(p.written[rel], 'utf8') : readFileSync(join(DATA_DIR, rel));
}
