//! Where a webhook may point. `https://` only, or `http://` too when the operator allows
//! private targets (`--webhooks-allow-private`, for receivers on its own network and tests); a
//! host that is, or resolves to, a loopback, private, link-local or metadata address is
//! refused unless so allowed. Checked when the URL is saved and again on every delivery (the
//! delivery client's resolver drops such addresses), so a name re-pointed after the check
//! (DNS rebinding) reaches nothing inside.

use crate::{ServiceError, ServiceResult};
use dialnexa_domain::net;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::time::Duration;

fn bad(code: &'static str, message: String) -> ServiceError {
    ServiceError::bad_request(code, message).on("url")
}

/// The URL as given, parsed and checked against everything but DNS.
pub(crate) fn parse_url(raw: &str, allow_private: bool) -> ServiceResult<Url> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|_| {
        bad(
            "invalid_url",
            format!("url must be a valid URL such as https://example.com/hooks, not `{raw}`"),
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => {
            return Err(bad(
                "invalid_url",
                format!("url must use https:// (`{other}://` is not accepted)"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "invalid_url",
            "url must not carry a user name or password; authenticate with the signature".into(),
        ));
    }
    let Some(host) = url.host_str() else {
        return Err(bad("invalid_url", "url must name a host".into()));
    };
    if raw.len() > 2048 {
        return Err(bad(
            "invalid_url",
            "url must be at most 2048 characters".into(),
        ));
    }
    if !allow_private && let Some(why) = net::private_host(host) {
        return Err(bad(
            "private_url",
            format!("url host `{host}` is {why}; webhooks are sent to public addresses only"),
        ));
    }
    Ok(url)
}

/// Refuses a host whose name resolves to a private address now. A name that does not resolve
/// is accepted: it is judged again at every delivery.
pub(crate) async fn check_resolution(url: &Url, allow_private: bool) -> ServiceResult<()> {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Ok(());
    };
    if allow_private || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Ok(());
    }
    let lookup = tokio::net::lookup_host((host.to_owned(), port));
    let Ok(Ok(addrs)) = tokio::time::timeout(Duration::from_secs(3), lookup).await else {
        return Ok(());
    };
    for addr in addrs {
        if let Some(why) = net::private_address(addr.ip()) {
            return Err(bad(
                "private_url",
                format!("url host `{host}` resolves to {why}; webhooks go to public addresses"),
            ));
        }
    }
    Ok(())
}

/// The delivery client's resolver: the system's answers, without private addresses unless
/// allowed. A name left with no address fails the attempt like an unreachable host.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicResolver {
    pub allow_private: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || net::private_address(a.ip()).is_none())
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_only_unless_private_targets_are_allowed() {
        assert!(parse_url("https://hooks.example.com/x", false).is_ok());
        assert!(parse_url("http://hooks.example.com/x", false).is_err());
        assert!(parse_url("http://hooks.example.com/x", true).is_ok());
        assert!(parse_url("ftp://hooks.example.com/x", true).is_err());
        assert!(parse_url("not a url", true).is_err());
        assert!(parse_url("https://u:p@hooks.example.com/", false).is_err());
    }

    #[test]
    fn private_hosts_are_refused_unless_allowed() {
        for url in [
            "https://127.0.0.1/x",
            "https://localhost/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://metadata.google.internal/x",
        ] {
            let e = parse_url(url, false).unwrap_err();
            assert_eq!(e.code, "private_url", "{url}");
            assert!(parse_url(url, true).is_ok(), "{url}");
        }
    }
}
