/**
 * Every source Purplebook knows, in page order within each pillar. Adding a source means one
 * connector module and one line here; no other connector changes.
 */
import { attackDetectionStrategiesSource } from './attack-detection-strategies.js';
import { attackMitigationsSource } from './attack-mitigations.js';
import { atomicRedTeamSource } from './atomic-red-team.js';
import { atomicThreatCoverageSource } from './atomic-threat-coverage.js';
import { azureSentinelSource } from './azure-sentinel.js';
import { calderaSource } from './caldera.js';
import { carSource, carUnitTestsSource } from './car.js';
import { ctidSources } from './ctid.js';
import { d3fendSource } from './d3fend.js';
import { elasticSource } from './elastic.js';
import { engageSource } from './engage.js';
import { eqllibSource } from './eqllib.js';
import { preludeSource } from './prelude.js';
import { rtaSource } from './rta.js';
import { scytheSource } from './scythe.js';
import { securityAnalyticsSource } from './security-analytics.js';
import { sentinelAttackSource } from './sentinel-attack.js';
import { sigmaSource } from './sigma.js';
import { splunkSource } from './splunk.js';
import { stratusRedTeamSource } from './stratus-red-team.js';
import { threatHunterPlaybookSource } from './threathunter-playbook.js';
import { threatHuntingSource } from './threathunting.js';
import type { Source } from './types.js';

export const ALL_SOURCES: Source[] = [
  // Policy / Process Controls
  d3fendSource,
  attackMitigationsSource,
  ...ctidSources,
  engageSource,
  // Technical Controls (Detection Rules)
  sigmaSource,
  elasticSource,
  splunkSource,
  carSource,
  eqllibSource,
  attackDetectionStrategiesSource,
  sentinelAttackSource,
  securityAnalyticsSource,
  threatHuntingSource,
  atomicThreatCoverageSource,
  threatHunterPlaybookSource,
  azureSentinelSource,
  // Offensive Security Tests
  atomicRedTeamSource,
  calderaSource,
  preludeSource,
  carUnitTestsSource,
  scytheSource,
  stratusRedTeamSource,
  rtaSource,
];

export function sourcesByPillar(sources: readonly Source[] = ALL_SOURCES): Source[] {
  const rank = { policy: 0, detection: 1, test: 2 } as const;
  return [...sources].sort((a, b) => rank[a.pillar] - rank[b.pillar] || a.order - b.order || a.name.localeCompare(b.name));
}

export function findSource(name: string, sources: readonly Source[] = ALL_SOURCES): Source | undefined {
  return sources.find((s) => s.name === name);
}
