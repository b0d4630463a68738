import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IpMatcher, clientIp } from './ip.js';

describe('client IP behind proxies', () => {
  const trusted = new IpMatcher(['10.0.0.0/8', '127.0.0.1']);

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (spoofing)', () => {
    assert.equal(clientIp('203.0.113.9', '1.2.3.4', trusted), '203.0.113.9');
  });

  it('takes the right-most untrusted hop, not the left-most one a client can forge', () => {
    // client forged "6.6.6.6", real client 198.51.100.7, then two trusted proxies
    assert.equal(clientIp('10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.1', trusted), '198.51.100.7');
  });

  it('handles IPv4-mapped peers, ports and IPv6 hops', () => {
    assert.equal(clientIp('::ffff:127.0.0.1', '198.51.100.7:5555', trusted), '198.51.100.7');
    assert.equal(clientIp('::ffff:127.0.0.1', '[2001:db8::1]:443', trusted), '2001:db8::1');
  });

  it('stops at a malformed hop instead of trusting what is behind it', () => {
    assert.equal(clientIp('10.0.0.2', '1.2.3.4, garbage', trusted), '10.0.0.2');
  });

  it('without trusted proxies uses the socket address', () => {
    assert.equal(clientIp('198.51.100.7', '1.2.3.4', new IpMatcher([])), '198.51.100.7');
  });

  it('matches IPv6 ranges and mapped IPv4 addresses', () => {
    const m = new IpMatcher(['fd00::/8', '192.168.0.0/16']);
    assert.ok(m.matches('fd12::1'));
    assert.ok(m.matches('::ffff:192.168.1.1'));
    assert.ok(!m.matches('8.8.8.8'));
    assert.ok(!m.matches('not an ip'));
  });
});
