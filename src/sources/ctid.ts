/**
 * Center for Threat-Informed Defense Mappings Explorer: one source per mapped framework (NIST
 * 800-53, cloud security stacks, CRI Profile, CSA CCM, VERIS, CISA KEV, Intel vPro), all in the
 * unified `mapex` JSON format (`ctid/schema/mapex-unified-data-schema.json`).
 *
 * Choices worth knowing:
 * - One resource per capability (control, cloud service, CVE…), keyed by its trimmed id: upstream
 *   ids carry stray spaces (`AC-4 `). A framework published for several ATT&CK domains (VERIS,
 *   KEV) gives one resource per capability across its files.
 * - One TechniqueRef per mapping row. `relation` is the row's `mapping_type`, except for scored
 *   mappings (cloud stacks, M365, Intel vPro) where it is the score: `protect: significant`,
 *   plus `via <mapping type name>` when the type says more than "technique score" (Intel vPro
 *   names the Windows / CrowdStrike feature that uses the hardware capability).
 * - `non_mappable` rows are assessments, not controls. Those that name a technique become
 *   `relation: 'non_mappable'` refs on ONE synthetic record per source (key `#non-mappable`,
 *   one per source rather than per file so the key stays unique; `meta.assessmentOnly`). Those
 *   that name a capability but no technique ("this control maps to nothing in ATT&CK") are
 *   only counted there (`meta.unmappedCapabilities`).
 * - Every ref carries the ATT&CK version the file was mapped for (`metadata.attack_version`).
 */
import { join } from 'node:path';
import { walkFiles } from './lib/files.js';
import { readDocument } from './lib/file-source.js';
import { isRecord as isObj, str, type Mapping as Obj } from './lib/values.js';
import { githubBlob, oneLine } from './lib/links.js';
import type { LoadContext, ResourceRecord, Source, TechniqueRef } from './types.js';

const REPO = 'center-for-threat-informed-defense/mappings-explorer';
const DEFAULT_REF = 'main';
const SITE = 'https://center-for-threat-informed-defense.github.io/mappings-explorer/';
const FOLDER = 'ctid';
const FILE_NAME = /_attack-[^/]+-(enterprise|mobile|ics)\.json$/;

/** How a capability's title is built: the description is the product name for cloud stacks. */
type TitleStyle = 'id-desc' | 'desc' | 'id';

interface Framework {
  name: string;
  order: number;
  title: string;
  /** Folder under `ctid/` (and under `mappings/` upstream). */
  dir: string;
  /** Framework-version folder when one `dir` holds several sources (NIST rev4 / rev5). */
  versionDir?: string;
  /** Project id in the Mappings Explorer site URLs. */
  siteId: string;
  /** ATT&CK version of the snapshot's file, for the technique page link. */
  attackVersion: string;
  paths: string[];
  titleStyle: TitleStyle;
  resourceKind: string;
  /** Meta fields for the item line; cloud services are their own group, so they show none. */
  summaryFields: string[];
  cve?: boolean;
}

const CAP_GROUP = ['capabilityGroup'];

