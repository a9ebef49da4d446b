/**
 * Rule logic on technique pages: hostile logic on a hand-made page stays text in HTML (collapsed,
 * with a copy button) and in `show --logic` markdown (a fence no text can close); then, on the real
 * data, the Sigma detection block and an Elastic query shown on T1059.001 are those of the
 * upstream files, and `show` prints logic only with --logic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { parse as parseToml } from 'smol-toml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import type { Page, PageItem } from '../../src/page/types.js';
import { renderPageBody } from '../../src/render/html.js';
import { itemView } from '../../src/render/item-view.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { DATA_DIR, cli } from '../helpers.js';

const HOSTILE = 'selection:\n  CommandLine|contains: "<script>alert(1)</script>"\n  x: "```\\n# not a heading"\ncondition: selection';

function pageWith(items: PageItem[]): Page {
  return {
    id: 'T1', name: 'One', domain: 'enterprise-attack', tactics: ['Execution'], platforms: ['Windows'], url: 'https://attack.mitre.org/techniques/T1',
    description: 'd', status: 'active', replacedBy: [], parent: null, subtechniques: [], attackVersion: '19.1',
    summary: { policy_volume: 0, detection_volume: items.length, guidance_volume: 0, test_volume: 0, validation: 'detectable, no public test' },
    sections: [{
      pillar: 'detection', title: 'Detections', sources: [{
        source: 'sigma', title: 'Sigma', url: 'https://github.com/SigmaHQ/sigma', accessed: null, accessedFrom: 'manifest', commit: null, total: 1,
        count: items.length, guidance: 0, viaSubtechniques: 0, assessedNotMappable: false, attackVersions: [], techniquePage: null, summaryFields: [], items,
      }],
    }],
  };
}

describe('rule logic on a hand-made page', () => {
  const item: PageItem = { id: 'r1', name: 'Rule one', url: null, kind: 'rule', logic: { language: 'sigma', text: HOSTILE }, meta: { query: HOSTILE } };
  const page = pageWith([item]);

  it('HTML: collapsed, escaped, labelled by language, once (a meta field with the same text is not repeated)', () => {
    const view = itemView(item, page.sections[0]!.sources[0]!);
    expect(view.code).toEqual([{ label: 'Sigma detection', text: HOSTILE }]);
    const html = renderPageBody(page, { base: '' });
    expect(html).toContain('<details class="code"><summary>Sigma detection</summary>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html.split('Sigma detection').length - 1).toBe(1);
  });

  it('markdown: only with logic, in a fence longer than any backtick run of the text, indented under its item', () => {
    expect(renderMarkdown(page)).not.toContain('alert(1)');
    const md = renderMarkdown(page, { logic: true });
    const lines = md.split('\n');
    const open = lines.findIndex((l) => l === '    ````yaml');
    expect(open).toBeGreaterThan(0);
    expect(lines[open - 2]).toBe('  * Sigma detection:');
    const close = lines.indexOf('    ````', open + 1);
    expect(lines.slice(open + 1, close)).toEqual(HOSTILE.split('\n').map((l) => `    ${l}`));
    // Unknown languages get a plain label and fence; empty logic shows nothing.
    const other = renderMarkdown(pageWith([{ ...item, logic: { language: 'yara-l', text: 'rule x {}' } }, { ...item, id: 'r2', logic: { language: 'spl', text: '  ' } }]), { logic: true });
    expect(other).toContain('  * Rule logic (yara-l):\n\n    ```\n    rule x {}\n    ```');
    expect(other.match(/Rule logic|Search \(SPL\)/g)).toEqual(['Rule logic']);
  });
});

describe('rule logic on the real data', () => {
  const kbPath = inject('kbPath');
  const kb = KnowledgeBase.open(kbPath);
  afterAll(() => kb.close());
  const page = buildPage(kb, 'T1059.001')!;
  const items = (source: string) => page.sections.flatMap((s) => s.sources).find((s) => s.source === source)!.items;

  it('a Sigma rule shows its detection block: the condition and selections of the upstream file', () => {
    const withLogic = items('sigma').filter((i) => i.logic);
    expect(withLogic.length).toBe(items('sigma').length);
    const rule = withLogic.find((i) => i.url?.includes('/rules/windows/'))!;
    const path = decodeURIComponent(new URL(rule.url!).pathname.split('/blob/')[1]!.split('/').slice(1).join('/'));
    const upstream = loadYaml(readFileSync(join(DATA_DIR, 'sigma', path), 'utf8')) as { detection: Record<string, unknown> };
    const shown = loadYaml(rule.logic!.text) as { detection: Record<string, unknown> };
    expect(rule.logic!.language).toBe('sigma');
    expect(shown.detection).toEqual(upstream.detection);
  });

  it('an Elastic rule shows its query as the TOML file has it', () => {
    const rule = items('elastic').find((i) => i.logic && i.url)!;
    const path = decodeURIComponent(new URL(rule.url!).pathname.split('/blob/')[1]!.split('/').slice(1).join('/'));
    const upstream = parseToml(readFileSync(join(DATA_DIR, 'elastic', path), 'utf8')) as { rule: { query: string; language: string } };
    expect(rule.logic!.text.trim()).toBe(upstream.rule.query.trim());
    expect(rule.logic!.language).toBe(upstream.rule.language);
  });

  it('show prints logic only with --logic', () => {
    const plain = cli(['show', 'T1059.001', '--db', kbPath]);
    const withLogic = cli(['show', 'T1059.001', '--logic', '--db', kbPath]);
    expect([plain.code, withLogic.code]).toEqual([0, 0]);
    expect(plain.stdout).not.toContain('* Sigma detection:');
    const blocks = withLogic.stdout.split('\n').filter((l) => l === '  * Sigma detection:').length;
    // Sigma rules, and the rules of other sources written in Sigma (Atomic Threat Coverage).
    const sigmaLogic = page.sections.flatMap((x) => x.sources).flatMap((x) => x.items).filter((i) => i.logic?.language === 'sigma' && i.logic.text.trim());
    expect(sigmaLogic.length).toBeGreaterThan(items('sigma').length);
    expect(blocks).toBe(sigmaLogic.length);
  });
});
