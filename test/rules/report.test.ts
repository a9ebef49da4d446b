/**
 * The own-rule report on a small repository with one rule of every class: the header adds up
 * (rules read = mapped + without id + deprecated + ids that did not count; files = with rules +
 * skipped, with reasons), both Elastic layouts are read and named, a parent named beside its
 * sub-technique is partial in every format, correlation rules take the techniques of the rules
 * they correlate, duplicate ids name both files, and parse warnings say key and line once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { computeCoverage } from '../../src/coverage/coverage.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { renderCoverageMarkdown } from '../../src/render/coverage.js';
import { parseOwnRuleFiles, readOwnRules } from '../../src/rules/read.js';
import { cli, fixtureDir } from '../helpers.js';

const sigma = (title: string, extra: string, tags: string[]) => `title: ${title}
${extra}logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\\\x.exe'
  condition: selection
${tags.length ? `tags:\n${tags.map((t) => `  - ${t}`).join('\n')}\n` : ''}`;

/** An Elastic endpoint behaviour rule (elastic/protections-artifacts layout): top-level `[[threat]]`. */
const ENDPOINT_RULE = `[rule]
description = "Identifies a process dumping LSASS memory with MiniDumpWriteDump."
id = "5b4e4a2d-9a1c-4e3c-9d55-1f7a0c2d1e11"
license = "Elastic License v2"
name = "LSASS Memory Dump via MiniDumpWriteDump"
os_list = ["windows"]
version = "1.0.5"

query = '''
api where process.Ext.api.name == "MiniDumpWriteDump" and process.Ext.api.parameters.process_name == "lsass.exe"
'''

min_endpoint_version = "8.8.0"
[[actions]]
action = "kill_process"
field = "process.entity_id"
state = 0

[[threat]]
framework = "MITRE ATT&CK"
[[threat.technique]]
id = "T1003"
name = "OS Credential Dumping"
reference = "https://attack.mitre.org/techniques/T1003/"
[[threat.technique.subtechnique]]
id = "T1003.001"
name = "LSASS Memory"
reference = "https://attack.mitre.org/techniques/T1003/001/"

[threat.tactic]
id = "TA0006"
name = "Credential Access"
reference = "https://attack.mitre.org/tactics/TA0006/"

[internal]
min_endpoint_version = "8.8.0"
`;

/** The same layout with one technique written as a `[threat.technique]` table. */
const ENDPOINT_SINGLE_TABLE = `[rule]
description = "Thread hijacking of a remote process."
id = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
license = "Elastic License v2"
name = "Remote Thread Context Manipulation"
os_list = ["windows"]
version = "1.0.0"
query = '''
api where process.Ext.api.name == "SetThreadContext"
'''

[[threat]]
framework = "MITRE ATT&CK"
[threat.technique]
id = "T1055"
name = "Process Injection"
reference = "https://attack.mitre.org/techniques/T1055/"
[[threat.technique.subtechnique]]
id = "T1055.003"
name = "Thread Execution Hijacking"
reference = "https://attack.mitre.org/techniques/T1055/003/"

[threat.tactic]
id = "TA0004"
name = "Privilege Escalation"
reference = "https://attack.mitre.org/tactics/TA0004/"
`;

/** A detection-rules rule (`[[rule.threat]]`) on a technique with no sub-technique named. */
const DETECTION_RULE = `[metadata]
creation_date = "2024/01/01"
maturity = "production"

[rule]
name = "SSH Brute Force"
rule_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
description = "Many failed SSH logons."
type = "threshold"
language = "kuery"
query = "event.action:ssh_login and event.outcome:failure"

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1110"
name = "Brute Force"
reference = "https://attack.mitre.org/techniques/T1110/"

[rule.threat.tactic]
id = "TA0006"
name = "Credential Access"
reference = "https://attack.mitre.org/tactics/TA0006/"
`;

/** A base rule with a `name`, and an untagged correlation rule on it in the same file (a Sigma collection). */
const CORRELATION = `title: Failed SSH logon
id: 11111111-2222-4333-8444-555555555555
name: failed_ssh_logon
logsource:
  product: linux
  service: sshd
detection:
  selection:
    message|contains: 'Failed password'
  condition: selection
tags:
  - attack.credential-access
  - attack.t1110.001
---
title: Many failed SSH logons from one host
id: 66666666-7777-4888-9999-000000000000
correlation:
  type: event_count
  rules:
    - failed_ssh_logon
  group-by:
    - host
  timespan: 5m
  condition:
    gte: 10
`;

