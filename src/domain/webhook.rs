//! Webhooks: what a subscription receives and how it can tell the message came from us.
//!
//! Deliveries follow the Standard Webhooks specification: three headers, `webhook-id` (the same
//! on every retry of one message, so a receiver can drop a duplicate), `webhook-timestamp` (Unix
//! seconds of this attempt) and `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of the `whsec_` secret).
//!
//! Where a webhook may point is a rule too: an administrator types the URL, so without
//! `webhooks.allow_private_networks` an address on loopback, a private or link-local network
//! (or any other address that is not on the public internet) is refused, at creation and again
//! at every delivery (a name may resolve elsewhere later).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a webhook secret, as the specification writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of key material in a secret we generate (the specification asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// The event types a subscription can ask for: `dossier.` + the event's action.
pub const EVENT_TYPES: &[&str] = &[
    "dossier.received",
    "dossier.transfer",
    "dossier.request-supplement",
    "dossier.supplement-received",
    "dossier.request-payment",
    "dossier.payment-received",
    "dossier.resolve",
    "dossier.reschedule",
    "dossier.return-result",
    "dossier.reject",
    "dossier.withdraw",
    "dossier.stop",
    // What the service itself records: the automatic apology, a deadline counted again after a
    // calendar change, a move to the successor of a closed office.
    "dossier.apology_letter",
    "dossier.deadline_recomputed",
    "dossier.office_closed",
];

/// The type of the message for an event with this action.
pub fn event_type(action: &str) -> String {
    format!("dossier.{action}")
}

/// Whether a subscription to `events` (None: all) receives a message of type `kind`.
pub fn wants(events: Option<&[String]>, kind: &str) -> bool {
    events.is_none_or(|list| list.iter().any(|e| e == kind))
}

/// The secret's text for this key.
pub fn secret_text(key: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The key a secret's text stands for, or None when it is not a `whsec_` secret.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let b64 = secret.strip_prefix(SECRET_PREFIX)?;
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// The `webhook-signature` header's value for this message.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    use base64::Engine as _;
    // HMAC takes a key of any length (RFC 2104 hashes a longer one), so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an absolute http(s) URL with a host.
    Malformed(&'static str),
    /// The address is not on the public internet.
    PrivateAddress(IpAddr),
}

impl std::fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UrlRefusal::Malformed(why) => f.write_str(why),
            UrlRefusal::PrivateAddress(ip) => write!(
                f,
                "the address {ip} is not on the public internet (webhooks.allow_private_networks is off)"
            ),
        }
    }
}

/// Checks a webhook URL's shape: http or https, a host, no user name or password in it (they
/// would be shown to every administrator and logged by proxies), at most 2,000 characters.
pub fn check_url(raw: &str) -> Result<url::Url, UrlRefusal> {
    if raw.len() > 2000 {
        return Err(UrlRefusal::Malformed("a URL of at most 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| UrlRefusal::Malformed("an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefusal::Malformed("an http or https URL"));
    }
    if url.host().is_none() {
        return Err(UrlRefusal::Malformed("a URL with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Malformed(
            "a URL without a user name or password (the signature authenticates us)",
        ));
    }
    if url.fragment().is_some() {
        return Err(UrlRefusal::Malformed("a URL without a fragment"));
    }
    Ok(url)
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique local),
/// link-local, shared (carrier-grade NAT), unspecified, broadcast, multicast, documentation or
/// reserved; an IPv4 address inside IPv6 (mapped or compatible) is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10: shared address space (carrier-grade NAT).
        || (a == 100 && (64..=127).contains(&b))
        // 192.0.0.0/24: protocol assignments; 198.18.0.0/15: benchmarking.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4: reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated).
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // 2001:db8::/32 documentation; 64:ff9b:1::/48 local-use NAT64; ::/96 IPv4-compatible.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
        || (s[0..6] == [0, 0, 0, 0, 0, 0]))
}

/// Checks every address a webhook's host resolves to; one that is not public refuses the URL
/// (a name that resolves to both would otherwise reach the private one on some attempt).
pub fn check_addresses(addrs: &[IpAddr], allow_private: bool) -> Result<(), UrlRefusal> {
    if allow_private {
        return Ok(());
    }
    match addrs.iter().find(|ip| !is_public(**ip)) {
        Some(ip) => Err(UrlRefusal::PrivateAddress(*ip)),
        None => Ok(()),
    }
}

/// How a delivery attempt ended, as the receiver answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Any 2xx: delivered.
    Delivered,
    /// Anything else (another status, a timeout, a refused connection): try again later.
    Retry,
}

/// Any 2xx is delivered; every other status is retried with backoff (the specification's rule:
/// a receiver answers 2xx once it has the message).
pub fn answer(status: u16) -> Answer {
    if (200..300).contains(&status) {
        Answer::Delivered
    } else {
        Answer::Retry
    }
}

/// Whether a run of consecutive failed attempts disables the webhook (0: never).
pub fn disables(consecutive_failures: u32, disable_after: u32) -> bool {
    disable_after > 0 && consecutive_failures >= disable_after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = signature(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_reads_back_as_its_key() {
        let key = [7u8; SECRET_BYTES];
        let text = secret_text(&key);
        assert!(text.starts_with("whsec_"));
        assert_eq!(secret_key(&text).unwrap(), key);
        assert_eq!(secret_key("sk_abc"), None);
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "203.162.4.190",
            "172.32.0.1",
            "2001:4860:4860::8888",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://hooks.example.vn/motcua").is_ok());
        assert!(
            check_url("http://10.0.0.1:8080/x").is_ok(),
            "the address is judged apart"
        );
        for bad in [
            "ftp://example.vn/",
            "/relative",
            "https://user:pw@example.vn/",
            "https://example.vn/#frag",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            check_addresses(&[ip], false),
            Err(UrlRefusal::PrivateAddress(ip))
        );
        assert!(check_addresses(&[ip], true).is_ok());
    }

    #[test]
    fn every_action_is_a_type_one_can_subscribe_to() {
        for a in crate::domain::lifecycle::Action::ALL {
            assert!(
                EVENT_TYPES.contains(&event_type(a.as_str()).as_str()),
                "{a:?}"
            );
        }
        assert!(EVENT_TYPES.contains(&event_type("received").as_str()));
    }

    #[test]
    fn filters_and_answers() {
        assert!(wants(None, "dossier.received"));
        let list = vec!["dossier.resolve".to_owned()];
        assert!(wants(Some(&list), "dossier.resolve"));
        assert!(!wants(Some(&list), "dossier.received"));
        assert_eq!(answer(204), Answer::Delivered);
        assert_eq!(answer(301), Answer::Retry);
        assert_eq!(answer(410), Answer::Retry);
        assert!(disables(5, 5) && !disables(4, 5) && !disables(100, 0));
    }
}
