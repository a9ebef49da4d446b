import { describe, expect, it } from 'vitest';
import { azureSentinelSource, isAnalyticRulePath, unquoteDescription } from '../../src/sources/azure-sentinel.js';
import { collectSource, sourcePresent } from '../../src/sources/collect.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const SOLUTION_RULE = 'azure-sentinel/Solutions/Contoso Identity/Analytic Rules/SprayFromOneIp.yaml';
const NESTED_RULE = 'azure-sentinel/Solutions/Contoso Identity/Analytic Rules/Nrt/NrtRoleAdded.yaml';
const DETECTION = 'azure-sentinel/Detections/SecurityEvent/LsassAccess.yaml';

/** Written from the documented analytic-rule format (fields as upstream spells them). */
const SCHEDULED = `id: 0b5a1f3e-1111-4c2d-9e8f-000000000001
name: Password spray from one IP address
description: |
  'Identifies failed sign-ins for many accounts from the same IP address
  within a short time window.'
severity: Medium
status: Available
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - SigninLogs
  - connectorId: AzureActiveDirectory
    dataTypes:
      - AADNonInteractiveUserSignInLogs
queryFrequency: 1d
queryPeriod: 7d
triggerOperator: gt
triggerThreshold: 0
tactics:
  - CredentialAccess
relevantTechniques:
  - T1110.003
  - T1110
query: |
  SigninLogs
  | where ResultType in (50053, 50126)
  | summarize Accounts = dcount(UserPrincipalName) by IPAddress
  | where Accounts > 5
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
version: 1.0.4
kind: Scheduled
`;

const NRT = `id: 0b5a1f3e-2222-4c2d-9e8f-000000000002
name: '[Deprecated] NRT user added to a privileged role'
description: 'Alerts when a user is added to a privileged role.'
severity: High
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - AuditLogs
tactics:
  - Persistence
  - PrivilegeEscalation
relevantTechniques:
  - T1098
  - T1078
tags:
  - DEV-0537
query: |
  AuditLogs
  | where OperationName =~ "Add member to role"
version: 1.0.7
kind: NRT
`;

const DETECTION_RULE = `id: 0b5a1f3e-3333-4c2d-9e8f-000000000003
name: LSASS memory access
description: Identifies processes opening LSASS.
severity: High
requiredDataConnectors: []
queryFrequency: 1h
queryPeriod: 1h
tactics:
  - CredentialAccess
relevantTechniques: T1003.001
query: |
  SecurityEvent | where EventID == 4656 | where ObjectName endswith "lsass.exe"
version: 1.0.0
kind: Scheduled
`;