/** A correlation rule in its own file, referring by id to the rule above and to a rule nobody wrote. */
const CORRELATION_ELSEWHERE = `title: Failed SSH logons then a success
correlation:
  type: temporal
  rules:
    - 11111111-2222-4333-8444-555555555555
    - successful_ssh_logon
  group-by:
    - host
  timespan: 10m
`;

const SHARED_ID = 'id: aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\n';

const FILES: Record<string, string | Buffer> = {
  // mapped (8 rules): Sigma sub-technique, both Elastic layouts (one with a single-table technique) ...
  'sigma/encoded_powershell.yml': sigma('Encoded PowerShell', SHARED_ID, ['attack.execution', 'attack.t1059.001']),
  'endpoint/lsass_minidump.toml': ENDPOINT_RULE,
  'endpoint/thread_context.toml': ENDPOINT_SINGLE_TABLE,
  'elastic/ssh_brute_force.toml': DETECTION_RULE,
  // ... a Sigma rule naming a parent and its sub-technique, carrying the same id as the first (a copy) ...
  'sigma/copy/encoded_powershell_copy.yml': sigma('Encoded PowerShell (copy)', SHARED_ID, ['attack.t1059', 'attack.t1059.001']),
  // ... and a base rule with two correlation rules on it.
  'sigma/correlation/ssh.yml': CORRELATION,
  'sigma/correlation/ssh_then_success.yml': CORRELATION_ELSEWHERE,
  // without ATT&CK id
  'sigma/untagged.yml': sigma('Untagged rule', '', ['attack.execution']),
  // deprecated
  'sigma/deprecated.yml': sigma('Deprecated rule', 'status: deprecated\n', ['attack.t1059.001']),
  // ids that did not count: unknown to ATT&CK, and a mobile technique in an enterprise report
  'sigma/unknown_id.yml': sigma('Rule on a technique from the future', '', ['attack.t1999']),
  'sigma/mobile.yml': sigma('Rule on a mobile technique', '', ['attack.t1603']),
  // skipped files, one of each reason
  'README.md': '# Our detection rules\n\nSee sigma/ and elastic/.\n',
  'empty.yml': '',
  'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
  'sigma/broken_duplicate_key.yml': `title: Broken
logsource:
  product: windows
detection:
  selection:
    Image: x.exe
  condition: selection
tags:
  - attack.t1059.001
tags:
  - attack.t1059.003
`,
  'elastic/broken_table.toml': `[rule]
name = "Broken"
rule_id = "x"

[rule]
name = "Again"
`,
};

/** What the fixture holds, counted by hand from FILES above. */
const EXPECTED = {
  rules: 12, mapped: 8, unmapped: 1, deprecated: 1, idsNotCounted: 2,
  files: 16, skipped: { 'no rule format recognised': 1, 'empty file': 1, 'binary file': 1, 'not readable as Sigma': 1, 'not readable as Elastic TOML': 1 },
};

