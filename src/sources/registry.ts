/**
 * Every source Purplebook knows, in page order within each pillar. Adding a source means one
 * connector module and one line here; no other connector changes.
 */
import { attackDetectionStrategiesSource } from './attack-detection-strategies.js';
import { attackMitigationsSource } from './attack-mitigations.js';
import type { Source } from './types.js';

export const ALL_SOURCES: Source[] = [
  attackMitigationsSource,
  attackDetectionStrategiesSource,
];

export function sourcesByPillar(sources: readonly Source[] = ALL_SOURCES): Source[] {
  const rank = { policy: 0, detection: 1, test: 2 } as const;
  return [...sources].sort((a, b) => rank[a.pillar] - rank[b.pillar] || a.order - b.order || a.name.localeCompare(b.name));
}

export function findSource(name: string, sources: readonly Source[] = ALL_SOURCES): Source | undefined {
  return sources.find((s) => s.name === name);
}
