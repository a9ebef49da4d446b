/**
 * Sources Control Validation Compass pointed to whose data is published as web pages or workbooks,
 * not as a repository: the catalog lists them with their links and why they cannot be loaded.
 */
import type { Pillar } from './types.js';

export interface UnavailableSource {
  name: string;
  title: string;
  pillar: Pillar;
  homepage: string;
  why: string;
}

export const UNAVAILABLE_SOURCES: UnavailableSource[] = [
  {
    name: 'logpoint', title: 'LogPoint ATT&CK detection rules', pillar: 'detection',
    homepage: 'https://docs.logpoint.com/docs/alert-rules/en/latest/MITRE%20ATT%26CK%20Alert%20Rules.html',
    why: 'not available offline: published as documentation web pages, not as a repository of rule files',
  },
  {
    name: 'tanium', title: 'Tanium Threat Response signals', pillar: 'detection',
    homepage: 'https://docs.tanium.com/threat_response/threat_response/signals.html',
    why: 'not available offline: the signal catalog is served inside the Tanium product and its documentation site',
  },
  {
    name: 'cis-controls', title: 'CIS Critical Security Controls', pillar: 'policy',
    homepage: 'https://www.cisecurity.org/controls/cis-controls-navigator',
    why: 'not available offline: CIS publishes its ATT&CK mapping as a registration-gated workbook; the CTID Mappings Explorer has no CIS mapping',
  },
];
