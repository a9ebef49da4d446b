/**
 * The telemetry commands on the real shared data, against independent readings: the Sigma
 * snapshot walked here with `yaml`, ATT&CK's enterprise bundle read as plain JSON.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cli, DATA_DIR, tempDir } from '../helpers.js';
import { rawAttack } from '../attack-raw.js';

const SIGMA = join(DATA_DIR, 'sigma');

interface SigmaFile {
  key: string;
  triple: [string | null, string | null, string | null];
  tags: string[];
}

/** Every non-deprecated rule of the snapshot's `rules*` collections, read independently. */
function sigmaRules(): SigmaFile[] {
  const out: SigmaFile[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.yml')) {
        const key = relative(SIGMA, full).split('\\').join('/');
        for (const doc of parseAllDocuments(readFileSync(full, 'utf8'))) {
          const d = doc.toJS() as Record<string, unknown> | null;
          if (!d || typeof d !== 'object') continue;
          if ((typeof d.status === 'string' && d.status.toLowerCase() === 'deprecated') || key.split('/').includes('deprecated')) continue;
          const ls = (d.logsource ?? {}) as Record<string, unknown>;
          const f = (k: string) => (typeof ls[k] === 'string' ? ls[k] : null);
          out.push({ key, triple: [f('product'), f('category'), f('service')], tags: Array.isArray(d.tags) ? d.tags.map(String) : [] });
        }
      }
    }
  };
  for (const e of readdirSync(SIGMA, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith('rules')) walk(join(SIGMA, e.name));
  return out;
}

/** Active enterprise technique ids, from the bundle as plain JSON. */
function activeEnterprise(): Set<string> {
  const bundle = JSON.parse(readFileSync(join(DATA_DIR, 'attack', 'enterprise-attack.json'), 'utf8')) as { objects: Record<string, unknown>[] };
  const ids = new Set<string>();
  for (const o of bundle.objects) {
    if (o.type !== 'attack-pattern' || o.revoked || o.x_mitre_deprecated) continue;
    const id = (o.external_references as { source_name: string; external_id: string }[]).find((r) => r.source_name === 'mitre-attack')?.external_id;
    if (id) ids.add(id);
  }
  return ids;
}

