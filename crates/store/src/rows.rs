//! Rows into records, the same for both backends: each backend's row type implements
//! [`Columns`] (values by position), and the mappings here read the columns in the order the
//! SELECT lists of `queries.rs` give them.

use crate::{
    Agent, AgentVersion, ApiKey, AuditEvent, Charge, KycRecord, NumberChoice, PhoneNumberRecord,
    PriceRow, RenewalDue, SipTrunkRecord, StoreError, StoreResult, Workspace,
};
use dialnexa_domain::{
    AgentId, ApiKeyId, AuditEventId, Capabilities, ChargeId, CountryIso, E164, Money, NumberStatus,
    PhoneNumberId, WorkspaceId, regulatory::RegulatedEntry,
};
use jiff::Timestamp;
use std::str::FromStr;

/// A result row read by column position.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> StoreResult<String>;
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>>;
    fn int(&self, i: usize) -> StoreResult<i64>;
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>>;
}

pub(crate) fn ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

pub(crate) fn ts(ms: i64) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Other(format!("bad timestamp {ms}: {e}")))
}

pub(crate) fn opt_ts(ms: Option<i64>) -> StoreResult<Option<Timestamp>> {
    ms.map(ts).transpose()
}

/// A stored value parsed back into its domain type; one that does not parse was written by
/// something other than this code, which is an internal error.
pub(crate) fn parse<T: FromStr>(raw: &str, name: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    raw.parse()
        .map_err(|e| StoreError::Other(format!("column {name}: {e}")))
}

/// Column `i` parsed into a domain type; `name` is for the error.
pub(crate) fn parse_at<T: FromStr>(row: &dyn Columns, i: usize, name: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    parse(&row.text(i)?, name)
}

/// The positions of `queries::NUMBER_COLUMNS`, in its order.
#[derive(Clone, Copy)]
enum N {
    Id,
    WorkspaceId,
    PhoneNumber,
    CountryCode,
    NumberType,
    Capabilities,
    MonthlyCostMicros,
    Provider,
    Status,
    CarrierRef,
    Label,
    Nickname,
    InboundAgentId,
    OutboundAgentId,
    FailureReason,
    CreatedAt,
    UpdatedAt,
    ActivatedAt,
    ReleasedAt,
}

pub(crate) fn number(row: &dyn Columns) -> StoreResult<PhoneNumberRecord> {
    let at = |c: N| c as usize;
    let country: CountryIso = parse_at(row, at(N::CountryCode), "country_code")?;
    let caps = row.text(at(N::Capabilities))?;
    Ok(PhoneNumberRecord {
        id: PhoneNumberId::from_trusted(row.text(at(N::Id))?),
        workspace_id: WorkspaceId::from_trusted(row.text(at(N::WorkspaceId))?),
        phone_number: E164::from_trusted(row.text(at(N::PhoneNumber))?, country),
        number_type: parse_at(row, at(N::NumberType), "number_type")?,
        capabilities: Capabilities::parse_csv(&caps)
            .map_err(|e| StoreError::Other(e.to_string()))?,
        monthly_cost: Money::from_micros(row.int(at(N::MonthlyCostMicros))?),
        provider: parse_at(row, at(N::Provider), "provider")?,
        status: parse_at(row, at(N::Status), "status")?,
        carrier_ref: row.opt_text(at(N::CarrierRef))?,
        label: row.opt_text(at(N::Label))?,
        nickname: row.opt_text(at(N::Nickname))?,
        inbound_agent_id: row
            .opt_text(at(N::InboundAgentId))?
            .map(AgentId::from_trusted),
        outbound_agent_id: row
            .opt_text(at(N::OutboundAgentId))?
            .map(AgentId::from_trusted),
        failure_reason: row.opt_text(at(N::FailureReason))?,
        created_at: ts(row.int(at(N::CreatedAt))?)?,
        updated_at: ts(row.int(at(N::UpdatedAt))?)?,
        activated_at: opt_ts(row.opt_int(at(N::ActivatedAt))?)?,
        released_at: opt_ts(row.opt_int(at(N::ReleasedAt))?)?,
    })
}

