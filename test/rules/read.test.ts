import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOwnRuleText, readOwnRules } from '../../src/rules/read.js';
import { detectFormat } from '../../src/rules/formats/detect.js';
import type { OwnRule, OwnRuleSet } from '../../src/rules/types.js';
import { DATA_DIR, fixtureDir, tempDir } from '../helpers.js';

const real = (rel: string) => readFileSync(join(DATA_DIR, rel), 'utf8');

const SIGMA_ENCODE = 'sigma/rules/windows/process_creation/proc_creation_win_powershell_encode.yml';
const SIGMA_SECEDIT = 'sigma/rules/windows/process_creation/proc_creation_win_secedit_execution.yml';
const ELASTIC_HACKTOOL = 'elastic/rules/windows/execution_posh_hacktool_functions.toml';
const ELASTIC_DEPRECATED = 'elastic/rules/_deprecated/apm_null_user_agent.toml';
const ESCU_REG = 'splunk/detections/endpoint/attempted_credential_dump_from_registry_via_reg_exe.yml';
const ESCU_DEPRECATED = 'splunk/detections/deprecated/abnormally_high_aws_instances_launched_by_user.yml';
const THREATHUNTING = 'threathunting/default/savedsearches.conf';

/** The first stanza of the real ThreatHunting app: `[[T1101] Security Support Provider]`. */
const firstHunt = () => real(THREATHUNTING).split(/\r?\n\r?\n/)[0]!;

const ES_STANZAS = [
  '[default]',
  'dispatch.earliest_time = -24h',
  '',
  '[Threat - Encoded PowerShell - Rule]',
  'action.correlationsearch.enabled = 1',
  'action.correlationsearch.label = Encoded PowerShell',
  'action.correlationsearch.annotations = {"cis20": ["CIS 8"], "mitre_attack": ["T1059.001", "T1027"], "kill_chain_phases": ["Exploitation"]}',
  'search = | tstats count from datamodel=Endpoint.Processes where Processes.process="*-enc*" by Processes.dest',
  'disabled = 1',
  '',
  '[ESCU - Deprecated - Old Brute Force - Rule]',
  'action.escu.mappings = {"cis20": ["CIS 10"], "mitre_attack": ["T1110"], "nist": ["DE.AE"]}',
  'description = WARNING, this detection has been marked deprecated by the Splunk Threat Research team.',
  'search = `okta` outcome.result=FAILURE | stats count by user',
  '',
  '[Broken annotations]',
  'action.correlationsearch.annotations = {"mitre_attack": ["T1003"',
  'search = index=main',
  '',
  '[Hand-written single string]',
  'action.correlationsearch.annotations = {"mitre_attack": "T1021.001, T1021.002"}',
  'search = index=main RDP',
  '',
  '[Plain report]',
  'search = index=_internal | stats count',
  '',
  '[props-like stanza without a search]',
  'TIME_FORMAT = %s',
].join('\n');

const threat = (tactic: string, techniques: [string, string[]][]) => ({
  framework: 'MITRE ATT&CK',
  tactic: { id: tactic, name: tactic, reference: `https://attack.mitre.org/tactics/${tactic}/` },
  technique: techniques.map(([id, subs]) => ({
    id, name: id, reference: `https://attack.mitre.org/techniques/${id}/`,
    subtechnique: subs.map((s) => ({ id: s, name: s, reference: `https://attack.mitre.org/techniques/${s.replace('.', '/')}/` })),
  })),
});

