/**
 * Results in the views, on the real knowledge base: coverage --results counts the validated
 * techniques of G0016 exactly as an independent reading of the fixture says (own rules, the
 * latest outcome of each execution, the freshness window, the group's scope from SQL, revoked ids
 * from the raw STIX); the results layer passes the Navigator 4.5 schema; show and plan show them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { rawAttack } from '../attack-raw.js';
import { LAYER_SCHEMA_4_5, semanticErrors, validate } from '../coverage/layer-schema.js';
import { groupScope, openDb } from '../coverage/sql.js';
import { cli, tempDir } from '../helpers.js';
import { atomicCsv, atomicTests, daysAgo, sigmaRule, type AtomicRun } from './fixtures.js';

interface Mark { outcome: string; rule?: string }
interface Case { technique: string; folder?: string; days: number; marks: Mark[] }

const OWN = [
  { file: 'windows/mimikatz.yml', id: '5b4f2c2e-4a45-4f7e-9d7c-6f3d2b7d1a01', title: 'Mimikatz via PowerShell', technique: 'T1059.001' },
  { file: 'windows/schtasks.yml', id: '0c2a6f1e-7f55-4b6d-8a3e-1e8f0d9b2c02', title: 'Scheduled task created', technique: 'T1053.005' },
  { file: 'windows/ingress.yml', id: '9e1d3b7a-2c4f-4a8e-b6d5-3f7a1c0e8d03', title: 'Tool download with certutil', technique: 'T1105' },
];

/** What was run and what the team recorded, in order (the last mark is the current outcome). */
const CASES: Case[] = [
  { technique: 'T1059.001', days: 12, marks: [{ outcome: 'alerted', rule: OWN[0]!.id }] },
  { technique: 'T1047', days: 12, marks: [{ outcome: 'alerted', rule: 'Vendor EDR: WMI reconnaissance' }] },
  { technique: 'T1003.002', days: 12, marks: [{ outcome: 'prevented' }] },
  // Run before ATT&CK 19 revoked T1562.001; today's Atomic file sits under the replacement.
  { technique: 'T1562.001', folder: rawAttack().resolve('T1562.001')[0], days: 12, marks: [{ outcome: 'prevented' }] },
  // Alerted once, then a re-test slipped through: the latest outcome counts.
  { technique: 'T1053.005', days: 12, marks: [{ outcome: 'alerted', rule: OWN[1]!.title }, { outcome: 'not-detected' }] },
  // Not a G0016 technique.
  { technique: 'T1018', days: 12, marks: [{ outcome: 'prevented' }] },
  // Too old to count (stale after the default 180 days).
  { technique: 'T1105', days: 400, marks: [{ outcome: 'alerted', rule: 'windows/ingress.yml' }] },
];