/// `queries::WORKSPACE_COLUMNS`.
pub(crate) fn workspace(row: &dyn Columns) -> StoreResult<Workspace> {
    let countries = row.text(3)?;
    let enabled_countries = countries
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| CountryIso::parse(c).map_err(|e| StoreError::Other(e.to_string())))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Workspace {
        id: WorkspaceId::from_trusted(row.text(0)?),
        name: row.text(1)?,
        default_provider: parse_at(row, 2, "default_provider")?,
        enabled_countries,
        default_phone_number_id: row.opt_text(4)?.map(PhoneNumberId::from_trusted),
        created_at: ts(row.int(5)?)?,
    })
}

pub(crate) fn countries_csv(countries: &[CountryIso]) -> String {
    countries
        .iter()
        .map(CountryIso::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// `queries::API_KEY_COLUMNS`.
pub(crate) fn api_key(row: &dyn Columns) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        name: row.text(2)?,
        key_prefix: row.text(3)?,
        created_at: ts(row.int(4)?)?,
        revoked_at: opt_ts(row.opt_int(5)?)?,
    })
}

/// `country, status, updated_at` of `kyc`.
pub(crate) fn kyc(row: &dyn Columns) -> StoreResult<KycRecord> {
    Ok(KycRecord {
        country: parse_at(row, 0, "country")?,
        status: parse_at(row, 1, "status")?,
        updated_at: ts(row.int(2)?)?,
    })
}

/// `country, number_type` of `regulated_number_types` (`*`: every type).
pub(crate) fn regulated(row: &dyn Columns) -> StoreResult<RegulatedEntry> {
    let number_type = row.text(1)?;
    Ok(RegulatedEntry {
        country: parse_at(row, 0, "country")?,
        number_type: if number_type == "*" {
            None
        } else {
            Some(parse(&number_type, "number_type")?)
        },
    })
}

/// `provider, country, number_type, monthly_micros` of `prices`.
pub(crate) fn price(row: &dyn Columns) -> StoreResult<PriceRow> {
    Ok(PriceRow {
        provider: parse_at(row, 0, "provider")?,
        country: parse_at(row, 1, "country")?,
        number_type: parse_at(row, 2, "number_type")?,
        monthly_cost: Money::from_micros(row.int(3)?),
    })
}

/// `queries::CHARGE_COLUMNS`.
pub(crate) fn charge(row: &dyn Columns) -> StoreResult<Charge> {
    Ok(Charge {
        id: ChargeId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        phone_number_id: PhoneNumberId::from_trusted(row.text(2)?),
        period_index: u32::try_from(row.int(3)?).unwrap_or(0),
        period_start: ts(row.int(4)?)?,
        period_end: ts(row.int(5)?)?,
        amount: Money::from_micros(row.int(6)?),
        created_at: ts(row.int(7)?)?,
    })
}

/// `queries::DUE_RENEWALS`.
pub(crate) fn renewal(row: &dyn Columns) -> StoreResult<RenewalDue> {
    Ok(RenewalDue {
        phone_number_id: PhoneNumberId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        activated_at: ts(row.int(2)?)?,
        next_period_index: u32::try_from(row.int(3)?).unwrap_or(u32::MAX),
        next_period_start: ts(row.int(4)?)?,
        released_at: opt_ts(row.opt_int(5)?)?,
        amount: Money::from_micros(row.int(6)?),
    })
}

/// `queries::AGENT_COLUMNS`; the numbers are filled in by a second query.
pub(crate) fn agent(row: &dyn Columns) -> StoreResult<Agent> {
    Ok(Agent {
        id: AgentId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        name: row.text(2)?,
        created_at: ts(row.int(3)?)?,
        updated_at: ts(row.int(4)?)?,
        agent_type: row.text(5)?,
        pipeline_type: row.opt_text(6)?,
        timezone: row.opt_text(7)?,
        current_version_number: row.int(8)?,
        revision: row.int(9)?,
        versions: Vec::new(),
        inbound_numbers: Vec::new(),
        outbound_numbers: Vec::new(),
    })
}

