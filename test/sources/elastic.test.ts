import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { elasticBreadcrumb, elasticLanguage, elasticSource, elasticThreat } from '../../src/sources/elastic.js';
import { collectSource } from '../../src/sources/collect.js';
import { walkFiles } from '../../src/sources/lib/files.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

function resolvedIds(a: AttackIndex, raw: string): string[] {
  const r = resolveTechniqueId(a, raw);
  return r.kind === 'ok' || r.kind === 'unknown' ? [r.id] : r.kind === 'revoked' ? r.ids : [];
}

function byTechnique(a: AttackIndex, records: ResourceRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) for (const t of r.techniques) for (const id of resolvedIds(a, t.id)) {
    if (!out.has(id)) out.set(id, new Set());
    out.get(id)!.add(r.key);
  }
  return out;
}

const REAL = 'elastic/rules/windows/execution_posh_psreflect.toml';
const REAL_BB = 'elastic/rules_building_block/collection_archive_data_zip_imageload.toml';
const REAL_DEPRECATED = 'elastic/rules/_deprecated/apm_null_user_agent.toml';

const rule = (name: string, body: string[] = [], maturity = 'production') => [
  '[metadata]',
  'creation_date = "2024/01/02"',
  `maturity = "${maturity}"`,
  '',
  '[rule]',
  `name = "${name}"`,
  'rule_id = "aaaaaaaa-0000-0000-0000-000000000000"',
  'type = "query"',
  'language = "kuery"',
  'severity = "low"',
  'risk_score = 21',
  ...body,
].join('\n');

const threat = (framework: string, techniques: [string, string[]][]) => [
  '[[rule.threat]]',
  `framework = "${framework}"`,
  ...techniques.flatMap(([id, subs]) => ['[[rule.threat.technique]]', `id = "${id}"`, ...subs.flatMap((s) => ['[[rule.threat.technique.subtechnique]]', `id = "${s}"`])]),
  '[rule.threat.tactic]',
  'name = "Lateral Movement"',
];

