/**
 * A tiny hostile knowledge base: a hand-made ATT&CK bundle and two in-test sources whose titles,
 * descriptions, links, metadata, warnings and provenance all carry script injection attempts.
 * Every view must show them as text.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKnowledgeBase } from '../../src/kb/build.js';
import type { ResourceRecord, Source } from '../../src/sources/types.js';
import { fixtureDir } from '../helpers.js';

/** Set by any injected script that runs; the browser tests assert it stays undefined. */
export const XSS_FLAG = '__xss';

const ref = (id: string, url?: string) => [{ source_name: 'mitre-attack', external_id: id, url: url ?? `https://attack.mitre.org/techniques/${id.replace('.', '/')}` }];

function technique(id: string, name: string, tactics: string[], extra: Record<string, unknown> = {}) {
  return {
    type: 'attack-pattern', id: `attack-pattern--${id.toLowerCase().replace('.', '-')}`, name, description: `${name}.`,
    external_references: ref(id), kill_chain_phases: tactics.map((phase_name) => ({ kill_chain_name: 'mitre-attack', phase_name })),
    x_mitre_platforms: ['Linux', 'Windows'], x_mitre_is_subtechnique: id.includes('.'), ...extra,
  };
}

export function hostileBundle(version = '18.1', sshName = 'SSH'): string {
  const objects = [
    { type: 'x-mitre-collection', id: 'x-mitre-collection--1', name: 'Enterprise ATT&CK', x_mitre_version: version },
    {
      type: 'x-mitre-matrix', id: 'x-mitre-matrix--1', name: 'Enterprise ATT&CK', external_references: ref('enterprise-attack'),
      tactic_refs: ['x-mitre-tactic--exec', 'x-mitre-tactic--lm'],
    },
    { type: 'x-mitre-tactic', id: 'x-mitre-tactic--exec', name: 'Execution', x_mitre_shortname: 'execution', external_references: ref('TA0002', 'https://attack.mitre.org/tactics/TA0002') },
    { type: 'x-mitre-tactic', id: 'x-mitre-tactic--lm', name: 'Lateral Movement', x_mitre_shortname: 'lateral-movement', external_references: ref('TA0008', 'https://attack.mitre.org/tactics/TA0008') },
    technique('T1021', 'Remote Services', ['lateral-movement']),
    technique('T1021.004', sshName, ['lateral-movement'], {
      description: `<script>window.${XSS_FLAG}='description'</script> Adversaries use SSH. See [click me](javascript:alert(3)) and [the real page](https://attack.mitre.org/techniques/T1021/004) <img src=x onerror="window.${XSS_FLAG}='img'">.`,
    }),
    technique('T1059', 'Command and Scripting Interpreter <img src=x onerror=alert(9)>', ['execution']),
    technique('T1059.001', 'PowerShell', ['execution']),
    technique('T1086', 'PowerShell', ['execution'], { revoked: true }),
    { type: 'relationship', id: 'relationship--1', relationship_type: 'revoked-by', source_ref: 'attack-pattern--t1086', target_ref: 'attack-pattern--t1059-001' },
  ];
  return JSON.stringify({ type: 'bundle', id: 'bundle--1', objects });
}

const command = `<script>window.${XSS_FLAG}='command'</script>\n`.repeat(12);

const detectionRecords: ResourceRecord[] = [
  {
    key: 'rules/a.yml', upstreamId: 'a', title: '<img src=x onerror=alert(1)>', description: '<script>alert(2)</script>', url: 'javascript:alert(3)',
    breadcrumb: ['<svg onload=alert(4)>'], file: 'evil/rules/a.yml',
    meta: { level: `"><script>window.${XSS_FLAG}='level'</script>`, command, nested: { '<b>key</b>': ['<i onmouseover=alert(5)>x</i>'] } },
    techniques: [{ id: 'T1021.004' }],
  },
  {
    key: 'rules/b.yml', upstreamId: 'b', title: `SSH brute force <script>window.${XSS_FLAG}='title'</script>`,
    url: 'https://example.com/rule?"onmouseover="alert(11)', file: 'evil/rules/b.yml',
    techniques: [{ id: 'T1021.004' }, { id: 'T1059', relation: '<b>detects</b>', note: '<img src=x onerror=alert(12)>' }, { id: 'T1086' }],
  },
];

const testRecords: ResourceRecord[] = [
  {
    key: 'tests/c.yml', title: `</a><script>window.${XSS_FLAG}='test'</script>`, url: 'JaVaScRiPt:alert(14)', file: 'evil-tests/tests/c.yml',
    meta: { platforms: ['<u>linux</u>'] }, techniques: [{ id: 't1021.004' }],
  },
];

export const hostileDetections: Source = {
  name: 'evil-rules', title: 'Evil <b>Rules</b>', pillar: 'detection', order: 1, homepage: 'javascript:alert(10)', folder: 'evil',
  upstream: null, license: '<i>none</i>', resourceKind: 'rule', mapsVia: 'tags', summaryFields: ['level', 'command'],
  *load(ctx) {
    ctx.warn('<img src=x onerror=alert(15)>.yml', `<script>window.${XSS_FLAG}='warning'</script>`);
    yield* detectionRecords;
  },
};

export const hostileTests: Source = {
  name: 'evil-tests', title: 'Evil Tests', pillar: 'test', order: 1, homepage: 'https://example.com/tests', folder: 'evil-tests',
  upstream: null, license: 'none', resourceKind: 'test', mapsVia: 'ids', summaryFields: ['platforms'],
  *load() {
    yield* testRecords;
  },
};

export const MANIFEST = JSON.stringify({
  sources: [
    { folder: 'attack/', repository: 'mitre/cti', commit: '421deacb77191b38bdd1bf63268954e93da91365', accessed: '2026-11-28' },
    { folder: 'evil/', repository: `"><script>window.${XSS_FLAG}='repo'</script>`, commit: '<b>c0ffee</b>', accessed: '<i>2026</i>' },
  ],
});

export interface HostileKb {
  dataDir: string;
  dbPath: string;
  /** Rebuilds the same path (renamed over, as `purplebook build` does), e.g. with another SSH name. */
  rebuild(sshName: string): Promise<void>;
}

export async function hostileKb(): Promise<HostileKb> {
  const dataDir = fixtureDir({
    'attack/enterprise-attack.json': hostileBundle(),
    'evil/rules/a.yml': 'x', 'evil-tests/tests/c.yml': 'x',
    'MANIFEST.json': MANIFEST,
  });
  const dbPath = join(dataDir, 'kb', 'purplebook.db');
  const build = () => buildKnowledgeBase({ dataDir, dbPath, sources: [hostileDetections, hostileTests], quiet: true });
  await build();
  return {
    dataDir, dbPath,
    async rebuild(sshName: string) {
      writeFileSync(join(dataDir, 'attack', 'enterprise-attack.json'), hostileBundle('18.1', sshName));
      await build();
    },
  };
}
