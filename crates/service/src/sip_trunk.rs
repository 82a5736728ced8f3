//! Bring your own number over your own SIP trunk (the spec's `LinkSipTrunkRequest`). Nothing
//! is bought or billed; the number is claimed by the same unique index as a purchase, so it
//! cannot be held twice on the platform. The trunk password is sealed with the deployment's
//! key before it reaches the store and is never returned.

use crate::audit::{AuditEntry, actions};
use crate::cipher::Cipher;
use crate::input;
use crate::model::{PhoneNumber, SipAuthMode};
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{Capabilities, Capability, EventId, Money, PhoneNumberId, Provider};
use dialnexa_store::{NewEvent, NewNumber, PhoneNumberRecord, SipTrunkRecord, StoreError};
use std::net::{Ipv4Addr, Ipv6Addr};

pub const MAX_CREDENTIAL_CHARS: usize = 128;

/// A link request as the caller sent it (the spec's `LinkSipTrunkRequest`).
#[derive(Clone, Default)]
pub struct LinkSipTrunk {
    pub phone_number: Option<String>,
    pub termination_uri: Option<String>,
    /// `None`: the spec's default, `userpass`.
    pub auth_mode: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub nickname: Option<String>,
}

impl std::fmt::Debug for LinkSipTrunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSipTrunk")
            .field("phone_number", &self.phone_number)
            .field("termination_uri", &self.termination_uri)
            .field("auth_mode", &self.auth_mode)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn bad(field: &'static str, code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request(code, message).on(field)
}

/// `host[:port]`: a DNS name with at least two labels, an IPv4 address or a bracketed IPv6
/// address, and an optional port 1–65535. No `sip:` scheme, user part, path or parameters.
/// Answers the normalised form (host in lower case).
pub fn parse_termination_uri(raw: &str) -> Result<String, String> {
    const EXAMPLE: &str = "e.g. trunk.example.com:5060";
    let s = raw.trim();
    if s.is_empty() {
        return Err(format!(
            "terminationUri is required: host[:port], {EXAMPLE}"
        ));
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("sip:") || lower.starts_with("sips:") || s.contains("://") {
        return Err(format!(
            "terminationUri must not use a sip: URI prefix or a scheme: give host[:port], {EXAMPLE}"
        ));
    }
    if s.len() > 260 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "terminationUri `{s}` is not host[:port], {EXAMPLE}"
        ));
    }
    if s.contains(['/', '?', '#', ';', '@']) {
        return Err(format!(
            "terminationUri `{s}` must be only host[:port], without a user part, path or parameters, {EXAMPLE}"
        ));
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("terminationUri `{s}`: unclosed [ in an IPv6 address"))?;
        inside
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("terminationUri `{s}`: `{inside}` is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("terminationUri `{s}` is not host[:port], {EXAMPLE}"))?,
            ),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        (check_host(s, host)?, port)
    };
    match port {
        None => Ok(host),
        Some(p) => {
            let valid = !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
            if valid {
                Ok(format!("{host}:{}", p.parse::<u32>().unwrap_or(0)))
            } else {
                Err(format!(
                    "terminationUri `{s}`: the port must be a number from 1 to 65535"
                ))
            }
        }
    }
}

fn check_host(whole: &str, host: &str) -> Result<String, String> {
    let err = || {
        format!(
            "terminationUri `{whole}`: `{host}` is not a host name or IP address, e.g. trunk.example.com"
        )
    };
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host
            .parse::<Ipv4Addr>()
            .map(|ip| ip.to_string())
            .map_err(|_| err());
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.bytes().any(|b| b.is_ascii_alphabetic()));
    if host.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(err());
    }
    Ok(host.to_ascii_lowercase())
}

/// A trunk inside the platform's own network (loopback, private ranges, the cloud metadata
/// service) would have the platform place calls at its own machines; only an operator who runs
/// trunks there (`--sip-allow-private`) may allow it.
fn refuse_private_target(termination_uri: &str) -> ServiceResult<()> {
    let host = match termination_uri.split_once(']') {
        Some((v6, _)) => &termination_uri[..=v6.len()],
        None => termination_uri.split(':').next().unwrap_or(termination_uri),
    };
    match dialnexa_domain::net::private_host(host) {
        None => Ok(()),
        Some(why) => Err(bad(
            "terminationUri",
            "private_termination_uri",
            format!(
                "terminationUri `{termination_uri}` is {why}: give the public host name or \
                 address of your SIP trunk, e.g. trunk.example.com:5060"
            ),
        )),
    }
}