describe('own-rule report on a repository with every class of rule', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  afterAll(() => kb.close());
  const dir = fixtureDir(FILES);
  const set = readOwnRules([dir]);
  const report = computeCoverage(kb, { rules: set, domain: 'enterprise-attack' });
  const byFile = (file: string) => set.rules.filter((r) => r.file === file);
  const status = (id: string) => report.techniques.find((t) => t.id === id)?.status;

  it('the header adds up: rules read = mapped + without id + deprecated + ids that did not count; files = with rules + skipped', () => {
    const r = report.rules;
    expect({ rules: r.total, mapped: r.mapped, unmapped: r.unmapped.length, deprecated: r.deprecated, idsNotCounted: r.idsNotCounted.length })
      .toEqual({ rules: EXPECTED.rules, mapped: EXPECTED.mapped, unmapped: EXPECTED.unmapped, deprecated: EXPECTED.deprecated, idsNotCounted: EXPECTED.idsNotCounted });
    expect(r.mapped + r.unmapped.length + r.deprecated + r.idsNotCounted.length).toBe(r.total);
    expect(r.idsNotCounted.map((x) => x.file).sort()).toEqual(['sigma/mobile.yml', 'sigma/unknown_id.yml']);
    expect(r.unknownIds.map((u) => [u.file, u.raw, u.reason]).sort()).toEqual([
      ['sigma/mobile.yml', 't1603', 'other domain'], ['sigma/unknown_id.yml', 't1999', 'unknown to the loaded ATT&CK'],
    ]);
    expect(r.files).toBe(EXPECTED.files);
    const reasons: Record<string, number> = {};
    for (const f of r.skipped) reasons[f.reason] = (reasons[f.reason] ?? 0) + 1;
    expect(reasons).toEqual(EXPECTED.skipped);
    expect(new Set(set.rules.map((x) => x.file)).size + r.skipped.length).toBe(r.files);

    const md = renderCoverageMarkdown(report);
    expect(md).toContain(`**Own rules: ${EXPECTED.rules} read = ${EXPECTED.mapped} mapped + ${EXPECTED.unmapped} without ATT&CK id + `
      + `${EXPECTED.deprecated} deprecated + ${EXPECTED.idsNotCounted} whose ids did not count**`);
    expect(md).toContain(`Files: ${EXPECTED.files} read = ${EXPECTED.files - 5} with rules + 5 skipped: `);
    for (const reason of Object.keys(EXPECTED.skipped)) expect(md).toContain(`${reason} (1)`);
    expect(md).toContain('## Own rules whose ATT&CK ids did not count (2)');
  });

  it('reads both Elastic layouts and says which was found', () => {
    expect(byFile('endpoint/lsass_minidump.toml')).toMatchObject([
      { id: '5b4e4a2d-9a1c-4e3c-9d55-1f7a0c2d1e11', techniqueIds: ['T1003', 'T1003.001'], mappedVia: 'top-level [[threat]]' },
    ]);
    expect(byFile('endpoint/thread_context.toml')).toMatchObject([{ techniqueIds: ['T1055', 'T1055.003'], mappedVia: 'top-level [[threat]]' }]);
    expect(byFile('elastic/ssh_brute_force.toml')).toMatchObject([{ techniqueIds: ['T1110'], mappedVia: '[[rule.threat]]' }]);
    expect(report.rules.layouts).toEqual({ 'Elastic TOML top-level [[threat]]': 2, 'Elastic TOML [[rule.threat]]': 1 });
    expect(status('T1003.001')).toBe('covered');
    expect(status('T1055.003')).toBe('covered');
    expect(status('T1110')).toBe('covered');
    expect(renderCoverageMarkdown(report)).toContain('ATT&CK mappings found in Elastic TOML \\[\\[rule.threat\\]\\] (1), Elastic TOML top-level \\[\\[threat\\]\\] (2)');
  });

  it('a parent named beside one of its sub-techniques is partial, in Elastic and Sigma alike', () => {
    expect(status('T1003')).toBe('partial');
    expect(status('T1055')).toBe('partial');
    expect(status('T1059')).toBe('partial');
    expect(report.rules.parentsWithSubtechniques.map((p) => [p.file, p.parent, p.subtechniques])).toEqual([
      ['endpoint/lsass_minidump.toml', 'T1003', ['T1003.001']],
      ['endpoint/thread_context.toml', 'T1055', ['T1055.003']],
      ['sigma/copy/encoded_powershell_copy.yml', 'T1059', ['T1059.001']],
    ]);
  });

  it('correlation rules count for the techniques of the rules they correlate, by name or id, in any file', () => {
    const [base, same] = byFile('sigma/correlation/ssh.yml');
    expect(base).toMatchObject({ name: 'failed_ssh_logon', techniqueIds: ['t1110.001'] });
    expect(same).toMatchObject({ correlates: ['failed_ssh_logon'], techniqueIds: ['t1110.001'], idsFrom: ['sigma/correlation/ssh.yml#1'] });
    expect(byFile('sigma/correlation/ssh_then_success.yml')).toMatchObject([{ techniqueIds: ['t1110.001'], idsFrom: ['sigma/correlation/ssh.yml#1'] }]);
    expect(report.rules.unmapped.map((u) => u.file)).toEqual(['sigma/untagged.yml']);
    expect(report.rules.correlations.map((c) => c.file)).toEqual(['sigma/correlation/ssh.yml', 'sigma/correlation/ssh_then_success.yml']);
    expect(report.techniques.find((t) => t.id === 'T1110.001')!.ownRules).toHaveLength(3);
    expect(set.warnings).toContainEqual({
      file: 'sigma/correlation/ssh_then_success.yml', reason: 'correlation rule "Failed SSH logons then a success" refers to "successful_ssh_logon": no such rule among the rules read',
    });
  });

  it('two files with the same rule id: a warning naming both; each still counts', () => {
    expect(set.duplicateIds).toEqual([{ id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', files: ['sigma/copy/encoded_powershell_copy.yml', 'sigma/encoded_powershell.yml'] }]);
    expect(set.warnings).toContainEqual({
      file: 'sigma/copy/encoded_powershell_copy.yml',
      reason: 'rule id aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee is also the id of a rule in sigma/encoded_powershell.yml (each file\'s rule counts)',
    });
    expect(report.techniques.find((t) => t.id === 'T1059.001')!.ownRules.map((r) => r.file).sort())
      .toEqual(['sigma/copy/encoded_powershell_copy.yml', 'sigma/encoded_powershell.yml']);
  });

  it('parse warnings name the key or table and its line, with one prefix', () => {
    const reasons = (file: string) => set.warnings.filter((w) => w.file === file).map((w) => w.reason);
    expect(reasons('sigma/broken_duplicate_key.yml')).toEqual(['Sigma YAML: duplicate key `tags` at line 10']);
    expect(reasons('elastic/broken_table.toml')).toEqual(['TOML: table `[rule]` defined twice at line 5']);
    expect(set.skipped).toContainEqual({ file: 'sigma/broken_duplicate_key.yml', reason: 'not readable as Sigma', detail: 'Sigma YAML: duplicate key `tags` at line 10' });
    for (const w of set.warnings) expect(w.reason).not.toMatch(/YAML: YAML|TOML: TOML/);
  });

  it('the CLI prints the same header, and refuses rules paths that yield no rule, saying why', () => {
    const kbPath = inject('kbPath');
    const r = cli(['coverage', '--rules', dir, '--db', kbPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`**Own rules: ${EXPECTED.rules} read = ${EXPECTED.mapped} mapped + `);
    const readme = join(dir, 'README.md');
    const only = cli(['coverage', '--rules', readme, '--db', kbPath]);
    expect(only.code).toBe(2);
    expect(only.stderr.trim().split('\n')).toHaveLength(1);
    expect(only.stderr).toContain(`--rules ${readme}: no own rule read (${readme}: no rule format recognised (not Sigma, Elastic TOML, Kibana NDJSON, Splunk ESCU YAML or Splunk savedsearches.conf))`);
    const mixed = cli(['coverage', '--rules', join(dir, 'sigma', 'encoded_powershell.yml'), '--rules', join(dir, 'empty.yml'), '--db', kbPath]);
    expect(mixed.code).toBe(0);
    expect(mixed.stderr).toContain(`--rules ${join(dir, 'empty.yml')}: empty file: no rule read from it`);
    const none = fixtureDir({ 'notes.txt': 'hello\n', 'x.json': '{"a": 1}\n' });
    writeFileSync(join(none, 'empty.toml'), '');
    const folder = cli(['coverage', '--rules', none, '--db', kbPath]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('no own rule read (');
    for (const f of ['notes.txt: no rule format recognised', 'x.json: no rule format recognised', 'empty.toml: empty file']) expect(folder.stderr).toContain(f);
  });
});

describe('uploaded files are read as one set', () => {
  it('a correlation finds its rule in another upload; an id two uploads share is named; a note is skipped with its reason', () => {
    const set = parseOwnRuleFiles([
      { name: 'base.yml', content: CORRELATION.split('---')[0]! },
      { name: 'correlation.yml', content: CORRELATION_ELSEWHERE },
      { name: 'copy.yml', content: CORRELATION.split('---')[0]! },
      { name: 'notes.txt', content: 'not a rule' },
      { name: 'empty.yml', content: '' },
    ]);
    expect(set.rules.find((r) => r.file === 'correlation.yml')).toMatchObject({ techniqueIds: ['t1110.001'], idsFrom: ['base.yml', 'copy.yml'] });
    expect(set.duplicateIds).toEqual([{ id: '11111111-2222-4333-8444-555555555555', files: ['base.yml', 'copy.yml'] }]);
    expect(set.skipped).toEqual([
      { file: 'notes.txt', reason: 'no rule format recognised', detail: expect.any(String) },
      { file: 'empty.yml', reason: 'empty file' },
    ]);
    expect(set.files).toBe(5);
  });
});
