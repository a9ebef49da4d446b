/**
 * The version crosswalk for assistants: technique ids or a Navigator layer made on an older ATT&CK,
 * translated into the knowledge base's release, as `purplebook translate --format json`. The
 * older release (`--from`) is a path, so it is not offered: the loaded release's revocations drive it.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { LayerInputError, translateLayer } from '../crosswalk/layer.js';
import { releaseFromKb } from '../crosswalk/release.js';
import { Crosswalk } from '../crosswalk/translate.js';
import { crosswalkJson, summaryLine, untranslatedLines, type CrosswalkReport } from '../render/crosswalk.js';
import { remember, type McpContext } from './context.js';
import { ToolInputError } from './errors.js';
import { registerTool } from './tool.js';

/** Ids per call: a whole matrix is ~700; more is not a list a person made. */
export const TRANSLATE_MAX_IDS = 5000;

export function registerCrosswalkTools(server: McpServer, ctx: McpContext): void {
  registerTool(server, ctx, 'translate', {
    title: 'Translate from an older ATT&CK',
    description: 'Technique ids or an ATT&CK Navigator layer made on an older ATT&CK release, translated into the loaded release '
      + '(revoked ids carried to their replacements, splits and merges stated, deprecated and unknown ids listed, layer tactics re-derived '
      + 'such as defense-evasion → stealth or defense-impairment), as `purplebook translate --format json`. Give ids or layer, not both. '
      + `At most ${TRANSLATE_MAX_IDS} ids or layer entries.`,
    input: {
      ids: z.array(z.string().min(1).max(50)).max(TRANSLATE_MAX_IDS).optional().describe('technique ids as written (T1562.001, attack.t1070.001)'),
      layer: z.record(z.string(), z.unknown()).optional().describe('a Navigator layer document (with its "techniques" list)'),
    },
  }, (gen, a) => {
    if ((a.ids === undefined) === (a.layer === undefined)) throw new ToolInputError('give either ids or layer');
    const cw = remember(gen, 'crosswalk', () => new Crosswalk(releaseFromKb(gen.kb)));
    let report: CrosswalkReport;
    let layer: unknown;
    if (a.ids) {
      report = { to: cw.toLabel, input: 'ids', translations: cw.translateAll(a.ids), warnings: [] };
    } else {
      const entries = a.layer!.techniques;
      if (Array.isArray(entries) && entries.length > TRANSLATE_MAX_IDS) throw new ToolInputError(`the layer has ${entries.length} entries; at most ${TRANSLATE_MAX_IDS}`);
      try {
        const r = translateLayer(a.layer, cw);
        report = { from: r.layerVersion ? `ATT&CK ${r.layerVersion}` : undefined, to: cw.toLabel, input: 'layer', translations: r.translations, entries: r.changes, warnings: r.warnings };
        layer = r.layer;
      } catch (e) {
        if (e instanceof LayerInputError) throw new ToolInputError(e.message);
        throw e;
      }
    }
    const text = [summaryLine(report), ...untranslatedLines(report), ...report.translations.filter((t) => t.outcome === 'replaced').map((t) => `${t.id} → ${t.ids.join(', ')}`)];
    return { data: crosswalkJson(report, layer), text: text.join('\n') };
  });
}
