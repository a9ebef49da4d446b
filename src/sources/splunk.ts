/**
 * Splunk Security Content (splunk/security_content): one resource per detection YAML under
 * `detections/`. ATT&CK ids come from `tags.mitre_attack_id` (a list; `null` means none).
 * Deprecated: `status: deprecated` or a file under `detections/deprecated/`.
 * Analytic stories (`stories/*.yml`) are not resources of their own (they carry no ATT&CK
 * mapping); each story file notes its name, and once every file is read the story names a
 * detection lists are linked to the story's page on research.splunk.com, whose slug is the story
 * file's name. (Every file is read on its own, so the build can cache it and read it in another
 * thread.)
 */
import { namedLogSources, ruleLogic } from './lib/logic.js';
import type { LoadContext, ResourceRecord, Source, TechniqueRef } from './types.js';
import { matchingFiles, readDocument } from './lib/file-source.js';
import { capList as capListTo, isRecord as isMap, metaSetter, str, trimmedList, typeName, type Mapping as YamlMap } from './lib/values.js';
import { githubBlob, oneLine } from './lib/links.js';

const REPO = 'splunk/security_content';
const DEFAULT_REF = 'develop';
const FOLDER = 'splunk';
const RESEARCH = 'https://research.splunk.com';
const DETECTION_FILE = /^detections\/(?:[^/]+\/)*[^/]+\.yml$/;
const STORY_FILE = /^stories\/[^/]+\.yml$/;
const DEPRECATED_DIR = 'deprecated';
/** research.splunk.com pages are `/<top folder>/<detection id>/`; only plain ids make a safe path. */
const SAFE_ID = /^[A-Za-z0-9-]+$/;
const LIST_MAX = 20;
const AUTHOR_MAX = 200;

const capList = (list: string[]) => capListTo(list, LIST_MAX);

/**
 * The strings of a list field. `null`/absent is an empty list (upstream writes `mitre_attack_id:`
 * with no value when a detection has no technique); any other non-list, and non-string entries,
 * are reported through `problem`.
 */
export function splunkList(value: unknown, field: string, problem: (p: string) => void): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problem(`\`${field}\` is a ${typeName(value)}, not a list: ignored`);
    return [];
  }
  if (value.some((x) => typeof x !== 'string')) problem(`\`${field}\` holds entries that are not strings: they are ignored`);
  return trimmedList(value);
}

/**
 * The research.splunk.com slug of a story name: lower case, every character other than a letter
 * or digit becomes `_` (`Masquerading - Rename System Utilities` → `masquerading___rename_system_utilities`);
 * upstream names its story files the same way.
 */
export function splunkStorySlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '_');
}

/** Story name → story file stem (the research.splunk.com slug), for the stories that have a file. */
class StoryIndex {
  private readonly byName = new Map<string, string>();
  private readonly stems = new Set<string>();

  addFile(stem: string): void {
    this.stems.add(stem);
  }

  addName(name: string, stem: string): void {
    if (!this.byName.has(name)) this.byName.set(name, stem);
  }

  /** A story whose file did not parse still has its page: its slug names an existing file. */
  stem(name: string): string | undefined {
    const slug = splunkStorySlug(name);
    return this.byName.get(name) ?? (this.stems.has(slug) ? slug : undefined);
  }
}

/** What a story file tells the detections: its file stem, and the story's name when it has one. */
interface StoryNote {
  stem: string;
  name?: string;
}

/** A story file's note; a story whose file does not parse still has its page (its slug names the file). */
function readStory(ctx: LoadContext, file: string): void {
  const stem = file.slice(`${FOLDER}/stories/`.length, -'.yml'.length);
  const note: StoryNote = { stem };
  const doc = readDocument(ctx, file, 'yaml');
  if (doc !== undefined) {
    const name = isMap(doc) ? str(doc.name) : undefined;
    if (name) note.name = name;
    else ctx.warn(file, 'not an analytic story: no `name`');
  }
  ctx.note?.(note);
}

function storyIndex(notes: unknown[]): StoryIndex {
  const stories = new StoryIndex();
  for (const n of notes) {
    if (!isMap(n) || typeof n.stem !== 'string') continue;
    stories.addFile(n.stem);
    if (typeof n.name === 'string') stories.addName(n.name, n.stem);
  }
  return stories;
}

export function splunkStoryUrl(stem: string): string {
  return `${RESEARCH}/stories/${encodeURIComponent(stem)}/`;
}

/** `https://research.splunk.com/<top folder>/<id>/`, the site's page for a detection. */
export function splunkResearchUrl(pathInRepo: string, id: string | undefined): string | undefined {
  const folders = pathInRepo.split('/').slice(1, -1);
  if (!id || !SAFE_ID.test(id) || !folders.length) return undefined;
  return `${RESEARCH}/${encodeURIComponent(folders[0]!)}/${id}/`;
}

const STRING_FIELDS = ['id', 'type', 'status', 'author', 'date', 'description'] as const;

function checkFieldTypes(doc: YamlMap, warn: (p: string) => void): void {
  for (const k of STRING_FIELDS) {
    if (doc[k] !== undefined && doc[k] !== null && typeof doc[k] !== 'string') warn(`\`${k}\` is a ${typeName(doc[k])}, not a string: ignored`);
  }
}

