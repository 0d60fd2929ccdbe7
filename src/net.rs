//! The client's address: the peer's, or — behind a trusted reverse proxy — the nearest address in
//! `X-Forwarded-For` that is not one of our proxies. Rate limits and sign-in throttling key on it.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`) or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/PREFIX`; `None` for anything else (bits set past the prefix are
    /// allowed and ignored, as most proxies' documentation writes them).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= max).then_some(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Entries that do not parse are left out (the configuration refuses them at start).
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Self {
        Self(
            entries
                .iter()
                .filter_map(|e| IpNet::parse(e.as_ref()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; then the
    /// right-most `X-Forwarded-For` hop that is not trusted (each proxy appends the address it
    /// saw, so anything left of that hop is the client's own say and may be forged). When every
    /// hop is a proxy, the left-most; when the header is missing or unreadable, the peer.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // A proxy of ours wrote something we cannot read: stop at the last hop we trust.
                return client;
            };
            client = ip;
            if !self.contains(ip) {
                return ip;
            }
        }
        client
    }

    /// The client address of a request (see `client`); `None` only without a peer address.
    pub fn client_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if self.is_empty() {
            return Some(peer.to_canonical());
        }
        let headers: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        Some(self.client(peer, &headers))
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn ip(s: &str) -> Result<IpAddr, std::net::AddrParseError> {
        s.parse()
    }

    #[test]
    fn networks_parse_and_match() -> TestResult {
        let n = IpNet::parse("10.1.0.0/16").ok_or("10.1.0.0/16 parses")?;
        assert!(n.contains(ip("10.1.200.3")?) && !n.contains(ip("10.2.0.1")?));
        assert!(
            n.contains(ip("::ffff:10.1.0.9")?),
            "IPv4-mapped addresses are IPv4"
        );
        assert!(
            IpNet::parse("0.0.0.0/0")
                .ok_or("0.0.0.0/0 parses")?
                .contains(ip("203.0.113.9")?)
        );
        assert!(
            IpNet::parse("127.0.0.1")
                .ok_or("127.0.0.1 parses")?
                .contains(ip("127.0.0.1")?)
        );
        assert!(
            !IpNet::parse("127.0.0.1")
                .ok_or("127.0.0.1 parses")?
                .contains(ip("127.0.0.2")?)
        );
        assert!(
            IpNet::parse("fd00::/8")
                .ok_or("fd00::/8 parses")?
                .contains(ip("fd12::1")?)
        );
        assert!(
            !IpNet::parse("fd00::/8")
                .ok_or("fd00::/8 parses")?
                .contains(ip("10.0.0.1")?)
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/x",
            "host.example",
            "10.0.0.0/-1",
        ] {
            assert_eq!(IpNet::parse(bad), None, "{bad:?}");
        }
        Ok(())
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() -> TestResult {
        let proxies = TrustedProxies::new(&["10.0.0.0/8", "192.0.2.1"]);
        // An untrusted peer: its header is ignored.
        assert_eq!(
            proxies.client(ip("198.51.100.7")?, &["203.0.113.5"]),
            ip("198.51.100.7")?
        );
        // A trusted peer: the right-most untrusted hop, whatever the client put before it.
        assert_eq!(
            proxies.client(ip("10.0.0.2")?, &["1.1.1.1, 203.0.113.5"]),
            ip("203.0.113.5")?
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2")?, &["1.1.1.1", "203.0.113.5, 192.0.2.1"]),
            ip("203.0.113.5")?
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2")?, &["garbage, 203.0.113.5:4711"]),
            ip("203.0.113.5")?
        );
        // Missing, all-proxy and unreadable headers.
        assert_eq!(proxies.client(ip("10.0.0.2")?, &[]), ip("10.0.0.2")?);
        assert_eq!(
            proxies.client(ip("10.0.0.2")?, &["10.9.9.9, 192.0.2.1"]),
            ip("10.9.9.9")?
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2")?, &["203.0.113.5, nonsense"]),
            ip("10.0.0.2")?
        );
        // No proxies configured: always the peer.
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.2")?, &["203.0.113.5"]),
            ip("10.0.0.2")?
        );
        Ok(())
    }
}
