import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadAttack } from '../../src/attack/load.js';
import type { AttackWarning } from '../../src/attack/types.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { computeStats } from '../../src/kb/stats.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

/** Independent count straight from the raw bundle: active = not revoked, not deprecated. */
function rawCounts(domain: string) {
  const bundle = JSON.parse(readFileSync(join(DATA_DIR, 'attack', `${domain}.json`), 'utf8')) as { objects: Record<string, unknown>[] };
  const c = { techniques: 0, subtechniques: 0, revoked: 0, deprecated: 0 };
  for (const o of bundle.objects) {
    if (o.type !== 'attack-pattern') continue;
    if (o.revoked === true) c.revoked++;
    else if (o.x_mitre_deprecated === true) c.deprecated++;
    else if (o.x_mitre_is_subtechnique === true) c.subtechniques++;
    else c.techniques++;
  }
  return c;
}

/** The release as the data states it: the bundle's x-mitre-collection, else MANIFEST.json's attack entry. */
function rawRelease(): { version: string; source: string } {
  const bundle = JSON.parse(readFileSync(join(DATA_DIR, 'attack', 'enterprise-attack.json'), 'utf8')) as { objects: Record<string, unknown>[] };
  const collection = bundle.objects.find((o) => o.type === 'x-mitre-collection');
  if (collection) return { version: String(collection.x_mitre_version), source: 'collection' };
  const manifest = JSON.parse(readFileSync(join(DATA_DIR, 'MANIFEST.json'), 'utf8')) as { sources: { folder: string; version: string }[] };
  return { version: manifest.sources.find((s) => s.folder.replace(/\/$/, '') === 'attack')!.version, source: 'manifest' };
}

describe('ATT&CK on the real bundles of the data folder', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  const stats = computeStats(kb);

  it('records the ATT&CK version from the bundle\'s collection object, else MANIFEST.json', () => {
    const release = rawRelease();
    expect(stats.attack.version).toBe(release.version);
    expect(stats.attack.versionSource).toBe(release.source);
  });

  it.each(['enterprise-attack', 'mobile-attack', 'ics-attack'])('stats counts of %s equal an independent count of the raw bundle', (domain) => {
    expect(stats.attack.domains[domain]).toEqual(rawCounts(domain));
  });

  it('orders tactics as the matrix does, from the bundle', () => {
    const enterprise = kb.tactics().filter((t) => t.domain === 'enterprise-attack').map((t) => t.name);
    expect(enterprise.slice(0, 3)).toEqual(['Reconnaissance', 'Resource Development', 'Initial Access']);
    expect(enterprise).toEqual(rawAttack().matrixTactics.get('enterprise-attack'));
    const ics = kb.tactics().filter((t) => t.domain === 'ics-attack');
    expect(ics[0]!.name).toBe('Initial Access');
  });

  it('carries revoked ids to their replacement in one place', () => {
    const attack = realAttack();
    const r = resolveTechniqueId(attack, ' attack.t1086 ');
    expect(r).toEqual({ kind: 'revoked', ids: ['T1059.001'], revoked: 'T1086', raw: ' attack.t1086 ' });
    expect(resolveTechniqueId(attack, 't1021.004')).toMatchObject({ kind: 'ok', id: 'T1021.004' });
    const next = rawAttack().nextTechniqueId;
    expect(resolveTechniqueId(attack, next)).toMatchObject({ kind: 'unknown', id: next });
    expect(resolveTechniqueId(attack, 'T1059.001\u0000')).toMatchObject({ kind: 'invalid' });
    expect(resolveTechniqueId(attack, 'T0000')).toMatchObject({ kind: 'unknown' });
  });
});

describe('ATT&CK from damaged bundles', () => {
  const good = readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json'), 'utf8');

  it('a truncated bundle, a non-JSON bundle and objects missing fields give warnings, not a crash', () => {
    const broken = JSON.parse(good) as { objects: Record<string, unknown>[] };
    const ap = broken.objects.find((o) => o.type === 'attack-pattern')!;
    delete ap.name;
    broken.objects.push({ type: 'attack-pattern', id: 'attack-pattern--x' }); // no ATT&CK id
    broken.objects.push({ nothing: true });
    broken.objects.push(null as unknown as Record<string, unknown>);
    const dir = fixtureDir({
      'attack/enterprise-attack.json': good.slice(0, 5000),
      'attack/mobile-attack.json': 'this is not json',
      'attack/ics-attack.json': JSON.stringify(broken),
    });
    const warnings: AttackWarning[] = [];
    const attack = loadAttack(dir, (w) => warnings.push(w));
    expect(warnings.some((w) => w.file === 'attack/enterprise-attack.json' && /not a JSON document/.test(w.reason))).toBe(true);
    expect(warnings.some((w) => w.file === 'attack/mobile-attack.json' && /not a JSON document/.test(w.reason))).toBe(true);
    expect(warnings.some((w) => w.file === 'attack/ics-attack.json' && /has no name/.test(w.reason))).toBe(true);
    expect(warnings.some((w) => /has no ATT&CK id/.test(w.reason))).toBe(true);
    expect(warnings.some((w) => /without a type or id/.test(w.reason))).toBe(true);
    // The rest of the ICS bundle is still there.
    expect(attack.domains.map((d) => d.domain)).toEqual(['ics-attack']);
    const raw = rawCounts('ics-attack');
    expect([...attack.techniques.values()].filter((t) => t.status === 'active').length).toBe(raw.techniques + raw.subtechniques);
  });

  it('a bundle without objects is skipped with a warning', () => {
    const dir = fixtureDir({ 'attack/ics-attack.json': '{"type":"bundle"}' });
    const warnings: AttackWarning[] = [];
    const attack = loadAttack(dir, (w) => warnings.push(w));
    expect(attack.techniques.size).toBe(0);
    expect(warnings).toEqual([{ file: 'attack/ics-attack.json', reason: 'not a STIX bundle (no "objects" array): domain skipped' }]);
  });
});