/** A detection-engine rules export as documented: rules, an exception list and its item, then the summary. */
const KIBANA_EXPORT = [
  {
    id: '6f1a3d6e-0001', rule_id: 'c1a0-our-lsass', name: 'Our LSASS access', type: 'eql', enabled: true, language: 'eql',
    query: 'process where true', risk_score: 73, severity: 'high', version: 3, tags: ['own'],
    threat: [threat('TA0006', [['T1003', ['T1003.001']]])], exceptions_list: [],
  },
  {
    id: '6f1a3d6e-0002', rule_id: 'c1a0-our-rdp', name: 'Our RDP from the internet', type: 'query', enabled: false,
    query: 'destination.port:3389', risk_score: 21, severity: 'low', version: 1,
    threat: [threat('TA0008', [['T1021', ['T1021.001']]]), { framework: 'Other', technique: [{ id: 'X1' }] }],
  },
  { id: '6f1a3d6e-0003', rule_id: 'c1a0-no-threat', name: 'Our unmapped rule', type: 'query', enabled: true, threat: [] },
  { list_id: 'endpoint_list', name: 'Endpoint Security Exception List', type: 'endpoint', namespace_type: 'agnostic', description: 'x' },
  { item_id: 'i1', list_id: 'endpoint_list', name: 'exception', type: 'simple', entries: [], namespace_type: 'agnostic' },
  {
    exported_count: 5, exported_rules_count: 3, missing_rules: [], missing_rules_count: 0,
    exported_exception_list_count: 1, exported_exception_list_item_count: 1, missing_exception_list_item_count: 0,
  },
].map((o) => JSON.stringify(o)).join('\n');

/** A saved-objects export: one alerting rule object among objects that are not rules. */
const KIBANA_SAVED_OBJECTS = [
  { id: 'dash-1', type: 'dashboard', attributes: { title: 'SOC overview', panelsJSON: '[]' }, references: [] },
  {
    id: '9e2b-saved-object', type: 'alert', references: [], migrationVersion: { alert: '8.0.0' },
    attributes: {
      name: 'Scheduled task created', alertTypeId: 'siem.queryRule', consumer: 'siem', enabled: true, schedule: { interval: '5m' },
      params: { ruleId: 'our-schtasks', type: 'query', query: 'process.name:schtasks.exe', threat: [threat('TA0003', [['T1053', ['T1053.005']]])] },
    },
  },
  { id: 'ip-1', type: 'index-pattern', attributes: { title: 'logs-*' }, references: [] },
].map((o) => JSON.stringify(o)).join('\n');

const SIGMA_COLLECTION = `action: global
title: Our WMI execution
logsource:
    product: windows
    category: process_creation
tags:
    - attack.execution
    - attack.t1047
---
id: 11111111-aaaa-4bbb-8ccc-000000000001
detection:
    selection:
        Image|endswith: '\\wmic.exe'
    condition: selection
---
id: 11111111-aaaa-4bbb-8ccc-000000000002
tags:
    - attack.t1047
    - attack.T1059.001
detection:
    selection:
        Image|endswith: '\\wmiprvse.exe'
    condition: selection
`;

const SIGMA_UNMAPPED = `title: Our rule without an ATT&CK tag
id: 22222222-aaaa-4bbb-8ccc-000000000000
status: experimental
tags:
    - detection.threat-hunting
    - attack.execution
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: '/curl'
    condition: selection
`;

const SIGMA_CRLF = `\uFEFFtitle: CRLF and BOM rule\r\nid: 33333333-aaaa-4bbb-8ccc-000000000000\r\nstatus: deprecated\r\ntags:\r\n    - attack.t1218.011\r\nlogsource:\r\n    product: windows\r\n    category: process_creation\r\ndetection:\r\n    sel:\r\n        Image|endswith: '\\rundll32.exe'\r\n    condition: sel\r\n`;

const CONF_CRLF = '\uFEFF[CRLF search]\r\naction.correlationsearch.annotations = {"mitre_attack": ["T1569.002"]}\r\nsearch = index=main \\\r\n| stats count\r\n';

/** The YAML is broken (an unclosed flow sequence) but it is plainly a Sigma rule. */
const SIGMA_BROKEN = `title: Broken rule
tags: [attack.t1059
logsource:
    product: windows
detection:
    sel:
        Image: x
    condition: sel
`;

