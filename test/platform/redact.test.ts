// What reaches the log about a person: secrets never, addresses and IPs shortened, accounts by a stable pseudonym.
import { describe, expect, it } from 'vitest';
import { createRedactor, truncateIp } from '../../provider/platform/log/redact.ts';

const { fields, pseudonym } = createRedactor('a key of the deployment, long enough for its HMAC');

describe('log redaction', () => {
  it('drops secrets under any of their names, at any depth, and keeps error codes', () => {
    const out = fields({
      password: 'hunter2',
      details: { refresh_token: 'rt', pin: '1234', nationalNumber: '85073003328', smsCode: '123456' },
      code: 'upstream_not_verified',
      causeCode: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    });
    expect(out).toEqual({
      password: '[redacted]',
      details: { refresh_token: '[redacted]', pin: '[redacted]', nationalNumber: '[redacted]', smsCode: '[redacted]' },
      code: 'upstream_not_verified',
      causeCode: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
    });
  });

  it('shortens e-mail addresses wherever they appear and IPs to their network', () => {
    expect(fields({ msg: 'mail to marie.dubois@example.be failed', ip: '203.0.113.77' })).toEqual({
      msg: 'mail to m…@example.be failed',
      ip: '203.0.113.0/24',
    });
    expect(truncateIp('2001:db8:85a3::8a2e:370:7334')).toBe('2001:db8:85a3::/48');
    expect(truncateIp('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
  });

  it('names an account by the same pseudonym on every line, never by its id', () => {
    const id = '6f1c2a7e-3b9d-4c55-9a0e-2f4b8d1c7e90';
    const a = fields({ userId: id });
    expect(a.userId).toBe(pseudonym(id));
    expect(a.userId).toMatch(/^u_[A-Za-z0-9_-]{12}$/);
    expect(JSON.stringify(a)).not.toContain(id);
    expect(createRedactor('another deployment key, also long enough').pseudonym(id)).not.toBe(a.userId);
  });
});
