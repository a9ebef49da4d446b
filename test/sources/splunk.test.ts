import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlLib } from 'yaml';
import { splunkList, splunkResearchUrl, splunkSource, splunkStorySlug } from '../../src/sources/splunk.js';
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

const REAL = 'splunk/detections/endpoint/any_powershell_downloadfile.yml';
const REAL_DEPRECATED = 'splunk/detections/deprecated/abnormally_high_aws_instances_launched_by_user.yml';
/** A continuation line at column 0 inside a quoted scalar: PyYAML accepts it, YAML 1.2 does not. */
const REAL_UNINDENTED = 'splunk/detections/deprecated/okta_threatinsight_suspected_passwordspray_attack.yml';
const REAL_STORY = 'splunk/stories/malicious_powershell.yml';
const REAL_BAD_STORY = 'splunk/stories/metasploit.yml';

const detection = (name: string, extra: string[] = [], tags: string[] = ['  mitre_attack_id:', '  - T1059']) => [
  `name: ${name}`,
  'id: 00000000-0000-0000-0000-000000000001',
  'version: 1',
  "date: '2024-01-02'",
  'author: Someone, Splunk',
  'status: production',
  'type: TTP',
  'description: Something suspicious.',
  'data_source:',
  '- Sysmon EventID 1',
  "search: '| tstats count from datamodel=Endpoint.Processes'",
  ...extra,
  'tags:',
  '  analytic_story:',
  '  - Malicious PowerShell',
  '  security_domain: endpoint',
  ...tags,
].join('\n');

