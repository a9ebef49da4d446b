/**
 * `purplebook translate`: layers, technique lists and own rules made on an older ATT&CK,
 * translated into the release the knowledge base holds.
 */
import { fileProblem } from '../core/errors.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Command } from 'commander';
import { LayerInputError, translateLayer, type EntryChange } from '../crosswalk/layer.js';
import { parseCrosswalkInput } from '../crosswalk/input.js';
import { ReleaseError, releaseFromFolder, releaseFromKb, type Release } from '../crosswalk/release.js';
import { Crosswalk, majorOf, translated, type Translation } from '../crosswalk/translate.js';
import {
  renderCrosswalkJson, renderCrosswalkList, renderCrosswalkMarkdown, summaryLine, untranslatedLines, type CrosswalkReport,
} from '../render/crosswalk.js';
import { normalizeTechniqueId } from '../resolve.js';
import { CliError, dbOption, EXIT_BAD_INPUT, formatOf, out, withKb } from './common.js';
import { loadRules } from './own-rules.js';
import { collect } from './common.js';

/** Some ids of the input have no counterpart in the loaded ATT&CK (listed on stderr). */
export const EXIT_UNTRANSLATED = 4;

const FORMATS = ['layer', 'list', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

/** A layer or list is small; anything bigger than this is not what the user meant to give. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

interface TranslateOpts {
  from?: string;
  format?: string;
  json?: boolean;
  rules?: string[];
  quiet?: boolean;
  db?: string;
}

const INPUT_EXPECTED = 'a Navigator layer, a list of layers or a technique list';

function readInput(file: string): string {
  const name = file === '-' ? 'stdin' : file;
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    throw new CliError(`${name} ${fileProblem(e, INPUT_EXPECTED) ?? `cannot be read: ${(e as Error).message}`}`, EXIT_BAD_INPUT);
  }
  try {
    if (file !== '-' && fstatSync(fd).isDirectory()) throw new CliError(`${name} is a folder, expected ${INPUT_EXPECTED} (or --rules for a rules folder)`, EXIT_BAD_INPUT);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw new CliError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_BAD_INPUT);
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_INPUT_BYTES) throw new CliError(`${name} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MB: not a layer or technique list`, EXIT_BAD_INPUT);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      throw new CliError(`${name} is not UTF-8 text`, EXIT_BAD_INPUT);
    }
  } finally {
    if (file !== '-') closeSync(fd);
  }
}

/** The format asked (`--format`, `--json`), else the input's natural one. */
function parseFormat(raw: TranslateOpts, fallback: Format): Format {
  return formatOf({ format: raw.format?.trim(), json: raw.json }, FORMATS, fallback) as Format;
}

function olderRelease(dir: string | undefined): Release | undefined {
  if (!dir) return undefined;
  try {
    return releaseFromFolder(dir);
  } catch (e) {
    if (e instanceof ReleaseError) throw new CliError(`--from ${e.message}`, EXIT_BAD_INPUT);
    throw e;
  }
}

export function registerTranslate(program: Command): void {
  program.command('translate')
    .description('translate a Navigator layer, a technique list or own rules from an older ATT&CK into the loaded one (revoked ids followed, tactics re-derived)')
    .argument('[file]', 'a Navigator layer (4.x), a list of layers, or text with technique ids; - reads stdin')
    .option('--from <dir>', 'the older ATT&CK the input was made on: a folder of STIX bundles (e.g. ../shared/attack-18.1) or a data folder; explains renames, tactic moves and new sub-techniques')
    .option('--format <format>', `${FORMATS.join(', ')} (default: layer for a layer, list for a list, markdown for --rules)`)
    .option('--json', 'same as --format json')
    .option('--rules <path>', 'own rules (folder or file) whose technique tags to translate; repeatable', collect)
    .option('-q, --quiet', 'no summary on stderr')
    .addOption(dbOption())
    .action(async (file: string | undefined, raw: TranslateOpts) => {
      if (!file && !raw.rules?.length) throw new CliError('translate needs a FILE (or - for stdin) or --rules PATH', EXIT_BAD_INPUT);
      if (file && raw.rules?.length) throw new CliError('give either a FILE or --rules, not both', EXIT_BAD_INPUT);
      const from = olderRelease(raw.from);
      const failure = await withKb(raw.db, async (kb): Promise<string | undefined> => {
        const cw = new Crosswalk(releaseFromKb(kb), from);
        const to = cw.toLabel;
        const note = (line: string) => {
          if (!raw.quiet) process.stderr.write(`${line}\n`);
        };

        let report: CrosswalkReport;
        let layerOut: unknown;
        let format: Format;
        if (raw.rules?.length) {
          const set = loadRules(raw.rules)!;
          if (!set.rules.length) throw new CliError(`no rules found in ${raw.rules.join(', ')} (${set.files} files looked at)`, EXIT_BAD_INPUT);
          format = parseFormat(raw, 'markdown');
          if (format === 'layer') throw new CliError('--format layer needs a layer as input; rules give markdown, json or list', EXIT_BAD_INPUT);
          const rules = set.rules.map((r) => ({ file: r.file, title: r.title, ids: [...new Set(r.techniqueIds.map(normalizeTechniqueId))] }));
          report = { from: cw.fromLabel, to, input: raw.rules.join(', '), translations: cw.translateAll(rules.flatMap((r) => r.ids)), rules, warnings: [] };
        } else {
          let input;
          try {
            input = parseCrosswalkInput(readInput(file!));
          } catch (e) {
            if (e instanceof LayerInputError) throw new CliError(`${file === '-' ? 'stdin' : file}: ${e.message}`, EXIT_BAD_INPUT);
            throw e;
          }
          const name = file === '-' ? 'stdin' : file!;
          if (input.kind === 'list') {
            format = parseFormat(raw, 'list');
            if (format === 'layer') throw new CliError(`${name} is a technique list: --format layer needs a layer as input (use list, json or markdown)`, EXIT_BAD_INPUT);
            report = { from: cw.fromLabel, to, input: name, translations: cw.translateAll(input.ids), warnings: [] };
          } else {
            format = parseFormat(raw, 'layer');
            const results = input.layers.map((l) => translateLayer(l, cw));
            const byId = new Map<string, Translation>();
            for (const t of results.flatMap((x) => x.translations)) if (!byId.has(t.id)) byId.set(t.id, t);
            const layerVersion = results.find((x) => x.layerVersion)?.layerVersion;
            const entries: EntryChange[] = results.flatMap((x) => x.changes);
            report = {
              from: cw.fromLabel ?? (layerVersion ? `ATT&CK ${layerVersion}` : undefined), to, input: name,
              translations: [...byId.values()], entries, warnings: [...new Set(results.flatMap((x) => x.warnings))],
            };
            layerOut = input.single ? results[0]!.layer : results.map((x) => x.layer);
            if (from && layerVersion && majorOf(layerVersion) !== majorOf(from.version)) {
              report.warnings.push(`the layer says ATT&CK ${layerVersion}, --from holds ${from.version}: the explanations compare ${from.version} with ${kb.attackVersion}`);
            }
          }
        }

        if (format === 'layer') await out(`${JSON.stringify(layerOut, null, 1)}\n`);
        else if (format === 'list') await out(renderCrosswalkList(report));
        else if (format === 'json') await out(renderCrosswalkJson(report, layerOut));
        else await out(renderCrosswalkMarkdown(report));

        // Machine formats keep stdout clean: the summary and what did not translate go to stderr.
        if (format === 'layer' || format === 'list') {
          for (const w of report.warnings) note(`purplebook: ${w}`);
          note(`purplebook: ${summaryLine(report)}`);
          for (const line of untranslatedLines(report)) note(`  ${line}`);
        }
        const missing = report.translations.filter((t) => !translated(t)).length;
        return missing ? `${missing} of ${report.translations.length} technique ids could not be translated into ${to}` : undefined;
      });
      if (failure) throw new CliError(failure, EXIT_UNTRANSLATED);
    });
}
