/** A fixed list of 50 search queries a detection engineer would type. */
export const SEARCH_QUERIES = [
  'ssh', 'powershell', 'mimikatz', 'lsass', 'credential dumping', 'scheduled task', 'T1021.004', 't1059', 'kerberoasting',
  'pass the hash', 'rdp', 'registry run keys', 'wmi', 'dll side-loading', 'process injection', 'phishing attachment',
  'ransomware', 'shadow copy', 'vssadmin', 'rundll32', 'regsvr32', 'mshta', 'certutil', 'bits jobs', 'cron', 'sudo',
  'docker', 'kubernetes', 'aws cloudtrail', 'azure ad', 'okta', 'o365 mailbox', 'dns tunneling', 'exfiltration over web',
  'remote desktop', 'smb', 'psexec', 'winrm', 'token manipulation', 'uac bypass', 'persistence service', 'ntds',
  'browser credentials', 'keylogging', 'screen capture', 'clipboard', 'firmware', 'plc', 'modbus', 'android sms',
];