describe('results in coverage, layer, show and plan', () => {
  const kbPath = inject('kbPath');
  const db = openDb(kbPath);
  afterAll(() => db.close());
  const dir = tempDir();
  const results = join(dir, 'results.db');
  const rulesDir = join(dir, 'rules');
  const scope = groupScope(db, 'G0016');
  const tests = CASES.map((c) => atomicTests(c.folder ?? c.technique)[0]!);

  const setup = (() => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const r of OWN) {
        mkdirSync(join(rulesDir, 'windows'), { recursive: true });
        writeFileSync(join(rulesDir, r.file), sigmaRule(r.id, r.title, r.technique));
      }
      const runs: AtomicRun[] = CASES.map((c, i) => ({ technique: c.technique, test: tests[i]!, host: 'WS07', user: 'CORP\\eve', start: daysAgo(c.days, 9, i) }));
      const csv = join(dir, 'log.csv');
      writeFileSync(csv, atomicCsv(runs));
      const imp = cli(['results', 'import', csv, '--results', results, '--db', kbPath, '--exercise', 'Purple week']);
      expect(imp.code, imp.stderr).toBe(0);
      CASES.forEach((c, i) => {
        for (const m of c.marks) {
          const r = cli(['results', 'set', c.technique, tests[i]!.guid, '--outcome', m.outcome, ...(m.rule ? ['--rule', m.rule] : []), '--results', results, '--db', kbPath]);
          expect(r.code, r.stderr).toBe(0);
        }
      });
    };
  })();

  /** The fixture read independently: the ids of G0016 that a fresh, prevented or own-rule-alerted latest outcome validates. */
  function expectedValidated(ownOnly: boolean): string[] {
    const ownNames = new Set(OWN.flatMap((r) => [r.id, r.title, r.file, r.file.split('/').pop()!, r.file.split('/').pop()!.replace(/\.yml$/, '')].map((x) => x.toLowerCase())));
    const ids = new Set<string>();
    for (const c of CASES) {
      const last = c.marks.at(-1)!;
      const own = !!last.rule && (!ownOnly || ownNames.has(last.rule.toLowerCase()));
      if (c.days > 180 || !(last.outcome === 'prevented' || (last.outcome === 'alerted' && own))) continue;
      for (const id of rawAttack().resolve(c.technique)) if (scope.includes(id)) ids.add(id);
    }
    return [...ids].sort();
  }

  it('coverage --group G0016 --rules --results: validated techniques as the fixture says, the summary line, the CSV columns', () => {
    setup();
    const expected = expectedValidated(true);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const r = cli(['coverage', '--group', 'G0016', '--rules', rulesDir, '--results', results, '--format', 'json', '--db', kbPath]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { results: { validated: number; alerts: string; maxAgeDays: number }; techniques: { id: string; results?: { validated: boolean; stale: boolean; best: string | null } }[] };
    expect(report.results).toMatchObject({ validated: expected.length, alerts: 'own', maxAgeDays: 180 });
    expect(report.techniques.filter((t) => t.results?.validated).map((t) => t.id).sort()).toEqual(expected);
    expect(report.techniques.find((t) => t.id === 'T1105')!.results).toMatchObject({ stale: true, best: null, validated: false });
    expect(report.techniques.find((t) => t.id === 'T1053.005')!.results).toMatchObject({ best: 'not-detected', validated: false });

    const md = cli(['coverage', '--group', 'G0016', '--rules', rulesDir, '--results', results, '--db', kbPath]).stdout;
    expect(md).toContain(`**${expected.length} / ${scope.length} techniques validated`);
    // Without own rules, any alert that names its rule counts: the vendor alert on T1047 too.
    const any = JSON.parse(cli(['coverage', '--group', 'G0016', '--results', results, '--format', 'json', '--db', kbPath]).stdout) as typeof report;
    expect(any.results).toMatchObject({ validated: expectedValidated(false).length, alerts: 'any' });
    // A wide window brings the stale alert back.
    const wide = JSON.parse(cli(['coverage', '--group', 'G0016', '--rules', rulesDir, '--results', results, '--max-age', '1000', '--format', 'json', '--db', kbPath]).stdout) as typeof report;
    expect(wide.results.validated).toBe(expected.length + 1);

    const csv = cli(['coverage', '--group', 'G0016', '--rules', rulesDir, '--results', results, '--format', 'csv', '--db', kbPath]).stdout.split('\r\n');
    expect(csv[0]!.endsWith(',result_best,result_executions,result_last_run,result_stale,validated')).toBe(true);
    expect(csv.filter((l) => l.endsWith(',yes')).map((l) => l.split(',')[0]).sort()).toEqual(expected);
  });

  it('layer --measure results: Navigator 4.5 valid; score = best fresh outcome; stale and unrun techniques marked', () => {
    setup();
    const r = cli(['layer', '--measure', 'results', '--results', results, '--group', 'G0016', '--db', kbPath]);
    expect(r.code, r.stderr).toBe(0);
    const layer = JSON.parse(r.stdout) as {
      techniques: { techniqueID: string; score?: number; enabled?: boolean; comment?: string; metadata?: { name: string; value: string }[] }[];
      gradient: { minValue: number; maxValue: number };
    };
    expect([...validate(LAYER_SCHEMA_4_5, layer), ...semanticErrors(layer)]).toEqual([]);
    const byId = new Map(layer.techniques.map((t) => [t.techniqueID, t]));
    // not-run 1 … prevented 7
    expect(byId.get('T1059.001')!.score).toBe(6);
    expect(byId.get('T1003.002')!.score).toBe(7);
    expect(byId.get('T1053.005')!.score).toBe(3);
    expect(byId.get(rawAttack().resolve('T1562.001')[0]!)!.score).toBe(7);
    expect(byId.get('T1105')).toMatchObject({ score: 0, comment: expect.stringContaining('stale') });
    expect(byId.get('T1018')!.enabled).toBe(false);
    expect(layer.techniques.filter((t) => t.enabled !== false).map((t) => t.techniqueID).sort()).toEqual(scope);
    const validated = layer.techniques.filter((t) => t.metadata?.some((m) => m.name === 'validated' && m.value === 'yes')).map((t) => t.techniqueID).sort();
    expect(validated).toEqual(expectedValidated(false).filter((id) => scope.includes(id)));
    expect(cli(['layer', '--measure', 'validation', '--results', results, '--db', kbPath]).code).toBe(2);
    expect(cli(['layer', '--measure', 'results', '--results', join(dir, 'missing.db'), '--db', kbPath]).code).toBe(2);
  });

  it('show --results: the Validation results block on the replacing technique\'s page, escaped in HTML; plan --results lists previous outcomes', () => {
    setup();
    const replacement = rawAttack().resolve('T1562.001')[0]!;
    const md = cli(['show', replacement, '--results', results, '--db', kbPath]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('## Validation results');
    expect(md.stdout).toContain('1 execution recorded; best outcome within 180 days: prevented.');
    expect(md.stdout).toMatch(new RegExp(`\\| Purple week \\| atomic-red-team ${tests[3]!.guid} .* \\| ws07 \\| prevented \\| – \\| \\d+ days ago \\|`));
    const json = JSON.parse(cli(['show', 'T1053.005', '--results', results, '--format', 'json', '--db', kbPath]).stdout) as { validationResults: { best: string; latest: { outcome: string; history: number }[] } };
    expect(json.validationResults).toMatchObject({ best: 'not-detected', latest: [{ outcome: 'not-detected', history: 3 }] });
    expect(cli(['show', 'T1105', '--results', results, '--db', kbPath]).stdout).toContain('all older than 180 days (stale); best outcome then: alerted.');
    expect(cli(['show', 'T1021', '--results', results, '--db', kbPath]).stdout).toContain('No result recorded for this technique.');
    // Without --results, the page is as before.
    expect(cli(['show', 'T1059.001', '--db', kbPath]).stdout).not.toContain('Validation results');

    // Stored text is shown as text in HTML.
    const xss = cli(['results', 'set', 'T1059.001', tests[0]!.guid, '--outcome', 'logged', '--note', '<img src=x onerror=alert(1)>', '--results', results, '--db', kbPath]);
    expect(xss.code, xss.stderr).toBe(0);
    const html = cli(['show', 'T1059.001', '--results', results, '--format', 'html', '--db', kbPath]).stdout;
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img src=x');

    const plan = cli(['plan', '--group', 'G0016', '--platform', 'windows', '--results', results, '--db', kbPath]).stdout;
    // The plan names Atomic tests by number (T1003.002-1); the GUID stays in the JSON and the sheet.
    expect(plan).toMatch(new RegExp(`\`${tests[2]!.folder.replace('.', '\\.')}-${tests[2]!.number}\` .* — previously: prevented \\d{4}-\\d{2}-\\d{2}`));
  });

  it('site --results: every technique page (HTML and markdown) carries the block as of the build', () => {
    setup();
    const out = join(dir, 'site');
    const r = cli(['site', '--out', out, '--results', results, '--db', kbPath, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const replacement = rawAttack().resolve('T1562.001')[0]!;
    const page = readFileSync(join(out, 'techniques', `${replacement}.html`), 'utf8');
    expect(page).toContain('<section class="results" id="validation-results"><h2>Validation results</h2><p>1 execution recorded; best outcome within 180 days: prevented.</p>');
    expect(readFileSync(join(out, 'techniques', 'T1021.md'), 'utf8')).toContain('No result recorded for this technique.');

    // The matrix gains the results measure: each cell's level names the case's latest outcome (stale past 180 days).
    const data = JSON.parse(readFileSync(join(out, 'data', 'matrix-enterprise.js'), 'utf8').replace(/^window\.PURPLEBOOK_MATRIX = /, '').replace(/;\n$/, '')) as {
      measures: { id: string; legend: { label: string }[] }[]; values: Record<string, number[]>;
    };
    const i = data.measures.findIndex((m) => m.id === 'results');
    expect(i).toBeGreaterThan(0);
    const label = (id: string) => data.measures[i]!.legend[data.values[id]![i]!]!.label;
    CASES.forEach((c, n) => {
      // T1059.001 was re-marked by the test above; the others carry the fixture's last mark.
      if (n === 0) return;
      const id = c.folder ?? c.technique;
      expect(label(id), id).toBe(c.days > 180 ? 'stale (every result older than 180 days)' : c.marks.at(-1)!.outcome);
    });
    expect(label('T1021')).toBe('no result');
    expect(readFileSync(join(out, 'enterprise.html'), 'utf8')).toMatch(/data-measures="validation controls detections tests results"/);
    const layer = JSON.parse(readFileSync(join(out, 'layers', 'enterprise-results.json'), 'utf8')) as { gradient: { minValue: number; maxValue: number } };
    expect([...validate(LAYER_SCHEMA_4_5, layer), ...semanticErrors(layer)]).toEqual([]);
    // The start page links the results layer of every domain beside the four fixed ones, and each link leads to a file.
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    const linked = (measure: string) => [...index.matchAll(new RegExp(`href="layers/([a-z]+)-${measure}\\.json" download>${measure}</a>`, 'g'))].map((m) => m[1]!);
    expect(linked('results')).toContain('enterprise');
    expect(linked('results')).toEqual(linked('validation'));
    for (const slug of linked('results')) expect(existsSync(join(out, 'layers', `${slug}-results.json`)), slug).toBe(true);
    expect(cli(['site', '--out', join(dir, 'site2'), '--max-age', '5', '--db', kbPath]).code).toBe(2);
  });
});