export const CTID_FRAMEWORKS: readonly Framework[] = [
  {
    name: 'ctid-nist-800-53-rev5', order: 30, title: 'NIST 800-53 rev5 (CTID Mappings Explorer)', dir: 'nist_800_53',
    versionDir: 'nist_800_53-rev5', siteId: 'nist', attackVersion: '16.1', titleStyle: 'id-desc',
    paths: ['mappings/nist_800_53/attack-16.1/nist_800_53-rev5/enterprise/nist_800_53-rev5_attack-16.1-enterprise.json'],
    resourceKind: 'NIST SP 800-53 rev5 security control', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-nist-800-53-rev4', order: 31, title: 'NIST 800-53 rev4 (CTID Mappings Explorer)', dir: 'nist_800_53',
    versionDir: 'nist_800_53-rev4', siteId: 'nist', attackVersion: '14.1', titleStyle: 'id-desc',
    paths: ['mappings/nist_800_53/attack-14.1/nist_800_53-rev4/enterprise/nist_800_53-rev4_attack-14.1-enterprise.json'],
    resourceKind: 'NIST SP 800-53 rev4 security control', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-aws', order: 32, title: 'AWS (CTID Mappings Explorer)', dir: 'aws', siteId: 'aws', attackVersion: '16.1',
    titleStyle: 'desc', paths: ['mappings/aws/attack-16.1/aws-12.12.2024/enterprise/aws-12.12.2024_attack-16.1-enterprise.json'],
    resourceKind: 'AWS native security capability (scored protect / detect / respond)', summaryFields: [],
  },
  {
    name: 'ctid-azure', order: 33, title: 'Azure (CTID Mappings Explorer)', dir: 'azure', siteId: 'azure', attackVersion: '16.1',
    titleStyle: 'desc', paths: ['mappings/azure/attack-16.1/azure-04.26.2025/enterprise/azure-04.26.2025_attack-16.1-enterprise.json'],
    resourceKind: 'Azure native security capability (scored protect / detect / respond)', summaryFields: [],
  },
  {
    name: 'ctid-gcp', order: 34, title: 'Google Cloud (CTID Mappings Explorer)', dir: 'gcp', siteId: 'gcp', attackVersion: '16.1',
    titleStyle: 'desc', paths: ['mappings/gcp/attack-16.1/gcp-03.06.2025/enterprise/gcp-03.06.2025_attack-16.1-enterprise.json'],
    resourceKind: 'Google Cloud native security capability (scored protect / detect / respond)', summaryFields: [],
  },
  {
    name: 'ctid-m365', order: 35, title: 'Microsoft 365 (CTID Mappings Explorer)', dir: 'm365', siteId: 'm365', attackVersion: '16.1',
    titleStyle: 'id-desc', paths: ['mappings/m365/attack-16.1/m365-07.18.2025/enterprise/m365-07.18.2025_attack-16.1-enterprise.json'],
    resourceKind: 'Microsoft 365 security capability per license (scored protect / detect / respond)', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-cri-profile', order: 36, title: 'CRI Profile (CTID Mappings Explorer)', dir: 'cri_profile', siteId: 'cri_profile',
    attackVersion: '16.1', titleStyle: 'id-desc',
    paths: ['mappings/cri_profile/attack-16.1/cri_profile-v2.1/enterprise/cri_profile-v2.1_attack-16.1-enterprise.json'],
    resourceKind: 'Cyber Risk Institute Profile diagnostic statement', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-csa-ccm', order: 37, title: 'CSA Cloud Controls Matrix (CTID Mappings Explorer)', dir: 'csa_ccm', siteId: 'csa_ccm',
    attackVersion: '17.1', titleStyle: 'id-desc',
    paths: ['mappings/csa_ccm/attack-17.1/csa_ccm-4.1/enterprise/csa_ccm-4.1_attack-17.1-enterprise.json'],
    resourceKind: 'Cloud Security Alliance CCM control', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-veris', order: 38, title: 'VERIS (CTID Mappings Explorer)', dir: 'veris', siteId: 'veris', attackVersion: '16.1',
    titleStyle: 'id',
    paths: ['enterprise', 'ics', 'mobile'].map((d) => `mappings/veris/attack-16.1/veris-1.4.0/${d}/veris-1.4.0_attack-16.1-${d}.json`),
    resourceKind: 'VERIS incident vocabulary enumeration', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-kev', order: 39, title: 'CISA KEV (CTID Mappings Explorer)', dir: 'kev', siteId: 'kev', attackVersion: '16.1',
    titleStyle: 'id-desc', cve: true,
    paths: ['enterprise', 'mobile'].map((d) => `mappings/kev/attack-16.1/kev-07.28.2025/${d}/kev-07.28.2025_attack-16.1-${d}.json`),
    resourceKind: 'Known Exploited Vulnerability (CVE): how it is exploited and its impact', summaryFields: CAP_GROUP,
  },
  {
    name: 'ctid-intel-vpro', order: 40, title: 'Intel vPro (CTID Mappings Explorer)', dir: 'intel-vpro', siteId: 'intel-vpro',
    attackVersion: '15.1', titleStyle: 'desc',
    paths: ['mappings/intel-vpro/attack-15.1/intel-vpro-08.20.2024/enterprise/intel-vpro-08.20.2024_attack-15.1-enterprise.json'],
    resourceKind: 'Intel vPro hardware security capability, as used by an OS / EDR feature (scored)', summaryFields: CAP_GROUP,
  },
];

