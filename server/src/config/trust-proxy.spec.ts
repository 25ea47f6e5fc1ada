import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';

const trustProxy = (value?: string) => loadConfig({ NODE_ENV: 'test', ...(value === undefined ? {} : { TRUST_PROXY: value }) }).trustProxy;

describe('TRUST_PROXY', () => {
  it('trusts loopback proxies by default', () => {
    expect(trustProxy()).toEqual(['loopback']);
  });

  it('takes false, a hop count, or a list of addresses, subnets and names', () => {
    expect(trustProxy('false')).toBe(false);
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('10.0.0.0/8, 2001:db8::/32 ,loopback,192.0.2.7')).toEqual(['10.0.0.0/8', '2001:db8::/32', 'loopback', '192.0.2.7']);
  });

  it('refuses true, which would let any client choose its address, and anything unreadable', () => {
    expect(() => trustProxy('true')).toThrow(/TRUST_PROXY="true": true would trust any client/);
    expect(() => trustProxy('10.0.0.0/33')).toThrow(ConfigError);
    expect(() => trustProxy('proxy.internal')).toThrow(/not proxy.internal/);
  });
});