const README = `# Our detection rules

This repository holds our rules. A Sigma rule looks like this:

\`\`\`yaml
title: Example
logsource:
    product: windows
detection:
    sel:
        Image: x
    condition: sel
tags:
    - attack.t1059
\`\`\`

And a savedsearches.conf stanza:

[Example]
search = index=main
`;

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.from('IHDR title: x\ndetection: y\nlogsource: z\n')]);

function fixtureFiles(): Record<string, string | Buffer> {
  return {
    'sigma/powershell_encode.yml': real(SIGMA_ENCODE),
    'sigma/secedit.yml': real(SIGMA_SECEDIT),
    'sigma/collection.yml': SIGMA_COLLECTION,
    'sigma/unmapped.yml': SIGMA_UNMAPPED,
    'sigma/broken.yml': SIGMA_BROKEN,
    'elastic/hacktool.toml': real(ELASTIC_HACKTOOL),
    'elastic/retired.toml': real(ELASTIC_DEPRECATED),
    'elastic/broken.toml': '[metadata]\nmaturity = "production"\n\n[rule]\nname = "Broken"\nname = \n',
    'splunk/reg_dump.yml': real(ESCU_REG),
    'splunk/deprecated.yml': real(ESCU_DEPRECATED),
    'splunk/threathunting.conf': firstHunt(),
    'splunk/es/savedsearches.conf': ES_STANZAS,
    'kibana/rules_export.ndjson': KIBANA_EXPORT,
    'kibana/saved_objects.ndjson': KIBANA_SAVED_OBJECTS,
    'kibana/broken.ndjson': `${JSON.stringify({ rule_id: 'good-one', name: 'Good line', threat: [threat('TA0002', [['T1204', []]])] })}\n{"rule_id": "bad-one", "name": "Cut off\n`,
    'windows/crlf_bom.yml': SIGMA_CRLF,
    'windows/crlf_bom.conf': CONF_CRLF,
    'README.md': README,
    'docs/logo.png': PNG,
    'docs/latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    'package.json': JSON.stringify({ name: 'our-rules', version: '1.0.0' }),
    'empty.yml': '',
    '.github/workflows/ci.yml': real(SIGMA_ENCODE),
    'node_modules/some-lib/rule.yml': real(SIGMA_ENCODE),
  };
}

const byKey = (set: OwnRuleSet) => new Map(set.rules.map((r) => [r.key, r]));
const summary = (r: OwnRule) => ({ format: r.format, id: r.id, deprecated: r.deprecated ?? false, techniqueIds: r.techniqueIds });

