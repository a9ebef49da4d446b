import { describe, expect, it } from 'vitest';
import { eqlEventTypes, esqlIndices, kqlTables, namedLogSources, ruleLogic, topLevelYamlBlock } from '../../src/sources/lib/logic.js';

describe('rule logic and log-source readers', () => {
  it('kqlTables: statement tables, let-bound sources, union and join operands; not let names, not project columns', () => {
    expect(kqlTables('let t = 1d;\nSecurityEvent\n| where EventID == 4688\n| project\n  Computer\n')).toEqual(['SecurityEvent']);
    expect(kqlTables('let a = SigninLogs | where x;\nunion isfuzzy=true OfficeActivity, (AuditLogs | where y)\n| join kind=inner (DeviceProcessEvents | take 1) on x'))
      .toEqual(['SigninLogs', 'OfficeActivity', 'AuditLogs', 'DeviceProcessEvents']);
    expect(kqlTables('let base = SecurityEvent | where a;\nbase | summarize count()')).toEqual(['SecurityEvent']);
    expect(kqlTables('')).toEqual([]);
    expect(kqlTables(`${'T'.repeat(10)} | x`, 0)).toEqual([]);
  });

  it('esqlIndices and eqlEventTypes', () => {
    expect(esqlIndices('from logs-endpoint.events.process-*, logs-windows.* metadata _id | where x')).toEqual(['logs-endpoint.events.process-*', 'logs-windows.*']);
    expect(esqlIndices('row a = 1')).toEqual([]);
    expect(eqlEventTypes('sequence by host.id\n  [process where a]\n  [network where b]\n  [process where c]')).toEqual(['process', 'network']);
    expect(eqlEventTypes('any where true')).toEqual(['any']);
  });

  it('topLevelYamlBlock keeps the block as written and stops at the next top-level key', () => {
    const text = 'title: x\ndetection:\n    sel:\n        a: 1\n\n    # note\n    condition: sel\nfalsepositives:\n    - none\n';
    expect(topLevelYamlBlock(text, 'detection')).toBe('detection:\n    sel:\n        a: 1\n\n    # note\n    condition: sel');
    expect(topLevelYamlBlock(text, 'missing')).toBeUndefined();
    expect(topLevelYamlBlock('detection: {a: 1}', 'detection')).toBe('detection: {a: 1}');
  });

  it('ruleLogic caps long text and drops empty; namedLogSources trims, de-duplicates and caps', () => {
    expect(ruleLogic('spl', '   ')).toBeUndefined();
    expect(ruleLogic('spl', 42)).toBeUndefined();
    const long = ruleLogic('spl', 'x'.repeat(100), 10)!;
    expect(long.text).toHaveLength(10);
    expect(long.text.endsWith('…')).toBe(true);
    expect(namedLogSources('splunk', [' Sysmon EventID 1 ', 'Sysmon EventID 1', 3, '', 'B'], 5)).toEqual([
      { scheme: 'splunk', name: 'Sysmon EventID 1' }, { scheme: 'splunk', name: 'B' },
    ]);
    expect(namedLogSources('splunk', ['a', 'b', 'c'], 2)).toHaveLength(2);
  });
});

describe('rule logic line endings', () => {
  it('a CRLF or CR copy gives the same logic as the LF original', () => {
    expect(ruleLogic('sigma', 'detection:\r\n  sel: 1\r\n  condition: sel\r\n')).toEqual({ language: 'sigma', text: 'detection:\n  sel: 1\n  condition: sel' });
    expect(ruleLogic('spl', 'a\rb')).toEqual({ language: 'spl', text: 'a\nb' });
  });
});
