/**
 * ATT&CK mitigations: `course-of-action` objects linked to techniques by `mitigates`, with the
 * relationship's own description of how the mitigation applies (ATT&CK connector data, via ctx.attack).
 */
import type { ResourceRecord, Source, TechniqueRef } from './types.js';

export const attackMitigationsSource: Source = {
  usesAttack: true,
  name: 'attack-mitigations',
  title: 'MITRE ATT&CK Mitigations',
  pillar: 'policy',
  order: 20,
  homepage: 'https://attack.mitre.org/mitigations/',
  folder: 'attack',
  upstream: null, // comes with the ATT&CK bundles
  license: 'ATT&CK Terms of Use',
  resourceKind: 'ATT&CK mitigation (course-of-action)',
  mapsVia: '`mitigates` relationships in the STIX bundle',
  summaryFields: ['id', 'note'],
  techniquePage: 'https://attack.mitre.org/techniques/{idPath}/#mitigations',
  *load(ctx) {
    const byMitigation = new Map<string, TechniqueRef[]>();
    for (const use of ctx.attack.mitigationUses) {
      const list = byMitigation.get(use.mitigation) ?? [];
      list.push({ id: use.technique, relation: 'mitigates', note: use.description || undefined, attackVersion: ctx.attack.version });
      byMitigation.set(use.mitigation, list);
    }
    for (const id of [...byMitigation.keys()].sort()) {
      const m = ctx.attack.mitigations.get(id)!;
      const record: ResourceRecord = {
        key: `${m.domain}/${m.id}`, upstreamId: m.id, title: m.name, url: m.url, description: m.description.split('\n')[0],
        file: `attack/${m.domain}.json`, meta: { domain: m.domain }, techniques: byMitigation.get(id)!,
      };
      yield record;
    }
  },
};