describe('readOwnRules on a team repository with every format', () => {
  const dir = fixtureDir(fixtureFiles());
  const set = readOwnRules([dir]);
  const rules = byKey(set);

  it('counts every file outside dot-folders and node_modules, rules or not', () => {
    // 24 files written, minus .github/… and node_modules/….
    expect(set.files).toBe(22);
    expect(set.rules.some((r) => r.file.startsWith('.github') || r.file.startsWith('node_modules'))).toBe(false);
  });

  it('reads exactly these rules, with keys relative to the folder', () => {
    expect([...rules.keys()].sort()).toEqual([
      'elastic/hacktool.toml', 'elastic/retired.toml',
      'kibana/broken.ndjson',
      'kibana/rules_export.ndjson#1', 'kibana/rules_export.ndjson#2', 'kibana/rules_export.ndjson#3',
      'kibana/saved_objects.ndjson',
      'sigma/collection.yml#1', 'sigma/collection.yml#2', 'sigma/powershell_encode.yml', 'sigma/secedit.yml', 'sigma/unmapped.yml',
      'splunk/deprecated.yml',
      'splunk/es/savedsearches.conf#1', 'splunk/es/savedsearches.conf#2', 'splunk/es/savedsearches.conf#3',
      'splunk/es/savedsearches.conf#4', 'splunk/es/savedsearches.conf#5',
      'splunk/reg_dump.yml', 'splunk/threathunting.conf',
      'windows/crlf_bom.conf', 'windows/crlf_bom.yml',
    ]);
  });

  it('Sigma: tags attack.tNNNN without the prefix, as written; status deprecated; collections', () => {
    expect(summary(rules.get('sigma/powershell_encode.yml')!)).toEqual({
      format: 'sigma', id: 'fb843269-508c-4b76-8b8d-88679db22ce7', deprecated: false, techniqueIds: ['t1059.001'],
    });
    expect(rules.get('sigma/powershell_encode.yml')!.title).toBe('Suspicious Execution of Powershell with Base64');
    expect(rules.get('sigma/secedit.yml')!.techniqueIds).toEqual([
      't1685.001', 't1547.001', 't1505.005', 't1556.002', 't1685', 't1574.007', 't1564.002',
      't1546.008', 't1546.007', 't1547.014', 't1547.010', 't1547.002', 't1557', 't1082',
    ]);
    expect(summary(rules.get('sigma/collection.yml#1')!)).toEqual({
      format: 'sigma', id: '11111111-aaaa-4bbb-8ccc-000000000001', deprecated: false, techniqueIds: ['t1047'],
    });
    // The second document replaces the global tags with its own list.
    expect(rules.get('sigma/collection.yml#2')!.techniqueIds).toEqual(['t1047', 'T1059.001']);
    expect(rules.get('sigma/collection.yml#2')!.title).toBe('Our WMI execution');
  });

  it('a rule without ATT&CK ids is returned unmapped', () => {
    expect(summary(rules.get('sigma/unmapped.yml')!)).toEqual({
      format: 'sigma', id: '22222222-aaaa-4bbb-8ccc-000000000000', deprecated: false, techniqueIds: [],
    });
    expect(rules.get('kibana/rules_export.ndjson#3')!.techniqueIds).toEqual([]);
  });

  it('Elastic TOML: techniques and sub-techniques of every ATT&CK threat entry; maturity deprecated', () => {
    expect(summary(rules.get('elastic/hacktool.toml')!)).toEqual({
      format: 'elastic-toml', id: 'cde1bafa-9f01-4f43-a872-605b678968b0', deprecated: false,
      techniqueIds: [
        'T1059', 'T1059.001', 'T1003', 'T1003.001', 'T1003.006', 'T1552', 'T1552.006', 'T1558', 'T1558.003',
        'T1055', 'T1134', 'T1548', 'T1548.002', 'T1046', 'T1087', 'T1482', 'T1567', 'T1567.001', 'T1567.002',
        'T1053', 'T1053.005', 'T1547', 'T1547.005', 'T1021', 'T1021.002', 'T1021.003', 'T1021.006',
      ],
    });
    expect(rules.get('elastic/hacktool.toml')!.title).toBe('Potential PowerShell HackTool Script by Function Names');
    expect(summary(rules.get('elastic/retired.toml')!)).toEqual({
      format: 'elastic-toml', id: '43303fd4-4839-4e48-b2b2-803ab060758d', deprecated: true, techniqueIds: [],
    });
  });

  it('Splunk ESCU YAML: tags.mitre_attack_id, status deprecated', () => {
    expect(summary(rules.get('splunk/reg_dump.yml')!)).toEqual({
      format: 'splunk-escu', id: 'e9fb4a59-c5fb-440a-9f24-191fbc6b2911', deprecated: false, techniqueIds: ['T1003.002', 'T1003'],
    });
    expect(rules.get('splunk/reg_dump.yml')!.title).toBe('Attempted Credential Dump From Registry via Reg exe');
    expect(summary(rules.get('splunk/deprecated.yml')!)).toEqual({
      format: 'splunk-escu', id: '2a9b80d3-6340-4345-b5ad-290bf5d0dac4', deprecated: true, techniqueIds: ['T1078.004'],
    });
  });

  it('savedsearches.conf: ES annotations, ESCU mappings, the ThreatHunting naming; [default] and non-searches skipped', () => {
    const hunt = rules.get('splunk/threathunting.conf')!;
    expect(summary(hunt)).toEqual({ format: 'splunk-savedsearches', id: '[T1101] Security Support Provider', deprecated: false, techniqueIds: ['T1101'] });
    expect(hunt.title).toBe('Security Support Provider');
    const es = (n: number) => rules.get(`splunk/es/savedsearches.conf#${n}`)!;
    expect(summary(es(1))).toEqual({ format: 'splunk-savedsearches', id: 'Threat - Encoded PowerShell - Rule', deprecated: false, techniqueIds: ['T1059.001', 'T1027'] });
    expect(es(1)).toMatchObject({ title: 'Encoded PowerShell', disabled: true, line: 4 });
    expect(summary(es(2))).toEqual({ format: 'splunk-savedsearches', id: 'ESCU - Deprecated - Old Brute Force - Rule', deprecated: true, techniqueIds: ['T1110'] });
    expect(es(2).disabled).toBeUndefined();
    // Annotations that are not JSON: the rule is still listed (unmapped) and the file is named in a warning.
    expect(summary(es(3))).toEqual({ format: 'splunk-savedsearches', id: 'Broken annotations', deprecated: false, techniqueIds: [] });
    expect(es(4).techniqueIds).toEqual(['T1021.001', 'T1021.002']);
    expect(summary(es(5))).toEqual({ format: 'splunk-savedsearches', id: 'Plain report', deprecated: false, techniqueIds: [] });
  });

  it('Kibana rules export: rules only (no exception lists, no exported_count summary); threat like the TOML', () => {
    const k = (n: number) => rules.get(`kibana/rules_export.ndjson#${n}`)!;
    expect(summary(k(1))).toEqual({ format: 'kibana-ndjson', id: 'c1a0-our-lsass', deprecated: false, techniqueIds: ['T1003', 'T1003.001'] });
    expect(k(1)).toMatchObject({ title: 'Our LSASS access', line: 1 });
    expect(k(1).disabled).toBeUndefined();
    // Only the MITRE ATT&CK framework counts.
    expect(summary(k(2))).toEqual({ format: 'kibana-ndjson', id: 'c1a0-our-rdp', deprecated: false, techniqueIds: ['T1021', 'T1021.001'] });
    expect(k(2)).toMatchObject({ disabled: true, line: 2 });
    expect(summary(rules.get('kibana/saved_objects.ndjson')!)).toEqual({
      format: 'kibana-ndjson', id: 'our-schtasks', deprecated: false, techniqueIds: ['T1053', 'T1053.005'],
    });
    expect(rules.get('kibana/saved_objects.ndjson')!.title).toBe('Scheduled task created');
  });

  it('a malformed file is a warning naming it; the other rules of the file and folder are still read', () => {
    expect(summary(rules.get('kibana/broken.ndjson')!)).toEqual({ format: 'kibana-ndjson', id: 'good-one', deprecated: false, techniqueIds: ['T1204'] });
    const warned = [...new Set(set.warnings.map((w) => w.file))].sort();
    expect(warned).toEqual(['elastic/broken.toml', 'kibana/broken.ndjson', 'sigma/broken.yml', 'splunk/es/savedsearches.conf']);
    const reasons = (file: string) => set.warnings.filter((w) => w.file === file).map((w) => w.reason);
    expect(reasons('kibana/broken.ndjson')).toEqual([expect.stringMatching(/^line 2: not JSON/)]);
    expect(reasons('elastic/broken.toml')).toEqual([expect.stringMatching(/^TOML: /)]);
    expect(reasons('sigma/broken.yml')).toEqual([expect.stringMatching(/^Sigma YAML: /)]);
    expect(reasons('splunk/es/savedsearches.conf')).toEqual([expect.stringMatching(/^stanza \[Broken annotations\] \(line 16\): `action\.correlationsearch\.annotations` is not JSON/)]);
  });

  it('BOM and CRLF files read like any other', () => {
    expect(summary(rules.get('windows/crlf_bom.yml')!)).toEqual({
      format: 'sigma', id: '33333333-aaaa-4bbb-8ccc-000000000000', deprecated: true, techniqueIds: ['t1218.011'],
    });
    expect(rules.get('windows/crlf_bom.yml')!.title).toBe('CRLF and BOM rule');
    expect(summary(rules.get('windows/crlf_bom.conf')!)).toEqual({ format: 'splunk-savedsearches', id: 'CRLF search', deprecated: false, techniqueIds: ['T1569.002'] });
  });

  it('the same content read through parseOwnRuleText gives the same rules, named after the upload', () => {
    for (const [rel, content] of Object.entries(fixtureFiles())) {
      if (rel.startsWith('.') || rel.startsWith('node_modules') || typeof content !== 'string') continue;
      const one = parseOwnRuleText(`upload-${rel}`, content);
      const expected = set.rules.filter((r) => r.file === rel);
      expect(one.files).toBe(1);
      expect(one.rules.map((r) => ({ ...r, key: r.key.replace('upload-', ''), file: r.file.replace('upload-', '') }))).toEqual(expected);
      expect(one.warnings.map((w) => w.reason)).toEqual(set.warnings.filter((w) => w.file === rel).map((w) => w.reason));
    }
  });
});

