/**
 * Prompts for the two workflows people bring to Purplebook: how well do our rules cover a group,
 * and what do we run in a purple-team exercise against it. Each names the group as ATT&CK does
 * (an unknown one is refused with close matches) and tells the assistant which tools to call.
 */
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { findActors } from '../server/actors.js';
import { selectThreats, ThreatError, type Threat } from '../threats/select.js';
import type { McpContext } from './context.js';

const MAX_COMPLETIONS = 20;

function groupOf(ctx: McpContext, name: string): { threat: Threat; attackVersion: string; ownRules: number | undefined } {
  return ctx.use((gen) => {
    try {
      const threat = selectThreats(gen.kb, { group: [name] }).threats[0]!;
      return { threat, attackVersion: gen.kb.attackVersion, ownRules: ctx.rules.current?.rules.length };
    } catch (e) {
      if (e instanceof ThreatError) throw new McpError(ErrorCode.InvalidParams, e.message);
      throw e;
    }
  });
}

function groupArg(ctx: McpContext) {
  return completable(z.string().min(1).max(200).describe('ATT&CK group by id, name or alias (G0016, APT29, Cozy Bear)'),
    (value) => ctx.use((gen) => findActors(gen.kb, value, { kind: 'group', limit: MAX_COMPLETIONS }).map((h) => h.id)));
}

const say = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });

/** What the assistant must tell the team about the own rules behind the answers. */
function rulesLine(n: number | undefined, without: string): string {
  return n === undefined
    ? `No own rules are loaded (the Purplebook server was started without --rules): ${without}; say so, and that the team can restart the server with its rules folder.`
    : `The Purplebook server has ${n} own rules loaded from its rules folder.`;
}

export function registerPrompts(server: McpServer, ctx: McpContext): void {
  server.registerPrompt('assess_coverage', {
    title: 'Assess coverage against a group',
    description: 'How well do our own detection rules cover what an ATT&CK group does, and which gaps to close first',
    argsSchema: { group: groupArg(ctx) },
  }, ({ group }) => {
    const { threat: g, attackVersion, ownRules } = groupOf(ctx, group);
    return say([
      `Assess how well our own detection rules cover ${g.name} (${g.id}), which uses ${g.techniques.length} techniques in ATT&CK ${attackVersion}.`,
      rulesLine(ownRules, 'every technique will show as a gap, so this assesses public content only'),
      '',
      'Use the purplebook tools and only facts from their answers:',
      `1. Call \`coverage\` with group ["${g.id}"]. Report covered / total, partial, and the tactics with the lowest share covered.`,
      '2. Take the first 5 gap ids in priority order (data.gaps). For each, call `get_technique` with pillar "detection" and limit 5, '
        + 'and name the public rules we could adopt (source, title, link).',
      `3. Optionally call \`layer\` with measure "own" and group ["${g.id}"] to give a Navigator layer of the coverage.`,
      '',
      'Answer with: a one-paragraph summary; a table of the top gaps (technique, why it is a priority, rules to adopt); '
        + 'and the next three actions for the detection team.',
    ].join('\n'));
  });

  server.registerPrompt('purple_team_exercise', {
    title: 'Prepare a purple-team exercise',
    description: 'An exercise plan against an ATT&CK group: which tests to run, which detections should fire, which controls to check',
    argsSchema: {
      group: groupArg(ctx),
      platform: z.string().max(60).regex(/^[A-Za-z0-9 ./()&+-]*$/).optional().describe('windows, linux, macos … (default every platform)'),
    },
  }, ({ group, platform }) => {
    const { threat: g, attackVersion, ownRules } = groupOf(ctx, group);
    const on = platform ? ` on ${platform}` : '';
    const platformArg = platform ? `, platform ["${platform}"]` : '';
    return say([
      `Prepare a purple-team exercise emulating ${g.name} (${g.id})${on}: ${g.techniques.length} techniques in ATT&CK ${attackVersion}.`,
      rulesLine(ownRules, 'the detections expected to fire are public candidates, not rules the team runs'),
      '',
      'Use the purplebook tools and only facts from their answers:',
      `1. Call \`plan\` with group ["${g.id}"]${platformArg}; follow paging.nextCursor until every technique is read.`,
      '2. Choose up to 10 techniques that have a public test, covering as many tactics as possible in kill-chain order.',
      '3. For each: the test to run (source, id, name, executor, whether it needs elevation), the detections that should fire '
        + '(own rules first; otherwise public candidates to adopt before the exercise), and the controls to check.',
      '4. List the techniques in data.untested: they need a manual test or a new one.',
      '',
      'Answer with an exercise sheet: scope and platform, a table in execution order (tactic, technique, test, expected detection, '
        + 'control), what to record for each step (ran, logged, alerted, prevented), and the prerequisites.',
    ].join('\n'));
  });
}