/// `queries::VERSION_COLUMNS`, with the agent it belongs to.
pub(crate) fn agent_version(row: &dyn Columns) -> StoreResult<(String, AgentVersion)> {
    Ok((
        row.text(0)?,
        AgentVersion {
            version_number: row.int(1)?,
            version_title: row.opt_text(2)?,
            title: row.text(3)?,
            language_id: row.opt_text(4)?,
            voice_id: row.opt_text(5)?,
            llm_id: row.opt_text(6)?,
            transcriber_id: row.opt_text(7)?,
            inbound: NumberChoice::from_column(row.opt_text(8)?),
            outbound: NumberChoice::from_column(row.opt_text(9)?),
            published_at: opt_ts(row.opt_int(10)?)?,
            created_at: ts(row.int(11)?)?,
            updated_at: ts(row.int(12)?)?,
        },
    ))
}

/// Give each agent its versions from `(agent id, version)` rows, oldest version first.
pub(crate) fn attach_versions(agents: &mut [Agent], rows: Vec<(String, AgentVersion)>) {
    for (agent_id, version) in rows {
        if let Some(agent) = agents.iter_mut().find(|a| a.id.as_str() == agent_id) {
            agent.versions.push(version);
        }
    }
}

/// `queries::AUDIT_COLUMNS`.
pub(crate) fn audit_event(row: &dyn Columns) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        id: AuditEventId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        occurred_at: ts(row.int(2)?)?,
        actor_type: row.text(3)?,
        actor_id: row.opt_text(4)?,
        api_key_id: row.opt_text(5)?,
        ip: row.opt_text(6)?,
        request_id: row.opt_text(7)?,
        action: row.text(8)?,
        resource_type: row.text(9)?,
        resource_id: row.opt_text(10)?,
        outcome: row.text(11)?,
        error_code: row.opt_text(12)?,
        detail: row.text(13)?,
    })
}

/// `queries::SIP_TRUNK_COLUMNS`.
pub(crate) fn sip_trunk(row: &dyn Columns) -> StoreResult<SipTrunkRecord> {
    Ok(SipTrunkRecord {
        phone_number_id: PhoneNumberId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        termination_uri: row.text(2)?,
        auth_mode: parse_at(row, 3, "auth_mode")?,
        username: row.opt_text(4)?,
        password_encrypted: row.opt_text(5)?,
        created_at: ts(row.int(6)?)?,
    })
}

/// `id, phone_number, country_code` of a number an agent is in use by.
pub(crate) fn number_in_use(row: &dyn Columns) -> StoreResult<(PhoneNumberId, E164)> {
    let country: CountryIso = parse_at(row, 2, "country_code")?;
    Ok((
        PhoneNumberId::from_trusted(row.text(0)?),
        E164::from_trusted(row.text(1)?, country),
    ))
}

/// Fill in which live numbers route to each agent from `id, inbound_agent_id,
/// outbound_agent_id` rows (`queries::agents_numbers`), newest number first.
pub(crate) fn attach_numbers(
    agents: &mut [Agent],
    rows: Vec<(PhoneNumberId, Option<String>, Option<String>)>,
) {
    for (number, inbound, outbound) in rows {
        for agent in agents.iter_mut() {
            if inbound.as_deref() == Some(agent.id.as_str()) {
                agent.inbound_numbers.push(number.clone());
            }
            if outbound.as_deref() == Some(agent.id.as_str()) {
                agent.outbound_numbers.push(number.clone());
            }
        }
    }
}

/// `id, inbound_agent_id, outbound_agent_id`.
pub(crate) fn agent_number(
    row: &dyn Columns,
) -> StoreResult<(PhoneNumberId, Option<String>, Option<String>)> {
    Ok((
        PhoneNumberId::from_trusted(row.text(0)?),
        row.opt_text(1)?,
        row.opt_text(2)?,
    ))
}

/// What an activation that changed no row means: an earlier attempt (recovery racing the
/// request) already activated it, which is fine; anything else is a conflict.
pub(crate) fn already_activated(
    current: Option<PhoneNumberRecord>,
) -> StoreResult<PhoneNumberRecord> {
    let record = current.ok_or(StoreError::NotFound)?;
    match record.status {
        NumberStatus::Active => Ok(record),
        other => Err(StoreError::Conflict(format!(
            "cannot activate a {other} number"
        ))),
    }
}
