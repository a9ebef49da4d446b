import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { scopeOf } from '../coverage/scope.js';
import type { KnowledgeBase } from '../kb/open.js';
import { stackLabel } from '../kb/stack.js';
import { renderTelemetryCsv, renderTelemetryJson, renderTelemetryMarkdown, telemetryLayer, type TelemetryReportHead } from '../render/telemetry.js';
import { analyzeTelemetry, type TelemetryAnalysis } from '../telemetry/analysis.js';
import { parseProfile, PROFILE_MAX_BYTES, ProfileError, type TelemetryProfile } from '../telemetry/profile.js';
import { readRules } from '../telemetry/rules.js';
import { loadVocabulary, VocabularyError, type Vocabulary } from '../telemetry/vocabulary.js';
import { hasThreatOptions, type ThreatSelection } from '../threats/select.js';
import type { Stack } from '../kb/stack.js';
import type { Domain } from '../attack/types.js';
import { CliError, dbOption, EXIT_BAD_INPUT, formatOf, out, parsePositiveInt, withFormatOptions, withKb } from './common.js';
import { parseDomain } from './common.js';
import { stackOf, withStackOption } from './stack.js';
import { requireScope, selectOrFail, threatOptions, withThreatOptions, type RawThreatOpts } from './threats.js';

const FORMATS = ['markdown', 'json', 'csv', 'layer'] as const;

export const PROFILE_OPTION_HELP = 'telemetry profile (YAML list: `- sysmon: [1, 3]`, `- aws-cloudtrail`, `- sigma: {product: windows, category: process_creation}`); see docs/telemetry.md';

/** The shipped vocabulary; a broken one is the installation's fault, said in one line. */
export function loadVocabularyOrFail(): Vocabulary {
  try {
    return loadVocabulary();
  } catch (e) {
    if (e instanceof VocabularyError) throw new CliError(`the log-source vocabulary is broken: ${e.message}`);
    throw e;
  }
}

/** `--profile FILE` read and resolved; a missing, oversized or wrong file is bad input (exit 2). */
export function readProfileFile(file: string, vocab: Vocabulary): TelemetryProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a folder, expected a YAML file' : err.message.split('\n')[0];
    throw new CliError(`--profile ${file}: ${why}`, EXIT_BAD_INPUT);
  }
  if (Buffer.byteLength(text) > PROFILE_MAX_BYTES) throw new CliError(`--profile ${file}: larger than ${PROFILE_MAX_BYTES} bytes`, EXIT_BAD_INPUT);
  try {
    return parseProfile(text, vocab);
  } catch (e) {
    if (e instanceof ProfileError) throw new CliError(`--profile ${file}: ${e.message}`, EXIT_BAD_INPUT);
    throw e;
  }
}

export interface TelemetryRun {
  head: TelemetryReportHead;
  analysis: TelemetryAnalysis;
}

/** The analysis of a profile against the selection's techniques (every active technique of the domain without one). */
export function runTelemetry(kb: KnowledgeBase, o: { profile: TelemetryProfile; vocab: Vocabulary; selection?: ThreatSelection; domain: Domain; stack?: Stack }): TelemetryRun {
  const scope = scopeOf(kb, o.domain, o.selection);
  const rules = readRules(kb, o.stack);
  const analysis = analyzeTelemetry(o.vocab, o.profile, rules, scope.ids.map((id) => ({ id, name: scope.rows.get(id)?.name ?? id })));
  const who = o.selection?.threats.map((x) => (x.kind === 'list' ? x.name : `${x.name} (${x.id})`)).join(', ') ?? `all ${o.domain.replace('-attack', '')} techniques`;
  return {
    head: { title: `Telemetry: what can run against ${who}`, domain: o.domain, attackVersion: kb.attackVersion, ...(o.stack ? { stack: stackLabel(o.stack) } : {}) },
    analysis,
  };
}

interface TelemetryOpts extends RawThreatOpts {
  profile?: string;
  domain?: string;
  format?: string;
  json?: boolean;
  csv?: boolean;
  maxNext?: string;
  db?: string;
  stack?: string[];
}

export function registerTelemetry(program: Command): void {
  withStackOption(withFormatOptions(withThreatOptions(program.command('telemetry')), FORMATS, 'markdown', { csv: true }))
    .description('which public rules your telemetry can run per technique, which are blocked (and what they need), and the next log sources to add')
    .option('--profile <file>', PROFILE_OPTION_HELP)
    .option('--domain <domain>', 'enterprise, mobile or ics (default enterprise)')
    .option('--max-next <n>', 'log sources listed in the ranking (markdown; default 15)')
    .addOption(dbOption())
    .action(async (raw: TelemetryOpts) => {
      const format = formatOf(raw, FORMATS, 'markdown');
      if (!raw.profile) throw new CliError('telemetry needs --profile FILE (a YAML list of the log sources you collect; `[]` for none)', EXIT_BAD_INPUT);
      const domain = parseDomain(raw.domain) ?? 'enterprise-attack';
      const maxNext = raw.maxNext === undefined ? 15 : parsePositiveInt(raw.maxNext, '--max-next');
      const vocab = loadVocabularyOrFail();
      const profile = readProfileFile(raw.profile, vocab);
      await withKb(raw.db, async (kb) => {
        const t = threatOptions(raw);
        const selection = hasThreatOptions(t) ? selectOrFail(kb, t) : undefined;
        if (selection) requireScope(kb, selection, domain);
        const { head, analysis } = runTelemetry(kb, { profile, vocab, selection, domain, stack: stackOf(kb, raw.stack) });
        if (format === 'json') await out(renderTelemetryJson(head, analysis));
        else if (format === 'csv') await out(renderTelemetryCsv(analysis));
        else if (format === 'layer') await out(`${JSON.stringify(telemetryLayer(head, analysis), null, 1)}\n`);
        else await out(renderTelemetryMarkdown(head, analysis, maxNext));
      });
    });
}