fn check_credential(field: &'static str, value: &str) -> ServiceResult<()> {
    if value.is_empty()
        || value.chars().count() > MAX_CREDENTIAL_CHARS
        || value.chars().any(char::is_control)
    {
        return Err(bad(
            field,
            "invalid_sip_credentials",
            format!(
                "{field} must be 1 to {MAX_CREDENTIAL_CHARS} characters, without control characters."
            ),
        ));
    }
    Ok(())
}

impl Services {
    /// Link a number the workspace already owns, reached over its own SIP trunk.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn link_sip_trunk(
        &self,
        caller: &Caller,
        req: LinkSipTrunk,
    ) -> ServiceResult<PhoneNumber> {
        // The trunk's address and user name, never its password.
        let entry =
            AuditEntry::new(actions::SIP_TRUNK_LINK, "phone_number").with(serde_json::json!({
                "phone_number": req.phone_number,
                "termination_uri": req.termination_uri,
                "auth_mode": req.auth_mode,
                "username": req.username,
            }));
        let linked = self.link_sip_trunk_unaudited(caller, req).await;
        self.audited(caller, entry, linked, |n| Some(n.id.to_string()))
            .await
    }

    async fn link_sip_trunk_unaudited(
        &self,
        caller: &Caller,
        req: LinkSipTrunk,
    ) -> ServiceResult<PhoneNumber> {
        let number = input::e164("phoneNumber", req.phone_number.as_deref())?;
        let termination_uri = parse_termination_uri(req.termination_uri.as_deref().unwrap_or(""))
            .map_err(|m| bad("terminationUri", "invalid_termination_uri", m))?;
        if !self.config.sip_allow_private {
            refuse_private_target(&termination_uri)?;
        }
        let auth_mode = match req.auth_mode.as_deref().map(str::trim) {
            None | Some("") => SipAuthMode::UserPass,
            Some(mode) => SipAuthMode::parse(mode)
                .map_err(|m| bad("authMode", "invalid_auth_mode", format!("authMode: {m}")))?,
        };
        let (username, password) = match auth_mode {
            SipAuthMode::UserPass => match (req.username.as_deref(), req.password.as_deref()) {
                (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => {
                    check_credential("sipTrunkUserName", u)?;
                    check_credential("sipTrunkPassword", p)?;
                    (Some(u.to_owned()), Some(p.to_owned()))
                }
                _ => {
                    return Err(bad(
                        "sipTrunkUserName",
                        "missing_sip_credentials",
                        "sipTrunkUserName and sipTrunkPassword are required when authMode=userpass",
                    ));
                }
            },
            SipAuthMode::Ip => {
                if req.username.is_some() || req.password.is_some() {
                    return Err(bad(
                        "sipTrunkUserName",
                        "unexpected_sip_credentials",
                        "sipTrunkUserName and sipTrunkPassword must be omitted when authMode=ip: \
                         the provider allowlists DialNexa's signaling IP instead",
                    ));
                }
                (None, None)
            }
        };
        let nickname = crate::lifecycle::MAX_TEXT_CHARS;
        let nickname = match req
            .nickname
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(n) if n.chars().count() > nickname || n.chars().any(char::is_control) => {
                return Err(bad(
                    "nickname",
                    "invalid_nickname",
                    format!("nickname must be at most {nickname} characters on one line."),
                ));
            }
            other => other.map(str::to_owned),
        };

        let id = PhoneNumberId::generate();
        let password_encrypted = match &password {
            None => None,
            Some(p) => Some(
                self.cipher()?
                    .seal(p, id.as_str())
                    .map_err(|e| ServiceError::internal(e.to_string()))?,
            ),
        };
        let now = self.clock.now();
        let new = NewNumber {
            id: id.clone(),
            workspace_id: caller.workspace_id.clone(),
            number_type: number.number_type(),
            phone_number: number.clone(),
            capabilities: Capabilities::default().with(Capability::Voice),
            monthly_cost: Money::ZERO,
            provider: Provider::SipTrunk,
            created_at: now,
        };
        let trunk = SipTrunkRecord {
            phone_number_id: id.clone(),
            workspace_id: caller.workspace_id.clone(),
            termination_uri: termination_uri.clone(),
            auth_mode: auth_mode.into(),
            username,
            password_encrypted,
            created_at: now,
        };
        let event = NewEvent {
            id: EventId::generate(),
            event_type: "sip_trunk.linked".into(),
            payload: serde_json::json!({
                "id": id,
                "phone_number": number,
                "termination_uri": termination_uri,
                "auth_mode": auth_mode.as_str(),
            }),
        };
        let record = self
            .store
            .insert_sip_trunk(&new, nickname.as_deref(), &trunk, &event)
            .await
            .map_err(|e| match e {
                StoreError::NumberAlreadyHeld => ServiceError::conflict(
                    "phone_number_already_registered",
                    format!("Phone number already registered: {number} is held by a workspace on this platform."),
                ),
                other => other.into(),
            })?;
        self.wake_webhooks();
        self.with_trunk(record).await
    }

    /// The trunk of a bring-your-own number, its password still sealed.
    pub(crate) async fn sip_trunk_of(
        &self,
        record: &PhoneNumberRecord,
    ) -> ServiceResult<Option<SipTrunkRecord>> {
        if record.provider != Provider::SipTrunk {
            return Ok(None);
        }
        Ok(self
            .store
            .get_sip_trunk(&record.workspace_id, &record.id)
            .await?)
    }

    /// The trunk's credentials in the clear, for the component that places calls over it.
    /// Never exposed over the API.
    pub async fn sip_trunk_credentials(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<Option<(String, String)>> {
        let record = self.number_record(caller, id).await?;
        let Some(trunk) = self.sip_trunk_of(&record).await? else {
            return Ok(None);
        };
        match (trunk.username, trunk.password_encrypted) {
            (Some(user), Some(sealed)) => {
                let password = self
                    .cipher()?
                    .open(&sealed, record.id.as_str())
                    .map_err(|e| ServiceError::internal(format!("sip trunk {}: {e}", record.id)))?;
                Ok(Some((user, password)))
            }
            _ => Ok(None),
        }
    }

    fn cipher(&self) -> ServiceResult<Cipher> {
        self.config
            .encryption_key
            .as_ref()
            .map(Cipher::new)
            .ok_or_else(|| {
                ServiceError::internal("no encryption key is configured for SIP trunk secrets")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termination_uris_are_host_and_optional_port() {
        let good = [
            (
                "31974861099010243.zt.plivo.com:5060",
                "31974861099010243.zt.plivo.com:5060",
            ),
            ("Trunk.Example.com", "trunk.example.com"),
            ("sip-1.carrier.io:5061", "sip-1.carrier.io:5061"),
            ("203.0.113.7", "203.0.113.7"),
            ("203.0.113.7:5080", "203.0.113.7:5080"),
            ("[2001:db8::1]:5060", "[2001:db8::1]:5060"),
            (" trunk.example.com:65535 ", "trunk.example.com:65535"),
        ];
        for (raw, want) in good {
            assert_eq!(parse_termination_uri(raw).as_deref(), Ok(want), "{raw}");
        }
        let bad = [
            "",
            "sip:trunk.example.com",
            "SIP:trunk.example.com:5060",
            "sips:trunk.example.com",
            "udp://trunk.example.com",
            "trunk.example.com/path",
            "trunk.example.com:5060;transport=tcp",
            "user@trunk.example.com",
            "trunk.example.com:0",
            "trunk.example.com:65536",
            "trunk.example.com:",
            "trunk.example.com:50a",
            "trunk.example.com:5060:1",
            "localhost",
            "-bad.example.com",
            "bad_host.example.com",
            "trunk..example.com",
            "999.1.1.1",
            "1.2.3",
            "2001:db8::1",
            "[2001:db8::1",
            "[nothex]:5060",
            "trunk example.com",
        ];
        for raw in bad {
            assert!(
                parse_termination_uri(raw).is_err(),
                "{raw} should be refused"
            );
        }
    }
}
