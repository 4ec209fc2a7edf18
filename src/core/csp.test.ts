import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, devContentSecurityPolicy, SECURITY_HEADERS } from './csp';

describe('security headers', () => {
  it('README and public/_headers give a static host exactly the headers the dev and preview servers send', () => {
    const readme = readFileSync('README.md', 'utf8');
    const hosted = readFileSync('public/_headers', 'utf8');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(readme).toContain(`${name}: ${value}\n`);
      expect(hosted).toContain(`  ${name}: ${value}\n`);
    }
  });

  it('allows only the own origin: no remote script, connection, font or image, no inline script', () => {
    const d = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((x) => [x.split(' ')[0], x.split(' ').slice(1)]));
    expect(d['default-src']).toEqual(["'self'"]);
    expect(d['connect-src']).toEqual(["'self'"]);
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['worker-src']).toEqual(["'self'"]);
    expect(d['font-src']).toEqual(["'self'"]);
    for (const v of Object.values(d).flat()) expect(v).not.toMatch(/^(https?:|\*|'unsafe-inline'|'unsafe-eval')/);
    expect(devContentSecurityPolicy('n')).toContain("script-src 'self' 'nonce-n'");
  });
});
