//! Which network targets a customer may point the platform at. A SIP trunk (and a webhook URL)
//! names a host the platform will contact; one inside the platform's own network (loopback, a
//! private range, the cloud metadata service) would let a customer reach what only the operator
//! should. One classifier, so every feature that calls out refuses the same addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public target, in words for an error message; `None` when public.
pub fn private_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

fn private_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_link_local() {
        // 169.254.169.254 is the metadata service of most clouds.
        Some("a link-local (cloud metadata) address")
    } else if ip.is_private() {
        Some("a private-network address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("a broadcast, multicast or reserved address")
    } else {
        None
    }
}

fn private_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return private_v4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if first & 0xfe00 == 0xfc00 {
        // Unique local addresses, among them AWS's metadata service at fd00:ec2::254.
        Some("a private-network (unique local) address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// Why a host name is not a public target: names that always mean this machine or the cloud's
/// metadata service. Other names are judged by the address they resolve to, when called.
pub fn private_host_name(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        Some("a loopback host name")
    } else if host == "metadata.google.internal" || host.ends_with(".internal") {
        Some("an internal (cloud metadata) host name")
    } else {
        None
    }
}

/// `host` as a URL or `host[:port]` names it (an IP address, a bracketed IPv6 address, or a
/// name): why it is not a public target, or `None`.
pub fn private_host(host: &str) -> Option<&'static str> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => private_address(ip),
        Err(_) => private_host_name(bare),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platforms_own_network_is_private() {
        for host in [
            "127.0.0.1",
            "127.8.9.10",
            "[::1]",
            "169.254.169.254",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "[fe80::1]",
            "[fd00:ec2::254]",
            "[::ffff:127.0.0.1]",
            "[::]",
            "localhost",
            "sip.localhost",
            "metadata.google.internal",
        ] {
            assert!(private_host(host).is_some(), "{host} should be private");
        }
    }

    #[test]
    fn public_targets_pass() {
        for host in [
            "8.8.8.8",
            "203.0.114.7",
            "172.32.0.1",
            "[2001:4860:4860::8888]",
            "trunk.example.com",
            "sip.twilio.com",
        ] {
            assert_eq!(private_host(host), None, "{host} should be public");
        }
    }

    #[test]
    fn reasons_name_the_kind_of_address() {
        assert_eq!(
            private_host("169.254.169.254"),
            Some("a link-local (cloud metadata) address")
        );
        assert_eq!(private_host("[::1]"), Some("a loopback address"));
    }
}