describe('splunk fixtures', () => {
  it('loads good detections and reports every malformed file by name without throwing', async () => {
    const dir = fixtureDir({
      [REAL]: readFileSync(join(DATA_DIR, REAL)),
      [REAL_DEPRECATED]: readFileSync(join(DATA_DIR, REAL_DEPRECATED)),
      [REAL_UNINDENTED]: readFileSync(join(DATA_DIR, REAL_UNINDENTED)),
      [REAL_STORY]: readFileSync(join(DATA_DIR, REAL_STORY)),
      [REAL_BAD_STORY]: readFileSync(join(DATA_DIR, REAL_BAD_STORY)),
      'splunk/stories/masquerading___rename_system_utilities.yml': 'name: Masquerading - Rename System Utilities\n',
      'splunk/stories/nameless.yml': 'description: no name\n',
      'splunk/detections/cloud/ssh.yml': detection('SSH', [], [
        '  analytic_story:', '  - Metasploit', '  - Masquerading - Rename System Utilities', '  - Story Without File',
        '  mitre_attack_id:', '  - T1021.004', '  - T1021.004', '  - t1021.004', '  - T1021', '  risk_score: 12',
      ]).replace('  analytic_story:\n  - Malicious PowerShell\n', '').replace('data_source:\n- Sysmon EventID 1', 'data_sources:\n- Linux Secure'),
      'splunk/detections/endpoint/retired.yml': detection('Retired').replace('status: production', 'status: deprecated'),
      'splunk/detections/endpoint/no_techniques.yml': detection('No techniques', [], ['  mitre_attack_id:']),
      'splunk/detections/bad/syntax.yml': 'name: x\n  id: [',
      'splunk/detections/bad/duplicate_key.yml': 'name: x\nname: y\n',
      'splunk/detections/bad/mitre_string.yml': detection('Mitre string', [], ['  mitre_attack_id: T1059']),
      'splunk/detections/bad/mitre_mixed.yml': detection('Mitre mixed', [], ['  mitre_attack_id:', '  - T1105', '  - 5', '  - {a: 1}']),
      'splunk/detections/bad/tags_list.yml': detection('Tags list', [], []).replace(/tags:\n[\s\S]*$/, 'tags:\n- T1059\n'),
      'splunk/detections/bad/wrong_types.yml': detection('Wrong types').replace("id: 00000000-0000-0000-0000-000000000001", 'id: 12').replace('status: production', 'status: [a]'),
      'splunk/detections/bad/ten_thousand.yml': detection('Ten thousand', [], ['  mitre_attack_id:', ...Array.from({ length: 10_000 }, (_, i) => `  - T${String(i).padStart(4, '0')}`)]),
      'splunk/detections/bad/no_name.yml': 'id: x\ntags: {}\n',
      'splunk/detections/bad/scalar.yml': 'just a string\n',
      'splunk/detections/bad/two_docs.yml': 'name: a\n---\nname: b\n',
      'splunk/detections/bad/empty.yml': '',
      'splunk/detections/bad/not_utf8.yml': Buffer.concat([Buffer.from('name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      'splunk/detections/bad/deep.yml': `name: deep\nx: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      'splunk/detections/bad/alias_bomb.yml': ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`), 'name: bomb'].join('\n'),
      // Not detection files.
      'splunk/detections/endpoint/readme.md': '# notes',
      'splunk/macros/x.yml': detection('Macro, not a detection'),
      'splunk/stories/sub/nested.yml': 'name: [',
    });
    const { records, warnings } = await collectSource(splunkSource, { dataDir: dir, attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual([
      'detections/bad/mitre_mixed.yml',
      'detections/bad/mitre_string.yml',
      'detections/bad/tags_list.yml',
      'detections/bad/ten_thousand.yml',
      'detections/bad/wrong_types.yml',
      'detections/cloud/ssh.yml',
      'detections/deprecated/abnormally_high_aws_instances_launched_by_user.yml',
      'detections/endpoint/any_powershell_downloadfile.yml',
      'detections/endpoint/no_techniques.yml',
      'detections/endpoint/retired.yml',
    ]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    const warned = (file: string) => warnings.filter((w) => w.file === `splunk/${file}`).map((w) => w.reason);

    const real = byKey.get('detections/endpoint/any_powershell_downloadfile.yml')!;
    expect(real).toEqual({
      key: 'detections/endpoint/any_powershell_downloadfile.yml',
      upstreamId: '1a93b7ea-7af7-11eb-adb5-acde48001122',
      title: 'Any Powershell DownloadFile',
      url: 'https://github.com/splunk/security_content/blob/develop/detections/endpoint/any_powershell_downloadfile.yml',
      breadcrumb: ['endpoint'],
      description: expect.stringMatching(/^The following analytic detects the use of PowerShell's `DownloadFile` method/),
      deprecated: false,
      file: REAL,
      meta: {
        id: '1a93b7ea-7af7-11eb-adb5-acde48001122', type: 'TTP', status: 'production', securityDomain: 'endpoint',
        dataSource: ['Sysmon EventID 1', 'Windows Event Log Security 4688', 'CrowdStrike ProcessRollup2'], language: 'SPL', riskScore: 56,
        analyticStories: ['DarkCrystal RAT', 'Ingress Tool Transfer', 'Hermetic Wiper', 'Malicious PowerShell', 'Data Destruction', 'Log4Shell CVE-2021-44228', 'Phemedrone Stealer'],
        // Only the story whose file is in the fixture gets a link.
        storyUrls: { 'Malicious PowerShell': 'https://research.splunk.com/stories/malicious_powershell/' },
        cve: ['CVE-2021-44228'], author: 'Michael Haag, Splunk', date: '2024-09-30', version: 6,
        researchUrl: 'https://research.splunk.com/endpoint/1a93b7ea-7af7-11eb-adb5-acde48001122/',
      },
      facets: {
        logSources: ['Sysmon EventID 1', 'Windows Event Log Security 4688', 'CrowdStrike ProcessRollup2'].map((name) => ({ scheme: 'splunk', name })),
      },
      logic: { language: 'spl', text: (parseYamlLib(readFileSync(join(DATA_DIR, REAL), 'utf8')) as { search: string }).search.trimEnd() },
      techniques: [{ id: 'T1059' }, { id: 'T1059.001' }, { id: 'T1105' }],
    });

    const old = byKey.get('detections/deprecated/abnormally_high_aws_instances_launched_by_user.yml')!;
    expect(old).toMatchObject({ deprecated: true, breadcrumb: ['deprecated'], meta: { status: 'deprecated' }, techniques: [{ id: 'T1078.004' }] });
    expect(old.meta!.researchUrl).toMatch(/^https:\/\/research\.splunk\.com\/deprecated\/[0-9a-f-]{36}\/$/);
    expect(byKey.get('detections/endpoint/retired.yml')).toMatchObject({ deprecated: true, breadcrumb: ['endpoint'] });
    expect(records.filter((r) => r.deprecated).map((r) => r.key)).toEqual([old.key, 'detections/endpoint/retired.yml']);

    // Repeats (in any case) count once; `data_sources` is read; story links come from the file
    // name even when the story file does not parse, and from the name's slug.
    const ssh = byKey.get('detections/cloud/ssh.yml')!;
    expect(ssh.techniques).toEqual([{ id: 'T1021.004' }, { id: 'T1021' }]);
    expect(ssh.meta).toMatchObject({
      dataSource: ['Linux Secure'], riskScore: 12, researchUrl: 'https://research.splunk.com/cloud/00000000-0000-0000-0000-000000000001/',
      analyticStories: ['Metasploit', 'Masquerading - Rename System Utilities', 'Story Without File'],
      storyUrls: {
        Metasploit: 'https://research.splunk.com/stories/metasploit/',
        'Masquerading - Rename System Utilities': 'https://research.splunk.com/stories/masquerading___rename_system_utilities/',
      },
    });
    expect(warned('detections/cloud/ssh.yml')).toEqual([]);
    expect(byKey.get('detections/endpoint/no_techniques.yml')!.techniques).toEqual([]);
    expect(warned('detections/endpoint/no_techniques.yml')).toEqual([]);

    expect(byKey.get('detections/bad/mitre_string.yml')!.techniques).toEqual([]);
    expect(warned('detections/bad/mitre_string.yml')).toEqual(['`tags.mitre_attack_id` is a string, not a list: ignored']);
    expect(byKey.get('detections/bad/mitre_mixed.yml')!.techniques).toEqual([{ id: 'T1105' }]);
    expect(warned('detections/bad/mitre_mixed.yml')).toEqual(['`tags.mitre_attack_id` holds entries that are not strings: they are ignored']);
    expect(byKey.get('detections/bad/tags_list.yml')!.techniques).toEqual([]);
    expect(warned('detections/bad/tags_list.yml')).toEqual(['`tags` is a list, not a mapping: ignored']);
    const wrong = byKey.get('detections/bad/wrong_types.yml')!;
    expect([wrong.upstreamId, wrong.meta!.id, wrong.meta!.status, wrong.deprecated]).toEqual([undefined, undefined, undefined, false]);
    expect(warned('detections/bad/wrong_types.yml')).toEqual(['`id` is a number, not a string: ignored', '`status` is a list, not a string: ignored']);
    expect(byKey.get('detections/bad/ten_thousand.yml')!.techniques).toHaveLength(1000);
    expect(warned('detections/bad/ten_thousand.yml')).toEqual(['10000 technique references, over the limit of 1000: the first 1000 kept']);

    for (const f of ['syntax', 'duplicate_key', 'two_docs', 'alias_bomb']) {
      expect([f, warned(`detections/bad/${f}.yml`).length, warned(`detections/bad/${f}.yml`)[0]]).toEqual([f, 1, expect.stringMatching(/^YAML: /)]);
    }
    expect(warned('detections/bad/no_name.yml')).toEqual(['not a detection: no `name`']);
    expect(warned('detections/bad/scalar.yml')).toEqual(['not a detection: the document is a string']);
    expect(warned('detections/bad/empty.yml')).toEqual(['empty file']);
    expect(warned('detections/bad/not_utf8.yml')).toEqual(['not valid UTF-8']);
    expect(warned('detections/bad/deep.yml')).toEqual(['YAML: nested deeper than 64 levels']);
    expect(warned(REAL_UNINDENTED.slice('splunk/'.length))).toEqual([expect.stringMatching(/^YAML: deficient indentation at line \d+$/)]);
    expect(warned('stories/metasploit.yml')).toEqual([expect.stringMatching(/^YAML: deficient indentation at line \d+$/)]);
    expect(warned('stories/nameless.yml')).toEqual(['not an analytic story: no `name`']);
    expect([...new Set(warnings.map((w) => w.file))].sort()).toEqual([
      ...['alias_bomb', 'deep', 'duplicate_key', 'empty', 'mitre_mixed', 'mitre_string', 'no_name', 'not_utf8', 'scalar', 'syntax', 'tags_list', 'ten_thousand', 'two_docs', 'wrong_types']
        .map((n) => `splunk/detections/bad/${n}.yml`),
      REAL_UNINDENTED, REAL_BAD_STORY, 'splunk/stories/nameless.yml',
    ]);
  });

  it('helpers', () => {
    expect(splunkStorySlug('Masquerading - Rename System Utilities')).toBe('masquerading___rename_system_utilities');
    expect(splunkStorySlug('Log4Shell CVE-2021-44228')).toBe('log4shell_cve_2021_44228');
    expect(splunkResearchUrl('detections/web/x.yml', 'abc-1')).toBe('https://research.splunk.com/web/abc-1/');
    expect(splunkResearchUrl('detections/x.yml', 'abc-1')).toBeUndefined();
    expect(splunkResearchUrl('detections/web/x.yml', '../../evil')).toBeUndefined();
    const problems: string[] = [];
    expect(splunkList(null, 'f', (p) => problems.push(p))).toEqual([]);
    expect(splunkList([' a ', '', 3], 'f', (p) => problems.push(p))).toEqual(['a']);
    expect(splunkList({ a: 1 }, 'f', (p) => problems.push(p))).toEqual([]);
    expect(problems).toEqual(['`f` holds entries that are not strings: they are ignored', '`f` is a mapping, not a list: ignored']);
  });
});

describe('splunk on the shared data', () => {
  const FIXED = ['T1059.001', 'T1021.004', 'T1003.001', 'T1566.001', 'T1078', 'T1055', 'T1218.011', 'T1105', 'T1053.005', 'T1112', 'T1190', 'T1548.002'];
  type Any = Record<string, unknown>;

  /** Independent reading with the yaml library and a traversal of its own. */
  function independent() {
    const root = join(DATA_DIR, 'splunk');
    const files = walkFiles(root, (name, rel) => rel.startsWith('detections/') && name.endsWith('.yml'));
    const exp = new Map<string, number>();
    const failed: string[] = [];
    let resources = 0;
    let pairs = 0;
    let deprecated = 0;
    let withStoryPage = 0;
    const storyStems = new Set(walkFiles(join(root, 'stories'), (name) => name.endsWith('.yml')).map((f) => f.replace(/\.yml$/, '')));
    for (const f of files) {
      let doc: Any;
      try {
        doc = parseYamlLib(readFileSync(join(root, f), 'utf8')) as Any;
      } catch {
        failed.push(f);
        continue;
      }
      resources++;
      if (f.startsWith('detections/deprecated/') || doc.status === 'deprecated') deprecated++;
      const stories = ((doc.tags as Any).analytic_story ?? []) as string[];
      if (stories.some((s) => storyStems.has(s.toLowerCase().replace(/[^a-z0-9]/g, '_')))) withStoryPage++;
      const raw = ((doc.tags as Any).mitre_attack_id ?? []) as string[];
      const ids = new Set(raw.flatMap((id) => rawAttack().resolve(id)));
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    return { exp, files: files.length, failed, resources, pairs, deprecated, withStoryPage };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const ind = independent();
    const { records, warnings } = await collectSource(splunkSource, { dataDir: DATA_DIR, attack: a });
    // Four upstream files continue a quoted scalar at column 0 (valid for PyYAML, not YAML 1.2).
    expect(ind.failed).toEqual(['detections/deprecated/okta_threatinsight_login_failure_with_high_unknown_users.yml', 'detections/deprecated/okta_threatinsight_suspected_passwordspray_attack.yml']);
    expect(warnings.map((w) => w.file).sort()).toEqual([
      ...ind.failed.map((f) => `splunk/${f}`), 'splunk/stories/metasploit.yml', 'splunk/stories/spring4shell_cve_2022_22965.yml',
    ]);
    expect(records.length).toBe(ind.resources);
    expect(records.filter((r) => r.deprecated)).toHaveLength(ind.deprecated);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(ind.pairs);
    expect(got.size).toBe(ind.exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, ind.exp.get(t) ?? 0]);
    // Computed once by a separate script (Python PyYAML) over the raw files.
    // The per-technique numbers depend on the ATT&CK release's revocations: compared above, not pinned.
    expect([ind.files, ind.resources, ind.deprecated]).toEqual([1711, 1709, 96]);
    // Every detection with an analytic story that has a story file links to it.
    expect(records.filter((r) => r.meta?.storyUrls)).toHaveLength(ind.withStoryPage);
    expect(records.every((r) => r.meta?.language === 'SPL' && typeof r.meta?.researchUrl === 'string')).toBe(true);
  });
});
