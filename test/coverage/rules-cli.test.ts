import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cli, fixtureDir, tempDir } from '../helpers.js';
import { LAYER_SCHEMA_4_5, validate } from './layer-schema.js';

/** A small detection repository: a Sigma rule on a sub-technique, an Elastic rule, a deprecated rule, and noise. */
const RULES = {
  'sigma/powershell_encoded.yml': `title: Encoded PowerShell Command Line
id: 6a1f5a3e-2b8c-4a2d-9a77-0c6c4a1e9e01
status: test
description: Detects powershell -enc
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: ' -enc '
  condition: selection
tags:
  - attack.execution
  - attack.t1059.001
level: high
`,
  'sigma/old_valid_accounts.yml': `title: Old Valid Accounts Rule
id: 0e7a9c1b-5d2f-4f1e-8e3a-2b9c7d6e5f40
status: deprecated
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
  condition: selection
tags:
  - attack.t1078
`,
  'elastic/credential_access_lsass.toml': `[metadata]
creation_date = "2024/01/01"
maturity = "production"

[rule]
author = ["Purple Team"]
description = "LSASS memory access."
name = "LSASS Memory Access"
rule_id = "3f0e6b8a-1c2d-4e5f-9a8b-7c6d5e4f3a21"
risk_score = 73
severity = "high"
type = "eql"
language = "eql"
query = '''
process where event.type == "start" and process.name : "procdump.exe"
'''

[[rule.threat]]
framework = "MITRE ATT&CK"

[[rule.threat.technique]]
id = "T1003"
name = "OS Credential Dumping"
reference = "https://attack.mitre.org/techniques/T1003/"

[[rule.threat.technique.subtechnique]]
id = "T1003.001"
name = "LSASS Memory"
reference = "https://attack.mitre.org/techniques/T1003/001/"

[rule.threat.tactic]
id = "TA0006"
name = "Credential Access"
reference = "https://attack.mitre.org/tactics/TA0006/"
`,
  'README.md': '# our rules\n',
};

describe('coverage with a rules folder, end to end', () => {
  const kbPath = inject('kbPath');
  const run = (...args: string[]) => cli([...args, '--db', kbPath]);
  const rules = fixtureDir(RULES);

  it('reads Sigma and Elastic rules: sub-technique covered, parent partial (also when a rule names it beside its sub-technique), deprecated ignored', () => {
    const r = run('coverage', '--group', 'G0016', '--rules', rules, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      techniques: { id: string; status: string; ownRules: { file: string }[] }[];
      rules: { total: number; deprecated: number; parentsWithSubtechniques: unknown[] };
    };
    const status = (id: string) => report.techniques.find((t) => t.id === id)?.status;
    expect(status('T1059.001')).toBe('covered');
    expect(status('T1059')).toBe('partial');
    // The Elastic rule names T1003 and T1003.001 (Elastic nests every sub-technique under its parent): the parent is partial, as for Sigma.
    expect(status('T1003')).toBe('partial');
    expect(report.rules.parentsWithSubtechniques).toEqual([
      { rule: 'elastic/credential_access_lsass.toml', file: 'elastic/credential_access_lsass.toml', parent: 'T1003', subtechniques: ['T1003.001'] },
    ]);
    expect(status('T1078')).toBe('gap');
    expect(report.techniques.find((t) => t.id === 'T1059.001')!.ownRules.map((x) => x.file)).toEqual(['sigma/powershell_encoded.yml']);
    expect(report.rules).toMatchObject({ total: 3, deprecated: 1 });
  });

  it('a coverage layer becomes the baseline of the next run: gained and lost', () => {
    const before = join(tempDir(), 'before.json');
    const layer = run('coverage', '--group', 'G0016', '--rules', rules, '--format', 'layer');
    expect(layer.code, layer.stderr).toBe(0);
    expect(validate(LAYER_SCHEMA_4_5, JSON.parse(layer.stdout))).toEqual([]);
    writeFileSync(before, layer.stdout);
    // The next run lost the Sigma rule and gained nothing.
    const fewer = fixtureDir({ 'elastic/credential_access_lsass.toml': RULES['elastic/credential_access_lsass.toml'] });
    const r = run('coverage', '--group', 'G0016', '--rules', fewer, '--baseline', before, '--format', 'json');
    const b = (JSON.parse(r.stdout) as { baseline: { gained: string[]; lost: string[] } }).baseline;
    expect(b.gained).toEqual([]);
    expect(b.lost).toEqual(['T1059.001']);
    const gate = run('coverage', '--group', 'G0016', '--rules', rules, '--fail-on-gaps', '5');
    expect(gate.code).toBe(3);
    expect(gate.stderr).toMatch(/\d+ of \d+ prioritized techniques have no own rule \(allowed: 5\)/);
  });

  it('layer --measure own and plan --rules use the same rules', () => {
    const layer = JSON.parse(run('layer', '--measure', 'own', '--rules', rules).stdout) as { techniques: { techniqueID: string; score?: number }[] };
    expect(layer.techniques.filter((t) => (t.score ?? 0) > 0).map((t) => t.techniqueID).sort()).toEqual(['T1003.001', 'T1059.001']);
    const plan = JSON.parse(run('plan', '--group', 'G0016', '--platform', 'windows', '--rules', rules, '--format', 'json').stdout) as {
      tactics: { techniques: { id: string; detections: { kind: string; file?: string }[] }[] }[];
    };
    const ps = plan.tactics.flatMap((t) => t.techniques).find((t) => t.id === 'T1059.001')!;
    expect(ps.detections).toEqual([expect.objectContaining({ kind: 'own', file: 'sigma/powershell_encoded.yml' })]);
  });
});
