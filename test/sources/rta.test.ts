import { describe, expect, it } from 'vitest';
import { parseRtaHeader, rtaSource } from '../../src/sources/rta.js';
import { collectSource, sourcePresent } from '../../src/sources/collect.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

/** Written in the header format of endgameinc/RTA `red_ttp/*.py` (comment lines before the code). */
const AT_COMMAND = `# Name: AT Command Lateral Movement
# RTA: at_command.py
# ATT&CK: T1053
# Description: Enumerates at tasks on target host, and schedules an at job for one hour in the future. Then checks the
#  status of that task, and deletes the task.

import common


def main():
    # ATT&CK: T9999 is a comment in the code, not the header
    common.execute(['at.exe'])
`;

const ENUM = `# Name: Common Enumeration Commands
# RTA: enum_commands.py
# ATT&CK: T1007, T1016, T1018, T1016
# Description: Executes a list of administration tools commonly used by attackers for enumeration.

import common
`;

const LICENSED = `# Copyright Elasticsearch B.V. and/or licensed to Elasticsearch B.V. under one
# or more contributor license agreements. Licensed under the Elastic License;
# you may not use this file except in compliance with the Elastic License.

# Name: Scheduled Task Privilege Escalation
# rta: schtask_escalation.py
# signal.rule.name: Local Scheduled Task Commands
# signal.rule.name: Whoami Process Activity
# ATT&CK: T1053.005 Scheduled Task
# Platforms: Windows, macOS

import os
`;

describe('rta fixtures', () => {
  it('reads the header comments as text, never the code, and warns on missing ids', async () => {
    const dir = fixtureDir({
      'rta/red_ttp/at_command.py': AT_COMMAND,
      'rta/red_ttp/enum_commands.py': ENUM,
      'rta/red_ttp/schtask_escalation.py': LICENSED,
      'rta/red_ttp/no_attack.py': '# Name: Something without a mapping\n\nimport os\n',
      'rta/red_ttp/bad_attack.py': '# Name: Bad\n# ATT&CK: n/a\n',
      'rta/red_ttp/no_header.py': 'import os\n# ATT&CK: T1003\n',
      'rta/red_ttp/binary.py': Buffer.from([0x23, 0x20, 0xff, 0xfe]),
      'rta/red_ttp/__init__.py': '',
      'rta/red_ttp/common.py': 'import subprocess\n',
      'rta/red_ttp/bin/helper.py': '# ATT&CK: T1003\n',
      'rta/red_ttp/notes.txt': '# ATT&CK: T1003\n',
    });
    const { records, warnings } = await collectSource(rtaSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.map((w) => [w.file, w.reason])).toEqual([
      ['rta/red_ttp/bad_attack.py', '`# ATT&CK:` names no technique id: n/a'],
      ['rta/red_ttp/binary.py', 'not valid UTF-8'],
      ['rta/red_ttp/no_attack.py', 'no technique id in a `# ATT&CK:` header: test kept without a technique'],
      ['rta/red_ttp/no_header.py', 'no technique id in a `# ATT&CK:` header: test kept without a technique'],
    ]);
    expect(records.map((r) => r.key)).toEqual([
      'red_ttp/at_command.py', 'red_ttp/bad_attack.py', 'red_ttp/enum_commands.py', 'red_ttp/no_attack.py', 'red_ttp/no_header.py', 'red_ttp/schtask_escalation.py',
    ]);
    const [at, , enumCommands, , noHeader, schtask] = records;
    expect(at).toMatchObject({
      title: 'AT Command Lateral Movement',
      url: 'https://github.com/endgameinc/RTA/blob/master/red_ttp/at_command.py',
      description: 'Enumerates at tasks on target host, and schedules an at job for one hour in the future. Then checks the status of that task, and deletes the task.',
      file: 'rta/red_ttp/at_command.py',
      meta: { language: 'Python', script: 'at_command.py' },
      techniques: [{ id: 'T1053' }],
    });
    expect(enumCommands!.techniques.map((t) => t.id)).toEqual(['T1007', 'T1016', 'T1018']);
    expect(noHeader).toMatchObject({ title: 'no_header', techniques: [] });
    expect(schtask).toMatchObject({
      title: 'Scheduled Task Privilege Escalation',
      meta: { script: 'schtask_escalation.py', platforms: ['Windows', 'macOS'], triggeredRules: ['Local Scheduled Task Commands', 'Whoami Process Activity'] },
      techniques: [{ id: 'T1053.005' }],
    });
  });

  it('caps technique references per script', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `T${1000 + (i % 9000)}.${String(i % 1000).padStart(3, '0')}`).join(', ');
    const dir = fixtureDir({ 'rta/red_ttp/many.py': `# Name: Many\n# ATT&CK: ${ids}\n` });
    const { records, warnings } = await collectSource(rtaSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(warnings).toHaveLength(1);
  });

  it('header parsing stops at the first line of code', () => {
    expect(parseRtaHeader('#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# ATT&CK: T1055\nx = 1\n# ATT&CK: T1056\n').attack).toEqual(['T1055']);
    expect(parseRtaHeader('# Description: a\n#  b\n#\n#  c\n').description).toBe('a b');
  });

  it('is absent when its folder is missing (it is not in the shared snapshot)', () => {
    expect(sourcePresent(rtaSource, DATA_DIR)).toBe(false);
    expect(sourcePresent(rtaSource, fixtureDir({ 'rta/red_ttp/x.py': '# ATT&CK: T1003\n' }))).toBe(true);
  });
});
