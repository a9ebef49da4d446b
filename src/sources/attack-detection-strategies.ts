/**
 * ATT&CK detection strategies (v18+): `x-mitre-detection-strategy` objects and their analytics per
 * platform, linked to techniques by `detects` (ATT&CK connector data, via ctx.attack).
 */
import { facetNames } from './lib/values.js';
import type { DetectionStrategy } from '../attack/types.js';
import type { LogSourceRef, Source } from './types.js';

/** The log-source references of the strategy's analytics, each (name, channel) once. */
function logSourcesOf(ds: DetectionStrategy): LogSourceRef[] {
  const seen = new Set<string>();
  const out: LogSourceRef[] = [];
  for (const ref of ds.analytics.flatMap((a) => a.logSourceRefs)) {
    const key = `${ref.name}\u0000${ref.channel ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ scheme: 'attack', ...ref });
  }
  return out;
}

export const attackDetectionStrategiesSource: Source = {
  usesAttack: true,
  name: 'attack-detection-strategies',
  title: 'MITRE ATT&CK Detection Strategies',
  pillar: 'detection',
  order: 60,
  homepage: 'https://attack.mitre.org/detectionstrategies/',
  folder: 'attack',
  upstream: null,
  license: 'ATT&CK Terms of Use',
  resourceKind: 'ATT&CK detection strategy with its analytics',
  mapsVia: '`detects` relationships in the STIX bundle (ATT&CK v18 and later)',
  summaryFields: ['platforms', 'analytics'],
  detectionKind: { kind: 'guidance', why: 'a detection strategy and its analytics say what to watch (log sources, mutable elements) without a query to run' },
  *load(ctx) {
    const sorted = [...ctx.attack.detectionStrategies].sort((a, b) => a.id.localeCompare(b.id));
    for (const ds of sorted) {
      yield {
        key: `${ds.domain}/${ds.id}`, upstreamId: ds.id, title: ds.name, url: ds.url, deprecated: ds.deprecated || ds.revoked,
        file: `attack/${ds.domain}.json`,
        meta: {
          domain: ds.domain,
          platforms: [...new Set(ds.analytics.flatMap((a) => a.platforms))].sort(),
          analytics: ds.analytics.length,
          analyticList: ds.analytics.map((a) => ({ id: a.id, platforms: a.platforms, url: a.url, description: a.description.slice(0, 600), logSources: a.logSourceRefs.slice(0, 10).map((l) => (l.channel ? `${l.name}: ${l.channel}` : l.name)) })),
          // `DC0032 Process Creation`: the kinds of telemetry the analytics read, each once.
          dataComponents: [...new Set(ds.analytics.flatMap((a) => a.dataComponents.map((d) => `${d.id} ${d.name}`)))].sort(),
        },
        facets: { platforms: facetNames(ds.analytics.flatMap((a) => a.platforms)), logSources: logSourcesOf(ds) },
        techniques: ds.techniques.map((id) => ({ id, relation: 'detects', attackVersion: ctx.attack.version })),
      };
    }
  },
};