/** Story name → page, for the stories that have a file (deprecated ones often do not). */
function storyUrls(names: string[], stories: StoryIndex): Record<string, string> {
  // fromEntries defines own properties, so a story called `__proto__` stays a plain key.
  return Object.fromEntries(names.flatMap((n) => {
    const stem = stories.stem(n);
    return stem ? [[n, splunkStoryUrl(stem)]] : [];
  }));
}

/** `meta` with `storyUrls` after `analyticStories`, for the stories a detection lists that have a page. */
function withStoryUrls(meta: YamlMap, stories: StoryIndex): YamlMap {
  const names = Array.isArray(meta.analyticStories) ? (meta.analyticStories as string[]).slice(0, LIST_MAX) : [];
  const urls = storyUrls(names, stories);
  if (!Object.keys(urls).length) return meta;
  const out: YamlMap = {};
  for (const [k, v] of Object.entries(meta)) {
    out[k] = v;
    if (k === 'analyticStories') out.storyUrls = urls;
  }
  return out;
}

function metaOf(doc: YamlMap, tags: YamlMap, lists: { dataSource: string[]; stories: string[]; cve: string[] }, researchUrl: string | undefined): YamlMap {
  const meta: YamlMap = {};
  const set = metaSetter(meta);
  set('id', str(doc.id));
  set('type', str(doc.type));
  set('status', str(doc.status));
  set('securityDomain', str(tags.security_domain));
  set('dataSource', capList(lists.dataSource));
  meta.language = 'SPL';
  if (typeof tags.risk_score === 'number') meta.riskScore = tags.risk_score;
  set('analyticStories', capList(lists.stories));
  set('cve', capList(lists.cve));
  const author = str(doc.author);
  set('author', author ? oneLine(author, AUTHOR_MAX) : undefined);
  set('date', str(doc.date)?.replace(/^(\d{4})[/.](\d{2})[/.](\d{2})$/, '$1-$2-$3'));
  if (typeof doc.version === 'number') meta.version = doc.version;
  set('researchUrl', researchUrl);
  return meta;
}

function detectionRecord(ctx: LoadContext, file: string, doc: unknown): ResourceRecord | undefined {
  if (!isMap(doc) || !str(doc.name)) {
    ctx.warn(file, isMap(doc) ? 'not a detection: no `name`' : `not a detection: the document is a ${typeName(doc)}`);
    return undefined;
  }
  const warn = (p: string) => ctx.warn(file, p);
  checkFieldTypes(doc, warn);
  let tags: YamlMap = {};
  if (isMap(doc.tags)) tags = doc.tags;
  else if (doc.tags !== undefined && doc.tags !== null) warn(`\`tags\` is a ${typeName(doc.tags)}, not a mapping: ignored`);
  const techniques: TechniqueRef[] = splunkList(tags.mitre_attack_id, 'tags.mitre_attack_id', warn).map((id) => ({ id }));
  // Two upstream files spell the field `data_sources`.
  const dataSourceField = doc.data_source === undefined && doc.data_sources !== undefined ? 'data_sources' : 'data_source';
  const lists = {
    dataSource: splunkList(doc[dataSourceField], dataSourceField, warn),
    stories: splunkList(tags.analytic_story, 'tags.analytic_story', warn),
    cve: splunkList(tags.cve, 'tags.cve', warn),
  };
  const pathInRepo = file.slice(FOLDER.length + 1);
  const breadcrumb = pathInRepo.split('/').slice(1, -1);
  const id = str(doc.id);
  return {
    key: pathInRepo,
    upstreamId: id,
    title: oneLine(doc.name),
    url: githubBlob(REPO, ctx.provenance, DEFAULT_REF, pathInRepo),
    breadcrumb,
    description: oneLine(doc.description),
    deprecated: breadcrumb[0] === DEPRECATED_DIR || str(doc.status)?.toLowerCase() === 'deprecated',
    file,
    meta: metaOf(doc, tags, lists, splunkResearchUrl(pathInRepo, id)),
    facets: { logSources: namedLogSources('splunk', lists.dataSource) },
    logic: ruleLogic('spl', doc.search),
    techniques,
  };
}

function loadDetection(ctx: LoadContext, file: string): ResourceRecord | undefined {
  const doc = readDocument(ctx, file, 'yaml');
  return doc === undefined ? undefined : detectionRecord(ctx, file, doc);
}

export const splunkSource: Source = {
  name: 'splunk',
  title: 'Splunk Security Content',
  pillar: 'detection',
  order: 30,
  homepage: `${RESEARCH}/`,
  folder: FOLDER,
  upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: ['detections/**/*.yml', 'stories/*.yml'] },
  license: 'Apache-2.0',
  resourceKind: 'Splunk ESCU detection (one YAML file; SPL search)',
  mapsVia: '`tags.mitre_attack_id` (list of technique ids)',
  summaryFields: ['type', 'status', 'dataSource'],
  detectionKind: { kind: 'rule', why: 'an ESCU detection is an SPL `search` that Splunk runs' },
  perFile: {
    // Stories first, as their warnings always came first.
    files: (ctx) => [STORY_FILE, DETECTION_FILE].flatMap((re) => matchingFiles(ctx, FOLDER, (path) => re.test(path))),
    read(ctx, file) {
      if (STORY_FILE.test(file.slice(FOLDER.length + 1))) {
        readStory(ctx, file);
        return [];
      }
      const record = loadDetection(ctx, file);
      return record ? [record] : [];
    },
    finish(_ctx, records, notes) {
      const stories = storyIndex(notes);
      for (const r of records) if (r.meta) r.meta = withStoryUrls(r.meta, stories);
    },
  },
};