describe('azure-sentinel fixtures', () => {
  it('reads analytic rules from Solutions and Detections, and warns on malformed files', async () => {
    const dir = fixtureDir({
      [SOLUTION_RULE]: SCHEDULED,
      [NESTED_RULE]: NRT,
      [DETECTION]: DETECTION_RULE,
      'azure-sentinel/Detections/SecurityEvent/Broken.yaml': 'name: [unclosed\n',
      'azure-sentinel/Detections/SecurityEvent/NotARule.yaml': 'Workbook: something\nversion: 1\n',
      'azure-sentinel/Detections/SecurityEvent/List.yaml': '- a\n- b\n',
      'azure-sentinel/Detections/SecurityEvent/BadTechniques.yaml': 'name: Odd\nquery: x\nrelevantTechniques:\n  T1003: yes\n',
      'azure-sentinel/Detections/SecurityEvent/Empty.yaml': '',
      'azure-sentinel/Solutions/Contoso Identity/Hunting Queries/Hunt.yaml': SCHEDULED, // not an analytic rule folder
      'azure-sentinel/Solutions/Contoso Identity/Analytic Rules/README.md': 'ignored',
    });
    const { records, warnings } = await collectSource(azureSentinelSource, { dataDir: dir, attack: realAttack() });
    const byFile = (f: string) => warnings.filter((w) => w.file === `azure-sentinel/Detections/SecurityEvent/${f}`).map((w) => w.reason);
    expect(byFile('Broken.yaml')).toHaveLength(1);
    expect(byFile('NotARule.yaml')).toEqual(['not an analytic rule (no `name` and no `query`): skipped']);
    expect(byFile('List.yaml')).toEqual(['not a YAML mapping']);
    expect(byFile('BadTechniques.yaml')).toEqual(['`relevantTechniques` is not a list']);
    expect(byFile('Empty.yaml')).toEqual(['empty file']);
    expect(warnings).toHaveLength(5);

    expect(records.map((r) => r.key)).toEqual([
      'Detections/SecurityEvent/BadTechniques.yaml',
      'Detections/SecurityEvent/LsassAccess.yaml',
      'Solutions/Contoso Identity/Analytic Rules/Nrt/NrtRoleAdded.yaml',
      'Solutions/Contoso Identity/Analytic Rules/SprayFromOneIp.yaml',
    ]);
    const [odd, lsass, nrt, spray] = records;
    expect(odd!.techniques).toEqual([]);
    expect(spray).toMatchObject({
      upstreamId: '0b5a1f3e-1111-4c2d-9e8f-000000000001',
      title: 'Password spray from one IP address',
      url: 'https://github.com/Azure/Azure-Sentinel/blob/master/Solutions/Contoso%20Identity/Analytic%20Rules/SprayFromOneIp.yaml',
      breadcrumb: ['Contoso Identity'],
      description: 'Identifies failed sign-ins for many accounts from the same IP address within a short time window.',
      deprecated: false,
      file: SOLUTION_RULE,
      meta: {
        language: 'KQL', id: '0b5a1f3e-1111-4c2d-9e8f-000000000001', severity: 'Medium', kind: 'Scheduled', status: 'Available', version: '1.0.4',
        queryFrequency: '1d', queryPeriod: '7d', tactics: ['CredentialAccess'], dataConnectors: ['AzureActiveDirectory'],
        dataTypes: ['SigninLogs', 'AADNonInteractiveUserSignInLogs'],
      },
      techniques: [{ id: 'T1110.003' }, { id: 'T1110' }],
    });
    expect(String(spray!.meta!.query)).toMatch(/^SigninLogs\n/);
    expect(nrt).toMatchObject({ deprecated: true, breadcrumb: ['Contoso Identity', 'Nrt'], meta: { kind: 'NRT', tags: ['DEV-0537'] }, techniques: [{ id: 'T1098' }, { id: 'T1078' }] });
    expect(lsass).toMatchObject({ breadcrumb: ['Detections', 'SecurityEvent'], techniques: [{ id: 'T1003.001' }] });
    expect(lsass!.meta).not.toHaveProperty('dataConnectors');
  });

  it('cuts long queries and caps technique references', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `  - T${1000 + (i % 9000)}`).join('\n');
    const dir = fixtureDir({ [DETECTION]: `name: Big\nquery: |\n  ${'x'.repeat(5000)}\nrelevantTechniques:\n${many}\n` });
    const { records, warnings } = await collectSource(azureSentinelSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(String(records[0]!.meta!.query)).toHaveLength(1000);
    expect(warnings).toHaveLength(1);
  });

  it('is absent when its folder is missing (it is not in the shared snapshot)', () => {
    expect(sourcePresent(azureSentinelSource, DATA_DIR)).toBe(false);
    expect(sourcePresent(azureSentinelSource, fixtureDir({ [DETECTION]: DETECTION_RULE }))).toBe(true);
  });

  it('helpers', () => {
    expect(unquoteDescription("'Quoted text.'\n")).toBe('Quoted text.');
    expect(unquoteDescription("It's fine")).toBe("It's fine");
    expect(isAnalyticRulePath('Solutions/A/Analytic Rules/x.yaml')).toBe(true);
    expect(isAnalyticRulePath('Solutions/A/Analytic Rules/sub/x.yaml')).toBe(true);
    expect(isAnalyticRulePath('Solutions/A/Hunting Queries/x.yaml')).toBe(false);
    expect(isAnalyticRulePath('Detections/A/x.yml')).toBe(false);
    expect(isAnalyticRulePath('Detections/x.yaml')).toBe(true);
  });
});
