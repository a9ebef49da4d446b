import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cli, tempDir } from '../helpers.js';
import { LAYER_SCHEMA_4_5, semanticErrors, validate } from './layer-schema.js';
import { groupScope, openDb } from './sql.js';

describe('coverage, layer and plan commands', () => {
  const kbPath = inject('kbPath');
  const db = openDb(kbPath);
  afterAll(() => db.close());
  const run = (...args: string[]) => cli([...args, '--db', kbPath]);
  const scope = groupScope(db, 'G0016');
  const dir = tempDir();

  it('--fail-on-gaps exits 3 when more prioritized techniques than allowed have no own rule', () => {
    const r = run('coverage', '--group', 'G0016', '--fail-on-gaps');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${scope.length} of ${scope.length} prioritized techniques have no own rule (allowed: 0)`);
    expect(r.stdout).toContain(`**0 / ${scope.length} techniques covered by own rules`);
    expect(run('coverage', '--group', 'G0016', '--fail-on-gaps', String(scope.length - 1)).code).toBe(3);
    expect(run('coverage', '--group', 'G0016', '--fail-on-gaps', String(scope.length), '--format', 'csv').code).toBe(0);
    expect(run('coverage', '--group', 'G0016').code).toBe(0);
    expect(run('coverage', '--group', 'G0016', '--fail-on-gaps', 'many').code).toBe(2);
  });

  it('CSV: one row per technique with stable columns; JSON: the report', () => {
    const csv = run('coverage', '--group', 'G0016', '--format', 'csv').stdout.trim().split('\r\n');
    expect(csv[0]).toBe('id,name,domain,tactics,parent,status,priority,own_rules,own_via_subtechniques,own_rule_files,threats,threat_ids,'
      + 'policy_volume,detection_volume,adoptable_detections,test_volume,validation,control_sources,detection_sources,test_sources');
    expect(csv.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(scope);
    const json = JSON.parse(run('coverage', '--group', 'G0016', '--format', 'json').stdout) as { summary: { total: number }; gaps: string[] };
    expect(json.summary.total).toBe(scope.length);
    expect([...json.gaps].sort()).toEqual(scope);
  });

  it('--baseline lists techniques lost since an earlier layer; a bad baseline is bad input', () => {
    const inScope = scope.filter((id) => ['T1059.001', 'T1003', 'T1078'].includes(id));
    expect(inScope.length).toBeGreaterThan(1);
    const layer = join(dir, 'before.json');
    writeFileSync(layer, JSON.stringify({ name: 'before', domain: 'enterprise-attack', techniques: [
      ...inScope.map((id) => ({ techniqueID: id, score: 2 })), { techniqueID: 'T1610', score: 1 }, { techniqueID: 'T1005', score: 0 },
    ] }));
    const r = run('coverage', '--group', 'G0016', '--baseline', layer, '--format', 'json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { baseline: unknown }).baseline).toEqual({ covered: inScope.length, gained: [], lost: inScope, ignored: 1, carried: [] });
    expect(run('coverage', '--group', 'G0016', '--baseline', layer).stdout).toContain(`**Lost (${inScope.length}):** ${inScope[0]} `);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"name": "not a layer"}');
    const b = run('coverage', '--baseline', bad);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('not an ATT&CK Navigator layer');
    expect(run('coverage', '--baseline', join(dir, 'missing.json')).code).toBe(2);
  });

  it('bad input exits 2: unknown group, unknown measure, missing rules path, plan or threat layer without a threat', () => {
    expect(run('coverage', '--group', 'APT2999').code).toBe(2);
    const m = run('layer', '--measure', 'bananas');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/valid: validation, controls, detections, tests, .*sigma.*own, threat/);
    expect(run('layer', '--measure', 'threat').code).toBe(2);
    expect(run('layer', '--measure', 'own').code).toBe(2);
    expect(run('coverage', '--rules', join(dir, 'no-such-folder')).code).toBe(2);
    expect(run('plan', '--platform', 'windows').code).toBe(2);
    expect(run('layer', '--page-base', 'javascript:alert(1)').code).toBe(2);
  });

  it('layer: a bare source name, threat options and page links; several measures give a list', () => {
    const r = run('layer', '--measure', 'sigma', '--group', 'G0016', '--page-base', 'https://pb.example.org/site');
    expect(r.code).toBe(0);
    const layer = JSON.parse(r.stdout) as { techniques: { techniqueID: string; enabled?: boolean; links?: { url: string }[] }[]; metadata: unknown[]; links: unknown[] };
    expect(validate(LAYER_SCHEMA_4_5, layer)).toEqual([]);
    expect(layer.metadata).toContainEqual({ name: 'measure', value: 'source-sigma' });
    expect(layer.links[0]).toEqual({ label: 'Purplebook', url: 'https://pb.example.org/site' });
    expect(layer.techniques.filter((t) => t.enabled !== false).map((t) => t.techniqueID).sort()).toEqual(scope);
    expect(layer.techniques.find((t) => t.techniqueID === 'T1059.001')!.links![0]!.url).toBe('https://pb.example.org/site/techniques/T1059.001.html');
    const list = JSON.parse(run('layer', '--measure', 'threat,validation', '--group', 'G0016').stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    for (const l of list) expect([...validate(LAYER_SCHEMA_4_5, l), ...semanticErrors(l)]).toEqual([]);
    const cov = JSON.parse(run('coverage', '--group', 'G0016', '--format', 'layer').stdout) as Record<string, unknown>;
    expect(validate(LAYER_SCHEMA_4_5, cov)).toEqual([]);
    expect(cov.metadata).toContainEqual({ name: 'measure', value: 'own' });
  });

  it('plan: markdown with tactics and the untested list, JSON with the same content', () => {
    const md = run('plan', '--group', 'G0016', '--platform', 'windows');
    expect(md.code).toBe(0);
    const json = JSON.parse(run('plan', '--group', 'G0016', '--platform', 'windows', '--format', 'json').stdout) as {
      tactics: { name: string; id: string; techniques: { id: string }[] }[]; untested: { id: string }[];
    };
    expect(json.tactics.flatMap((t) => t.techniques.map((x) => x.id)).sort()).toEqual(scope);
    for (const [i, t] of json.tactics.entries()) expect(md.stdout).toContain(`## ${i + 1}. ${t.name} (${t.id})`);
    expect(md.stdout).toContain(`## Techniques no public test covers (${json.untested.length})`);
  });
});