describe('telemetry on the real data', () => {
  const kbPath = inject('kbPath');
  const run = (...args: string[]) => cli([...args, '--db', kbPath]);
  const dir = tempDir();
  const profile = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const rules = sigmaRules();

  it('logsources --source sigma --format json: rules per (product, category, service) equal a count over the snapshot', () => {
    const expected = new Map<string, number>();
    for (const r of rules) expected.set(JSON.stringify(r.triple), (expected.get(JSON.stringify(r.triple)) ?? 0) + 1);
    const r = run('logsources', '--source', 'sigma', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { sources: { source: string; rules: number; unknown: { rules: number }; why: string; logSources: { scheme: string; product?: string; category?: string; service?: string; rules: number }[] }[] };
    expect(json.sources.map((s) => s.source)).toEqual(['sigma']);
    const sigma = json.sources[0]!;
    const got = new Map(sigma.logSources.map((c) => [JSON.stringify([c.product ?? null, c.category ?? null, c.service ?? null]), c.rules]));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
    expect(sigma.rules).toBe(rules.length);
    expect(expected.get(JSON.stringify(['windows', 'process_creation', null]))).toBeGreaterThan(1000);
  });

  it('every source prints its share of unknown telemetry and why', () => {
    const r = run('logsources');
    expect(r.code).toBe(0);
    const json = JSON.parse(run('logsources', '--json').stdout) as { sources: { source: string; rules: number; unknown: { rules: number; share: number }; why: string }[] };
    expect(json.sources.length).toBeGreaterThan(5);
    for (const s of json.sources) {
      expect(r.stdout).toContain(`| ${s.source.replace(/_/g, '\\_')} | ${s.rules} | ${s.unknown.rules} (`);
      expect(s.why.length).toBeGreaterThan(5);
    }
  });

  it('a profile of one exact Sigma triple runs exactly the Sigma rules of that triple; Sysmon 1 runs the same Sigma set', () => {
    const active = activeEnterprise();
    const attack = rawAttack();
    const mapped = (r: SigmaFile) => r.tags.some((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t) && attack.resolve(t.slice(7).toUpperCase()).some((id) => active.has(id)));
    const expected = rules.filter((r) => r.triple[0] === 'windows' && r.triple[1] === 'process_creation' && r.triple[2] === null && mapped(r)).map((r) => r.key).sort();
    const sigmaRunnable = (file: string) => {
      const r = run('telemetry', '--profile', file, '--format', 'json');
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as { techniques: { runnable: { source: string; key: string }[] }[] };
      return [...new Set(json.techniques.flatMap((t) => t.runnable.filter((x) => x.source === 'sigma').map((x) => x.key)))].sort();
    };
    const exact = sigmaRunnable(profile('exact.yaml', '- sigma: {product: windows, category: process_creation}\n'));
    expect(exact.length).toBeGreaterThan(1000);
    expect(exact).toEqual(expected);
    expect(sigmaRunnable(profile('sysmon1.yaml', '- sysmon: [1]\n'))).toEqual(expected);
  });

  it('for G0016 with an empty profile, Windows process creation comes first in the next log sources', () => {
    const r = run('telemetry', '--group', 'G0016', '--profile', profile('empty.yaml', '[]\n'), '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { summary: { detectable: number }; next: { id: string; provides: string[]; techniques: number; rules: number }[] };
    expect(json.summary.detectable).toBe(0);
    // Product feeds (an EDR's whole index) come first: Elastic rules list them beside Sysmon's whole channel. Among
    // the Windows event logs, process creation leads; it is the event that unlocks the most rules of all.
    const windowsLogs = json.next.filter((n) => n.id.startsWith('windows:'));
    expect(['windows:sysmon:1', 'windows:security:4688']).toContain(windowsLogs[0]!.id);
    expect(windowsLogs[0]!.provides).toContain('windows:process_creation');
    const mostRules = [...json.next].sort((a, b) => b.rules - a.rules)[0]!;
    expect(['windows:sysmon:1', 'windows:security:4688']).toContain(mostRules.id);
    // The first event-level source is a process-creation one (an EDR's process events or Sysmon 1 / Security 4688).
    const firstEvent = json.next.find((n) => n.provides.length)!;
    expect(firstEvent.provides.some((k) => k.endsWith(':process_creation'))).toBe(true);
    const md = run('telemetry', '--group', 'G0016', '--profile', join(dir, 'empty.yaml'));
    expect(md.stdout).toMatch(/\| \d+ \| sysmon 1 \(Process creation\) \| `sysmon: \[1\]` \| \+\d+ \| \+\d+ \| windows:process\\_creation/);
  });

  it('profile mistakes are one line and exit 2; the built CLI finds its vocabulary', () => {
    const bad = run('telemetry', '--profile', profile('typo.yaml', '- sysmn: [1]\n'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^purplebook: --profile .*typo\.yaml: entry 1: unknown log source "sysmn"; closest known: sysmon\n$/);
    expect(run('telemetry', '--profile', join(dir, 'missing.yaml')).stderr).toMatch(/no such file/);
    expect(run('telemetry', '--profile', join(dir, 'missing.yaml')).code).toBe(2);
    expect(run('telemetry', '--profile', dir).code).toBe(2);
    expect(run('telemetry').code).toBe(2);
    expect(run('logsources', '--source', 'sigmaa').stderr).toMatch(/did you mean sigma/);
    expect(run('layer', '--measure', 'telemetry').stderr).toMatch(/needs --profile/);
  });

  it('coverage, plan and layer take --profile', () => {
    const p = profile('sysmon.yaml', '- sysmon: [1]\n');
    const cov = JSON.parse(run('coverage', '--group', 'G0016', '--profile', p, '--format', 'json').stdout) as { telemetry: { detectable: number }; techniques: { id: string; adoptableDetections: number; telemetry: { runnable: number } }[] };
    const tel = JSON.parse(run('telemetry', '--group', 'G0016', '--profile', p, '--format', 'json').stdout) as { summary: { detectable: number }; techniques: { id: string; runnable: unknown[] }[] };
    expect(cov.telemetry.detectable).toBe(tel.summary.detectable);
    for (const t of tel.techniques) expect(cov.techniques.find((x) => x.id === t.id)!.adoptableDetections).toBe(t.runnable.length);
    const plan = JSON.parse(run('plan', '--group', 'G0016', '--profile', p, '--format', 'json').stdout) as { tactics: { techniques: { detections: { kind: string; needs?: string }[] }[] }[] };
    const public_ = plan.tactics.flatMap((t) => t.techniques.flatMap((x) => x.detections)).filter((d) => d.kind === 'public');
    expect(public_.some((d) => !d.needs)).toBe(true);
    expect(public_.some((d) => d.needs?.startsWith('needs: '))).toBe(true);
    // Within a technique, runnable candidates come before those marked.
    for (const t of plan.tactics.flatMap((x) => x.techniques)) {
      const marks = t.detections.map((d) => (d.needs ? 1 : 0));
      expect(marks).toEqual([...marks].sort());
    }
    const layer = JSON.parse(run('layer', '--measure', 'telemetry', '--group', 'G0016', '--profile', p).stdout) as { techniques: { techniqueID: string; score: number }[] };
    for (const t of tel.techniques) expect(layer.techniques.find((x) => x.techniqueID === t.id)!.score).toBe(t.runnable.length);
  });
});
