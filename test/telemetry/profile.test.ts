import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/telemetry/profile.js';
import { loadVocabulary } from '../../src/telemetry/vocabulary.js';

const v = loadVocabulary();
const ids = (text: string) => [...parseProfile(text, v).ids].sort();

describe('telemetry profiles', () => {
  it('reads friendly entries, canonical ids and Sigma triples', () => {
    expect(ids('- sysmon: [1, 3]\n- windows-security: [4688]\n- aws-cloudtrail\n')).toEqual(['aws:cloudtrail', 'windows:security:4688', 'windows:sysmon:1', 'windows:sysmon:3']);
    expect(ids('- windows:sysmon:10')).toEqual(['windows:sysmon:10']);
    expect(ids('- sigma: {product: windows, category: process_creation}')).toEqual(['windows:process_creation']);
    expect(ids('- sigma: {product: aws, service: cloudtrail}')).toEqual(['aws:cloudtrail']);
    expect(ids('[]')).toEqual([]);
  });

  it('takes a bare channel as the whole channel and every event of it', () => {
    const all = ids('- sysmon');
    expect(all).toContain('windows:sysmon');
    expect(all).toContain('windows:sysmon:1');
    expect(all).toContain('windows:sysmon:22');
  });

  it('says what is wrong in one line, with the closest known names', () => {
    const fails = (text: string) => {
      try {
        parseProfile(text, v);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected a failure');
    };
    expect(fails('- sysmn: [1]')).toMatch(/^entry 1: unknown log source "sysmn"; closest known: sysmon/);
    expect(fails('- aws-cloudtrial')).toMatch(/closest known: aws-cloudtrail/);
    expect(fails('- sysmon: [1]\n- sysmon: [999]')).toMatch(/^entry 2: sysmon: no event 999 in the vocabulary; known: 1, 2, 3/);
    expect(fails('- aws-cloudtrail: [1]')).toMatch(/aws-cloudtrail has no events to list/);
    expect(fails('- sigma: {product: windows, category: proces_creation}')).toMatch(/no Sigma log source windows\/proces_creation.*closest known: windows\/process_creation/);
    expect(fails('- sigma: {product: windows, categroy: process_creation}')).toMatch(/unknown field "categroy"/);
    expect(fails('')).toMatch(/holds no entry/);
    expect(fails('sysmon: [1]')).toMatch(/must be a YAML list/);
    expect(fails('- [unclosed')).toMatch(/not valid YAML/);
    expect(fails('- {a: 1, b: 2}')).toMatch(/one `name: events` pair/);
    for (const m of [fails('- sysmn'), fails('- sysmon: [x]')]) expect(m).not.toMatch(/\n/);
  });
});