// ---------------------------------------------------------------------------------------------
// Files

/** Data-dir-relative mapping files of one framework, sorted (enterprise, ics, mobile). */
export function frameworkFiles(dataDir: string, fw: Framework): string[] {
  const root = join(dataDir, FOLDER, fw.dir);
  return walkFiles(root, (name, rel) => {
    const seg = rel.split('/');
    if (seg.length !== 4 || !seg[0]!.startsWith('attack-') || !FILE_NAME.test(name)) return false;
    return fw.versionDir ? seg[1] === fw.versionDir : seg[1]!.startsWith(`${fw.dir}-`);
  }).map((rel) => `${FOLDER}/${fw.dir}/${rel}`);
}

interface FileLayout {
  attackVersion?: string;
  frameworkVersion?: string;
  domain?: string;
}

/** `ctid/<dir>/attack-16.1/<dir>-rev5/enterprise/<name>.json` → its versions and domain. */
function layoutOf(file: string, fw: Framework): FileLayout {
  const seg = file.split('/');
  if (seg.length !== 6) return {};
  return {
    attackVersion: seg[2]!.replace(/^attack-/, ''),
    frameworkVersion: seg[3]!.startsWith(`${fw.dir}-`) ? seg[3]!.slice(fw.dir.length + 1) : undefined,
    domain: seg[4],
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing




interface Capability {
  id: string;
  description?: string;
  group?: string;
  groupLabel?: string;
  file: string;
  url: string;
  domains: Set<string>;
  mappingTypes: Set<string>;
  references: Set<string>;
  techniques: TechniqueRef[];
}

interface Accumulator {
  capabilities: Map<string, Capability>;
  nonMappable: TechniqueRef[];
  nonMappableFile?: string;
  unmappedCapabilities: Set<string>;
  framework?: string;
  frameworkVersion?: string;
  attackVersion?: string;
}

interface FileContext {
  fw: Framework;
  file: string;
  layout: FileLayout;
  metadata: Obj;
  attackVersion?: string;
  frameworkVersion?: string;
  domain?: string;
  /** GitHub link of the file, when no Mappings Explorer page can be derived. */
  fileUrl: string;
}

function mappingTypeName(metadata: Obj, type: string): string {
  const types = metadata.mapping_types;
  const entry = isObj(types) ? types[type] : undefined;
  return (isObj(entry) && str(entry.name)) || type;
}

/** Relation of one mapping row; scored rows are named by their score (see module comment). */
export function relationOf(row: Obj, metadata: Obj): string | undefined {
  const type = str(row.mapping_type);
  const score = [str(row.score_category), str(row.score_value)].filter(Boolean).join(': ');
  if (!score) return type;
  return type && !/^technique_scores?$/.test(type) ? `${score} via ${mappingTypeName(metadata, type)}` : score;
}

function isNonMappable(row: Obj): boolean {
  return row.status === 'non_mappable' || row.mapping_type === 'non_mappable';
}

function capabilityUrl(fc: FileContext, id: string): string {
  if (fc.fw.cve && /^CVE-\d{4}-\d+$/i.test(id)) return `https://nvd.nist.gov/vuln/detail/${id.toUpperCase()}`;
  const { attackVersion, frameworkVersion, domain } = fc.layout;
  if (fc.fw.cve || !attackVersion || !frameworkVersion || !domain) return fc.fileUrl;
  // The site names a capability's folder after its id with spaces turned into underscores.
  const slug = encodeURIComponent(id.replace(/ /g, '_'));
  return `${SITE}external/${fc.fw.siteId}/attack-${attackVersion}/domain-${domain}/${fc.fw.siteId}-${frameworkVersion}/${slug}/`;
}

function capabilityFor(acc: Accumulator, fc: FileContext, row: Obj, id: string): Capability {
  let cap = acc.capabilities.get(id);
  if (!cap) {
    const group = str(row.capability_group);
    const groups = fc.metadata.capability_groups;
    cap = {
      id, description: str(row.capability_description), group,
      groupLabel: group && isObj(groups) ? str(groups[group]) ?? group : group,
      file: fc.file, url: capabilityUrl(fc, id), domains: new Set(), mappingTypes: new Set(), references: new Set(),
      techniques: [],
    };
    acc.capabilities.set(id, cap);
  }
  return cap;
}

function techniqueRef(row: Obj, attackId: string, relation: string | undefined, attackVersion: string | undefined): TechniqueRef {
  const ref: TechniqueRef = { id: attackId };
  if (relation) ref.relation = relation;
  const note = oneLine(row.comments, 500);
  if (note) ref.note = note;
  if (attackVersion) ref.attackVersion = attackVersion;
  return ref;
}

function addRow(ctx: LoadContext, acc: Accumulator, fc: FileContext, row: unknown, i: number): void {
  const where = `mapping_objects[${i}]`;
  if (!isObj(row)) return ctx.warn(fc.file, `${where}: not an object`);
  const rawAttack = row.attack_object_id;
  if (rawAttack !== undefined && rawAttack !== null && typeof rawAttack !== 'string') {
    return ctx.warn(fc.file, `${where}: attack_object_id is not a string`);
  }
  const attackId = typeof rawAttack === 'string' && rawAttack.trim() ? rawAttack : undefined;
  const capId = typeof row.capability_id === 'string' ? row.capability_id.trim() : '';
  if (isNonMappable(row)) {
    if (attackId) {
      acc.nonMappable.push(techniqueRef(row, attackId, 'non_mappable', fc.attackVersion));
      acc.nonMappableFile ??= fc.file;
    } else if (capId) acc.unmappedCapabilities.add(capId);
    return;
  }
  if (!capId) return ctx.warn(fc.file, `${where}: capability_id missing or not a string`);
  if (!attackId) return ctx.warn(fc.file, `${where} (${capId}): no attack_object_id`);
  const cap = capabilityFor(acc, fc, row, capId);
  if (fc.domain) cap.domains.add(fc.domain);
  const type = str(row.mapping_type);
  if (type) cap.mappingTypes.add(mappingTypeName(fc.metadata, type));
  if (Array.isArray(row.references)) {
    for (const r of row.references) if (typeof r === 'string' && /^https?:\/\//.test(r) && cap.references.size < 10) cap.references.add(r.trim());
  }
  cap.techniques.push(techniqueRef(row, attackId, relationOf(row, fc.metadata), fc.attackVersion));
}

function readFile(ctx: LoadContext, fw: Framework, file: string, acc: Accumulator): void {
  const doc = readDocument(ctx, file, 'json', 'mapping');
  if (!doc) return;
  let metadata: Obj = {};
  if (isObj(doc.metadata)) metadata = doc.metadata;
  else ctx.warn(file, 'metadata missing or not an object');
  if (!Array.isArray(doc.mapping_objects)) return ctx.warn(file, 'mapping_objects is not a list');
  const layout = layoutOf(file, fw);
  const fc: FileContext = {
    fw, file, layout, metadata,
    attackVersion: str(metadata.attack_version) ?? layout.attackVersion,
    frameworkVersion: str(metadata.mapping_framework_version) ?? layout.frameworkVersion,
    domain: str(metadata.technology_domain) ?? layout.domain,
    fileUrl: githubBlob(REPO, ctx.provenance, DEFAULT_REF, `mappings/${file.slice(FOLDER.length + 1)}`),
  };
  acc.framework ??= str(metadata.mapping_framework);
  acc.frameworkVersion ??= fc.frameworkVersion;
  acc.attackVersion ??= fc.attackVersion;
  doc.mapping_objects.forEach((row, i) => addRow(ctx, acc, fc, row, i));
}

// ---------------------------------------------------------------------------------------------
// Records

function titleOf(fw: Framework, cap: Capability): string {
  if (fw.titleStyle === 'desc' && cap.description) return oneLine(cap.description, 200);
  if (fw.titleStyle === 'id-desc' && cap.description) return oneLine(`${cap.id} ${cap.description}`, 200);
  return oneLine(cap.id, 200);
}

function capabilityRecord(fw: Framework, acc: Accumulator, cap: Capability): ResourceRecord {
  const meta: Record<string, unknown> = {
    framework: acc.framework,
    frameworkVersion: acc.frameworkVersion,
    attackVersion: acc.attackVersion,
    domains: [...cap.domains],
    capabilityGroup: cap.groupLabel,
    capabilityGroupId: cap.group,
    mappingTypes: [...cap.mappingTypes],
  };
  if (cap.references.size) meta.references = [...cap.references];
  const record: ResourceRecord = {
    key: cap.id,
    upstreamId: cap.id,
    title: titleOf(fw, cap),
    url: cap.url,
    file: cap.file,
    meta,
    techniques: cap.techniques,
  };
  // Other styles already show the description in the title; VERIS titles by id and has a longer one.
  if (fw.titleStyle === 'id' && cap.description) record.description = oneLine(cap.description);
  return record;
}

function nonMappableRecord(fw: Framework, acc: Accumulator): ResourceRecord {
  return {
    key: '#non-mappable',
    title: 'Assessed: not mappable',
    url: `${SITE}external/${fw.siteId}/`,
    file: acc.nonMappableFile,
    description: `Techniques the ${fw.title.replace(/ \(CTID Mappings Explorer\)$/, '')} mapping assessed and found no control for`,
    meta: {
      assessmentOnly: true,
      framework: acc.framework,
      frameworkVersion: acc.frameworkVersion,
      attackVersion: acc.attackVersion,
      unmappedCapabilities: acc.unmappedCapabilities.size,
    },
    techniques: acc.nonMappable,
  };
}

function* loadFramework(ctx: LoadContext, fw: Framework): Generator<ResourceRecord> {
  const acc: Accumulator = { capabilities: new Map(), nonMappable: [], unmappedCapabilities: new Set() };
  for (const file of frameworkFiles(ctx.dataDir, fw)) readFile(ctx, fw, file, acc);
  for (const cap of acc.capabilities.values()) yield capabilityRecord(fw, acc, cap);
  if (acc.nonMappable.length) yield nonMappableRecord(fw, acc);
}

function makeSource(fw: Framework): Source {
  return {
    name: fw.name,
    title: fw.title,
    pillar: 'policy',
    order: fw.order,
    homepage: `${SITE}external/${fw.siteId}/`,
    folder: FOLDER,
    upstream: { repo: REPO, defaultRef: DEFAULT_REF, paths: fw.paths },
    license: 'Apache-2.0',
    resourceKind: `${fw.resourceKind} (one capability of the mapping file)`,
    mapsVia: '`mapping_objects[].attack_object_id` with `mapping_type` / `score_category`+`score_value`',
    summaryFields: ['relation', ...fw.summaryFields, 'note'],
    // The site's technique page lists every framework mapped for that ATT&CK version and domain.
    techniquePage: `${SITE}attack/attack-${fw.attackVersion}/domain-{domain}/techniques/{id}/`,
    present: (dataDir) => frameworkFiles(dataDir, fw).length > 0,
    load: (ctx) => loadFramework(ctx, fw),
  };
}

export const ctidSources: Source[] = CTID_FRAMEWORKS.map(makeSource);

/** The ATT&CK versions the loaded records were mapped for ("mapped for ATT&CK 16.1"). */
export function attackVersionsOf(records: readonly ResourceRecord[]): string[] {
  const out = new Set<string>();
  for (const r of records) for (const t of r.techniques) if (t.attackVersion) out.add(t.attackVersion);
  return [...out].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
