import { describe, expect, it } from 'vitest';
import { analyzeTelemetry } from '../../src/telemetry/analysis.js';
import { inventory, unmappedNames } from '../../src/telemetry/inventory.js';
import { parseProfile } from '../../src/telemetry/profile.js';
import type { TelemetryRule } from '../../src/telemetry/rules.js';
import type { LogSourceRef } from '../../src/sources/types.js';
import { loadVocabulary } from '../../src/telemetry/vocabulary.js';

const v = loadVocabulary();
let n = 0;
const rule = (source: string, techniques: string[], logSources?: LogSourceRef[]): TelemetryRule => {
  n++;
  return { rowid: n, source, key: `r${n}`, upstreamId: null, title: `rule ${n}`, url: null, techniques, ...(logSources ? { logSources } : {}) };
};
const pc: LogSourceRef = { scheme: 'sigma', product: 'windows', category: 'process_creation' };
const pa: LogSourceRef = { scheme: 'sigma', product: 'windows', category: 'process_access' };

const rules = [
  rule('sigma', ['T1'], [pc]),
  rule('sigma', ['T1', 'T2'], [pc]),
  rule('sigma', ['T3'], [pa]),
  rule('sigma', ['T3'], [pa]),
  rule('splunk', ['T4'], [{ scheme: 'splunk', name: 'Sysmon EventID 10' }, { scheme: 'splunk', name: 'Windows Event Log Security 4663' }]),
  rule('splunk', ['T5'], [{ scheme: 'splunk', name: 'Sysmon EventID 1 AND Sysmon EventID 11' }]),
  rule('elastic', ['T2'], [{ scheme: 'elastic-index', name: 'winlogbeat-*' }]),
  rule('elastic', ['T2'], []),
  rule('eqllib', ['T2']),
  rule('sentinel', ['T6'], [{ scheme: 'sentinel', name: 'SomeNewTable' }]),
  rule('sigma', ['T9'], [pc]),
];
const scope = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6'].map((id) => ({ id, name: `technique ${id}` }));
const analyze = (profile: string) => analyzeTelemetry(v, parseProfile(profile, v), rules, scope);

describe('telemetry analysis on fixtures', () => {
  it('with an empty profile: nothing runs; unknown rules are told apart from blocked ones', () => {
    const a = analyze('[]');
    expect(a.summary).toEqual({ techniques: 6, detectable: 0, rules: 10, runnable: 0, blocked: 6, unknown: 4 });
    const t2 = a.techniques.find((t) => t.id === 'T2')!;
    expect(t2.unknown.map((r) => r.why).sort()).toEqual(['names none', 'names only catch-all log sources', 'not stated']);
    expect(t2.blocked[0]!.needs).toEqual(['sysmon 1 or windows-security 4688']);
  });

  it('ranks single log sources by techniques made detectable, then rules', () => {
    const a = analyze('[]');
    const top = a.next.map((x) => [x.id, x.techniques, x.rules]);
    // Sysmon 1 and Security 4688 each unlock T1, T2 (2 rules); Sysmon 10 unlocks T3 (2 rules) and T4 (1).
    expect(top.slice(0, 3)).toEqual([['windows:sysmon:10', 2, 3], ['windows:security:4688', 2, 2], ['windows:sysmon:1', 2, 2]]);
    expect(a.next.find((x) => x.id === 'windows:security:4663')).toMatchObject({ techniques: 1, rules: 1, profileEntry: 'windows-security: [4663]' });
    // The AND needs two sources: neither alone unlocks T5.
    expect(a.next.some((x) => x.techniqueIds.includes('T5'))).toBe(false);
  });

  it('a Sigma triple runs only the rules of that triple; Sysmon 1 runs the same Sigma rules', () => {
    const exact = analyze('- sigma: {product: windows, category: process_creation}');
    const sysmon = analyze('- sysmon: [1]');
    const runnable = (a: ReturnType<typeof analyze>) => [...new Set(a.techniques.flatMap((t) => t.runnable.map((r) => r.key)))].sort();
    expect(runnable(exact)).toEqual(['r1', 'r2']);
    expect(runnable(sysmon)).toEqual(['r1', 'r2']);
    expect(exact.summary.detectable).toBe(2);
    // With Sysmon 1, the AND rule needs only Sysmon 11 more.
    expect(sysmon.next.find((x) => x.id === 'windows:sysmon:11')).toMatchObject({ techniques: 1, rules: 1, techniqueIds: ['T5'] });
    expect(sysmon.techniques.find((t) => t.id === 'T5')!.blocked[0]!.needs).toEqual(['sysmon 11']);
  });

  it('counts rules per log source per source and lists what the vocabulary lacks', () => {
    const inv = inventory(v, rules);
    const sigma = inv.find((s) => s.source === 'sigma')!;
    expect(sigma.logSources.map((c) => [c.label, c.rules, c.canonical])).toEqual([
      ['sigma windows/process_creation/*', 3, 'windows:process_creation'], ['sigma windows/process_access/*', 2, 'windows:process_access'],
    ]);
    const elastic = inv.find((s) => s.source === 'elastic')!;
    expect(elastic.unknown).toMatchObject({ rules: 2, namesNone: 1, catchAllOnly: 1, share: 1 });
    expect(inv.find((s) => s.source === 'eqllib')!.why).toMatch(/does not extract log sources/);
    expect(unmappedNames(inv)).toEqual([{ source: 'sentinel', scheme: 'sentinel', label: 'sentinel SomeNewTable', rules: 1 }]);
  });
});