describe('readOwnRules paths and limits', () => {
  it('a missing path throws an Error naming it', () => {
    const missing = join(tempDir(), 'no-such-folder');
    expect(() => readOwnRules([missing])).toThrow(`${missing}: no such file or folder`);
  });

  it('a single file keeps the path as given; a file also inside a given folder is read once', () => {
    const dir = fixtureDir({ 'a/rule.yml': SIGMA_UNMAPPED });
    const file = join(dir, 'a', 'rule.yml');
    const set = readOwnRules([file, dir]);
    expect(set.rules.map((r) => r.file)).toEqual([file]);
    expect(set.files).toBe(1);
  });

  it('two folders holding the same relative path keep distinct files and keys', () => {
    const one = fixtureDir({ 'windows/x.yml': SIGMA_UNMAPPED });
    const two = fixtureDir({ 'windows/x.yml': real(SIGMA_ENCODE) });
    const set = readOwnRules([one, two]);
    expect(set.rules.map((r) => r.key)).toEqual(['windows/x.yml', `${two}/windows/x.yml`]);
    expect(new Set(set.rules.map((r) => r.key)).size).toBe(2);
  });

  it('symbolic links are not followed', () => {
    const target = fixtureDir({ 'rule.yml': SIGMA_UNMAPPED });
    const dir = fixtureDir({ 'own.yml': real(SIGMA_ENCODE) });
    symlinkSync(target, join(dir, 'linked'));
    symlinkSync(join(target, 'rule.yml'), join(dir, 'linked.yml'));
    const set = readOwnRules([dir]);
    expect(set.rules.map((r) => r.file)).toEqual(['own.yml']);
  });

  it('limits: too many ids are capped with a warning, a file over the size limit is a warning, a big binary is not', () => {
    const dir = fixtureDir({ 'many.yml': real(SIGMA_SECEDIT), 'big.ndjson': `${KIBANA_EXPORT}\n`.repeat(4) });
    writeFileSync(join(dir, 'big.png'), Buffer.concat([PNG, Buffer.alloc(5000)]));
    const set = readOwnRules([dir], { limits: { maxTechniquesPerResource: 3, maxFileBytes: 4000 } });
    expect(set.rules.map((r) => [r.file, r.techniqueIds])).toEqual([['many.yml', ['t1685.001', 't1547.001', 't1505.005']]]);
    expect(set.warnings).toEqual([
      { file: 'big.ndjson', reason: expect.stringMatching(/^file is \d+ bytes, over the 4000-byte limit/) },
      { file: 'many.yml', reason: expect.stringContaining('14 ATT&CK ids, over the limit of 3') },
    ]);
    expect(set.files).toBe(3);
  });

  it('parseOwnRuleText: an upload over the size limit is a warning; a README is nothing', () => {
    expect(parseOwnRuleText('big.yml', real(SIGMA_ENCODE), { limits: { maxFileBytes: 100 } })).toEqual({
      rules: [], files: 1, warnings: [{ file: 'big.yml', reason: expect.stringContaining('over the 100-byte limit') }],
      skipped: [{ file: 'big.yml', reason: 'over the size limit', detail: expect.stringContaining('over the 100-byte limit') }], duplicateIds: [],
    });
    expect(parseOwnRuleText('README.md', README)).toEqual({
      rules: [], warnings: [], files: 1, duplicateIds: [],
      skipped: [{ file: 'README.md', reason: 'no rule format recognised', detail: expect.stringMatching(/^not Sigma, Elastic TOML, .* or Splunk savedsearches\.conf$/) }],
    });
  });

  it('a pretty-printed single rule and a _find answer are Kibana JSON too', () => {
    const rule = { rule_id: 'pretty', name: 'Pretty', threat: [threat('TA0002', [['T1059', ['T1059.003']]])] };
    expect(parseOwnRuleText('rule.json', JSON.stringify(rule, null, 2)).rules.map((r) => [r.id, r.techniqueIds])).toEqual([['pretty', ['T1059', 'T1059.003']]]);
    const found = parseOwnRuleText('find.json', JSON.stringify({ page: 1, perPage: 20, total: 2, data: [rule, { ...rule, rule_id: 'two' }] }));
    expect(found.rules.map((r) => r.key)).toEqual(['find.json#1', 'find.json#2']);
  });
});

