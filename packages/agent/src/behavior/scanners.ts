/**
 * Substrings (lower case) of the User-Agent headers that security scanners and
 * attack tools send by default. A scanner can lie about its user agent; this
 * catches the ones that do not bother, which is most automated scanning.
 */
export const SCANNER_USER_AGENTS: readonly string[] = [
  'sqlmap',
  'nikto',
  'nuclei',
  'nmap scripting engine',
  'nmap nse',
  'masscan',
  'zgrab',
  'gobuster',
  'dirbuster',
  'dirb/',
  'feroxbuster',
  'ffuf',
  'wfuzz',
  'acunetix',
  'netsparker',
  'invicti',
  'appscan',
  'webinspect',
  'w3af',
  'openvas',
  'nessus',
  'arachni',
  'skipfish',
  'whatweb',
  'wpscan',
  'joomscan',
  'havij',
  'jaeles',
  'commix',
  'xsstrike',
  'owasp zap',
  'zaproxy',
  'burp collaborator',
  'qualys',
  'paros/',
  'grabber/',
  'fimap',
  'bsqlbf',
  'pangolin',
  'httprint',
  'morfeus',
  'zmeu',
  '(hydra)',
  'metasploit',
  'vega/',
  'struts-pwn',
  'interactsh',
];

/** The first scanner substring found in a user agent (compared in lower case), or undefined. */
export function scannerIn(userAgent: string, agents: readonly string[]): string | undefined {
  const ua = (userAgent.length > 512 ? userAgent.slice(0, 512) : userAgent).toLowerCase();
  for (const agent of agents) if (ua.includes(agent)) return agent;
  return undefined;
}