describe('elastic fixtures', () => {
  it('loads good rules and reports every malformed file by name without throwing', async () => {
    const many = rule('Ten thousand', ['[[rule.threat]]', 'framework = "MITRE ATT&CK"', ...Array.from({ length: 10_000 }, (_, i) => `[[rule.threat.technique]]\nid = "T${String(i).padStart(4, '0')}"`)]);
    const dir = fixtureDir({
      [REAL]: readFileSync(join(DATA_DIR, REAL)),
      [REAL_BB]: readFileSync(join(DATA_DIR, REAL_BB)),
      [REAL_DEPRECATED]: readFileSync(join(DATA_DIR, REAL_DEPRECATED)),
      'elastic/rules/integrations/aws/ssh.toml': rule('SSH', [
        'index = ["logs-aws*"]', 'type = "threshold"',
        ...threat('MITRE ATT&CK', [['T1021', ['T1021.004', 'T1021.004']], ['t1021', []]]),
        ...threat('MITRE ATLAS', [['AML.T0051', []]]),
      ]).replace('type = "query"\n', ''),
      'elastic/rules/linux/retired.toml': rule('Retired', threat('MITRE ATT&CK', [['T1078', []]]), 'deprecated'),
      'elastic/rules/bad/syntax.toml': '[rule]\nname = "x"\nname = ',
      'elastic/rules/bad/threat_string.toml': rule('Threat string', ['threat = "T1059"']),
      'elastic/rules/bad/technique_not_array.toml': rule('Technique table', ['[[rule.threat]]', 'framework = "MITRE ATT&CK"', '[rule.threat.technique]', 'id = "T1059"']),
      'elastic/rules/bad/id_number.toml': rule('Id number', ['[[rule.threat]]', 'framework = "MITRE ATT&CK"', '[[rule.threat.technique]]', 'id = 1059', '[[rule.threat.technique]]', 'id = "T1105"']),
      'elastic/rules/bad/wrong_types.toml': rule('Wrong types', ['index = "logs-*"']).replace('severity = "low"', 'severity = 3'),
      'elastic/rules/bad/ten_thousand.toml': many,
      'elastic/rules/bad/no_rule.toml': '[metadata]\nmaturity = "production"\n',
      'elastic/rules/bad/no_name.toml': '[rule]\ndescription = "nameless"\n',
      'elastic/rules/bad/empty.toml': '',
      'elastic/rules/bad/not_utf8.toml': Buffer.concat([Buffer.from('[rule]\nname = "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]),
      'elastic/rules/bad/deep.toml': `[rule]\nname = "deep"\nx = ${'['.repeat(100)}${']'.repeat(100)}\n`,
      // Not rule files.
      'elastic/rules/windows/notes.md': '# notes',
      'elastic/rules/windows/x.json': '{}',
      'elastic/hunting/windows/hunt.toml': rule('Hunting query, not a rule'),
    });
    const { records, warnings } = await collectSource(elasticSource, { dataDir: dir, attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual([
      'rules/_deprecated/apm_null_user_agent.toml',
      'rules/bad/id_number.toml',
      'rules/bad/technique_not_array.toml',
      'rules/bad/ten_thousand.toml',
      'rules/bad/threat_string.toml',
      'rules/bad/wrong_types.toml',
      'rules/integrations/aws/ssh.toml',
      'rules/linux/retired.toml',
      'rules/windows/execution_posh_psreflect.toml',
      'rules_building_block/collection_archive_data_zip_imageload.toml',
    ]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    const warned = (file: string) => warnings.filter((w) => w.file === `elastic/${file}`).map((w) => w.reason);

    expect(byKey.get('rules/windows/execution_posh_psreflect.toml')).toEqual({
      key: 'rules/windows/execution_posh_psreflect.toml',
      upstreamId: '56f2e9b5-4803-4e44-a0a4-a52dc79d57fe',
      title: 'PowerShell PSReflect Script',
      url: 'https://github.com/elastic/detection-rules/blob/main/rules/windows/execution_posh_psreflect.toml',
      breadcrumb: ['windows'],
      description: expect.any(String),
      deprecated: false,
      file: REAL,
      meta: {
        id: '56f2e9b5-4803-4e44-a0a4-a52dc79d57fe', maturity: 'production', severity: 'high', riskScore: 73,
        language: 'KQL', type: 'query', integration: ['windows'], index: ['logs-windows.powershell*', 'winlogbeat-*'],
        tactics: ['Execution'], author: 'Elastic', date: '2021-10-15', modified: '2026-05-03',
      },
      facets: {
        logSources: [
          { scheme: 'elastic-index', name: 'logs-windows.powershell*' }, { scheme: 'elastic-index', name: 'winlogbeat-*' },
          { scheme: 'elastic-integration', name: 'windows' },
        ],
      },
      // The query as the TOML file states it (kuery is KQL's name in the rule), trailing whitespace dropped.
      logic: { language: 'kuery', text: ((parseToml(readFileSync(join(DATA_DIR, REAL), 'utf8')).rule as { query: string }).query).trimEnd() },
      techniques: [{ id: 'T1059' }, { id: 'T1059.001' }, { id: 'T1106' }],
    });

    const bb = byKey.get('rules_building_block/collection_archive_data_zip_imageload.toml')!;
    expect(bb).toMatchObject({ breadcrumb: ['building_block'], deprecated: false, meta: { buildingBlock: true, language: 'EQL', severity: 'low' } });
    expect(bb.techniques.map((t) => t.id)).toEqual(['T1560', 'T1560.002']);

    const old = byKey.get('rules/_deprecated/apm_null_user_agent.toml')!;
    expect([old.deprecated, old.breadcrumb, old.meta!.buildingBlock]).toEqual([true, ['_deprecated'], undefined]);
    const retired = byKey.get('rules/linux/retired.toml')!;
    expect([retired.deprecated, retired.techniques]).toEqual([true, [{ id: 'T1078' }]]);
    expect(records.filter((r) => r.deprecated)).toHaveLength(2);

    // Sub-techniques count, repeats do not, other frameworks are not ATT&CK.
    const ssh = byKey.get('rules/integrations/aws/ssh.toml')!;
    expect(ssh).toMatchObject({ breadcrumb: ['integrations', 'aws'], meta: { language: 'threshold (KQL)', type: 'threshold', index: ['logs-aws*'], tactics: ['Lateral Movement'] } });
    expect(ssh.techniques).toEqual([{ id: 'T1021' }, { id: 'T1021.004' }]);
    expect(warned('rules/integrations/aws/ssh.toml')).toEqual([]);

    expect(byKey.get('rules/bad/threat_string.toml')!.techniques).toEqual([]);
    expect(warned('rules/bad/threat_string.toml')).toEqual(['`rule.threat` is a string, not an array of tables']);
    expect(byKey.get('rules/bad/technique_not_array.toml')!.techniques).toEqual([]);
    expect(warned('rules/bad/technique_not_array.toml')).toEqual(['`rule.threat.technique` is a table, not an array of tables']);
    expect(byKey.get('rules/bad/id_number.toml')!.techniques).toEqual([{ id: 'T1105' }]);
    expect(warned('rules/bad/id_number.toml')).toEqual(['a technique has no string `id`']);
    expect(byKey.get('rules/bad/wrong_types.toml')!.meta).not.toHaveProperty('severity');
    expect(byKey.get('rules/bad/wrong_types.toml')!.meta).not.toHaveProperty('index');
    expect(warned('rules/bad/wrong_types.toml')).toEqual(['`rule.severity` is a number, not a string: ignored', '`rule.index` is a string, not an array: ignored']);

    const tenK = byKey.get('rules/bad/ten_thousand.toml')!;
    expect(tenK.techniques).toHaveLength(1000);
    expect(warned('rules/bad/ten_thousand.toml')).toEqual(['10000 technique references, over the limit of 1000: the first 1000 kept']);

    expect(warned('rules/bad/syntax.toml')).toHaveLength(1);
    expect(warned('rules/bad/syntax.toml')[0]).toMatch(/^TOML: /);
    expect(warned('rules/bad/no_rule.toml')).toEqual(['not a rule: no `[rule]` table']);
    expect(warned('rules/bad/no_name.toml')).toEqual(['not a rule: `[rule]` has no `name`']);
    expect(warned('rules/bad/empty.toml')).toEqual(['empty file']);
    expect(warned('rules/bad/not_utf8.toml')).toEqual(['not valid UTF-8']);
    expect(warned('rules/bad/deep.toml')).toEqual(['TOML: nested deeper than 64 levels']);
    expect([...new Set(warnings.map((w) => w.file.slice('elastic/'.length)))].sort()).toEqual(
      ['deep', 'empty', 'id_number', 'no_name', 'no_rule', 'not_utf8', 'syntax', 'technique_not_array', 'ten_thousand', 'threat_string', 'wrong_types'].map((n) => `rules/bad/${n}.toml`),
    );
  });

  it('helpers', () => {
    expect(elasticBreadcrumb('rules/integrations/aws/x.toml')).toEqual(['integrations', 'aws']);
    expect(elasticBreadcrumb('rules/x.toml')).toEqual([]);
    expect(elasticBreadcrumb('rules_building_block/sub/x.toml')).toEqual(['building_block', 'sub']);
    expect([
      elasticLanguage('eql', 'eql'), elasticLanguage('esql', 'esql'), elasticLanguage('query', 'kuery'), elasticLanguage('query', 'lucene'),
      elasticLanguage('machine_learning', undefined), elasticLanguage('new_terms', 'kuery'), elasticLanguage('threat_match', 'kuery'), elasticLanguage('threshold', undefined),
    ]).toEqual(['EQL', 'ES|QL', 'KQL', 'Lucene', 'ML', 'new_terms (KQL)', 'indicator match (KQL)', 'threshold']);
    expect(elasticThreat([{ framework: 'MITRE ATT&CK', technique: [{ id: 'T1003', subtechnique: [{ id: 'T1003.001' }, 'x'] }] }, 'y']))
      .toEqual({ techniques: ['T1003', 'T1003.001'], tactics: [], problems: ['`rule.threat` holds entries that are not tables', '`rule.threat.technique.subtechnique` holds entries that are not tables'] });
  });
});

describe('elastic on the shared data', () => {
  const FIXED = ['T1059.001', 'T1021.004', 'T1003.001', 'T1566.001', 'T1078', 'T1055', 'T1547.001', 'T1218.011', 'T1105', 'T1027', 'T1098.001'];

  type Any = Record<string, unknown>;
  const list = (v: unknown): Any[] => (Array.isArray(v) ? (v as Any[]) : []);

  /** Independent reading with smol-toml and a traversal of its own. */
  function independent() {
    const root = join(DATA_DIR, 'elastic');
    const files = walkFiles(root, (name, rel) => name.endsWith('.toml') && /^rules(?:_building_block)?\//.test(rel));
    const exp = new Map<string, number>();
    let pairs = 0;
    let deprecated = 0;
    let buildingBlocks = 0;
    let revokedRefs = 0;
    for (const f of files) {
      const doc = parseToml(readFileSync(join(root, f), 'utf8')) as Any;
      const r = doc.rule as Any;
      const meta = doc.metadata as Any;
      if (f.includes('/_deprecated/') || meta.maturity === 'deprecated') deprecated++;
      if (f.startsWith('rules_building_block/') || 'building_block_type' in r) buildingBlocks++;
      const raw: string[] = [];
      for (const t of list(r.threat)) {
        if (t.framework !== 'MITRE ATT&CK') continue;
        for (const te of list(t.technique)) raw.push(te.id as string, ...list(te.subtechnique).map((s) => s.id as string));
      }
      const ids = new Set<string>();
      for (const id of raw) {
        if (rawAttack().techniques.get(id.toUpperCase())?.revoked) revokedRefs++;
        for (const x of rawAttack().resolve(id)) ids.add(x);
      }
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    return { exp, files: files.length, pairs, deprecated, buildingBlocks, revokedRefs };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const ind = independent();
    // MANIFEST.json: 2194 files, LICENSE.txt and NOTICE.txt among them; 124 rules under rules/_deprecated/.
    expect([ind.files, ind.deprecated]).toEqual([2192, 124]);
    const { records, warnings } = await collectSource(elasticSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(ind.files);
    expect(records.filter((r) => r.deprecated)).toHaveLength(ind.deprecated);
    expect(records.filter((r) => r.meta?.buildingBlock)).toHaveLength(ind.buildingBlocks);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(ind.pairs);
    expect(got.size).toBe(ind.exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, ind.exp.get(t) ?? 0]);
    // Computed once by a separate script (Python tomllib) over the raw files; independent of the ATT&CK release.
    expect(ind.buildingBlocks).toBe(133);
    const revokedGot = records.flatMap((r) => r.techniques).filter((t) => resolveTechniqueId(a, t.id).kind === 'revoked').length;
    expect(revokedGot).toBe(ind.revokedRefs);
    expect(new Set(records.map((r) => r.meta?.language))).toEqual(new Set(['KQL', 'EQL', 'ES|QL', 'Lucene', 'ML', 'threshold (KQL)', 'new_terms (KQL)', 'indicator match (KQL)']));
  });
});