describe('detectFormat', () => {
  it('tells the formats apart by content, not by name', () => {
    expect(detectFormat(real(SIGMA_ENCODE))).toBe('sigma');
    expect(detectFormat(real(ELASTIC_HACKTOOL))).toBe('elastic-toml');
    expect(detectFormat(real(ESCU_REG))).toBe('splunk-escu');
    expect(detectFormat(real(THREATHUNTING))).toBe('splunk-savedsearches');
    expect(detectFormat(KIBANA_EXPORT)).toBe('kibana-ndjson');
    expect(detectFormat(SIGMA_COLLECTION)).toBe('sigma');
  });

  it('leaves alone what only shows a rule (README), and files of other kinds', () => {
    expect(detectFormat(README)).toBeUndefined();
    expect(detectFormat('[tool.poetry]\nname = "x"\n')).toBeUndefined();
    expect(detectFormat('[project]\nname = "x"\n\n[rule]\n')).toBe('elastic-toml');
    expect(detectFormat('{"name": "pkg", "version": "1.0.0"}')).toBeUndefined();
    expect(detectFormat('name: CI\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n')).toBeUndefined();
    expect(detectFormat('[props]\nTIME_FORMAT = %s\n')).toBeUndefined();
    expect(detectFormat('')).toBeUndefined();
    // The real Atomic Red Team and CAR YAML carry ATT&CK ids but are not rules of these formats.
    expect(detectFormat(real('atomic-red-team/atomics/T1003.001/T1003.001.yaml'))).toBeUndefined();
  });
});

describe('a dot-folder given explicitly is read', () => {
  it('only walking skips dot-folders', () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.rules'));
    writeFileSync(join(dir, '.rules', 'r.yml'), SIGMA_UNMAPPED);
    expect(readOwnRules([join(dir, '.rules')]).rules.map((r) => r.file)).toEqual(['r.yml']);
    expect(readOwnRules([dir]).files).toBe(0);
  });
});
