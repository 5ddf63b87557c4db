import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';

/**
 * Who sent a request and whether it came over TLS, by Express's `trust proxy` rules for the
 * same setting (ROSTER_TRUST_PROXY: a hop count, or addresses, ranges and names), for requests
 * that do not go through Express (the lean tRPC path).
 */
export function clientAddressing(trustProxy: number | string[]) {
  const trust =
    typeof trustProxy === 'number'
      ? (_addr: string, hop: number) => hop < trustProxy
      : proxyaddr.compile(trustProxy);
  return {
    ip: (req: IncomingMessage): string => proxyaddr(req, trust),
    secure(req: IncomingMessage): boolean {
      if ((req.socket as TLSSocket).encrypted) return true;
      if (!trust(req.socket.remoteAddress ?? '', 0)) return false;
      const given = req.headers['x-forwarded-proto'];
      return (Array.isArray(given) ? given[0] : given)?.split(',')[0]?.trim() === 'https';
    },
  };
}
