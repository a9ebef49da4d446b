/**
 * Control sources that only apply on some platforms: the cloud providers' own security services
 * (CTID mappings of AWS, Azure, Google Cloud, Microsoft 365) and CISA KEV (vulnerabilities of
 * named products, such as an Ivanti CVE mapped to Active Scanning). With platforms chosen, a plan
 * keeps their controls only when a chosen platform is one they cover, so every format agrees.
 */
export const CONTROL_PLATFORMS: Record<string, readonly string[]> = {
  'ctid-aws': ['iaas', 'aws'],
  'ctid-azure': ['iaas', 'azure', 'azure ad', 'entra id', 'identity provider', 'saas', 'office suite', 'office 365'],
  'ctid-gcp': ['iaas', 'gcp', 'google workspace', 'saas'],
  'ctid-m365': ['office 365', 'office suite', 'saas', 'azure ad', 'entra id', 'identity provider'],
  'ctid-kev': [],
};

/** True when a control of this source can apply to one of the platforms (always without a platform filter). */
export function controlFits(c: { source: string }, platforms: readonly string[]): boolean {
  const scope = CONTROL_PLATFORMS[c.source];
  if (!scope || !platforms.length) return true;
  return platforms.some((p) => scope.includes(p.toLowerCase()));
}
