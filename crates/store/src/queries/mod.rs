//! SQL text both backends run unchanged (`$n` placeholders, times as BIGINT milliseconds, money
//! as BIGINT micro-dollars, ids as TEXT), and the builders of the statements whose shape depends
//! on the request. Each backend module executes these in its own driver; what differs between
//! the databases is written there.

macro_rules! sql {
    ($($part:expr),* $(,)?) => {
        std::sync::LazyLock::new(|| [$($part),*].concat())
    };
}

type Sql = std::sync::LazyLock<String>;

mod agents;
mod audit;
mod dynamic;
pub(crate) mod holds;
pub(crate) mod sessions;
pub(crate) mod webhooks;

pub(crate) use agents::*;
pub(crate) use audit::*;
pub(crate) use dynamic::{Value, number_list, number_update};

use crate::Direction;

pub(crate) const NUMBER_COLUMNS: &str = "id, workspace_id, phone_number, country_code, \
     number_type, capabilities, monthly_cost_micros, provider, status, carrier_ref, label, \
     nickname, inbound_agent_id, outbound_agent_id, failure_reason, created_at, updated_at, \
     activated_at, released_at";

pub(crate) const WORKSPACE_COLUMNS: &str =
    "id, name, default_provider, enabled_countries, default_phone_number_id, created_at";

pub(crate) const API_KEY_COLUMNS: &str =
    "id, workspace_id, name, key_prefix, created_at, revoked_at";

pub(crate) const AGENT_COLUMNS: &str = "id, workspace_id, name, created_at, updated_at, \
     agent_type, pipeline_type, timezone, current_version_number, revision";

pub(crate) const CHARGE_COLUMNS: &str = "id, workspace_id, phone_number_id, period_index, \
     period_start, period_end, amount_micros, created_at";

pub(crate) const SIP_TRUNK_COLUMNS: &str = "phone_number_id, workspace_id, termination_uri, \
     auth_mode, username, password_encrypted, created_at";

/// Rows in these states hold their number and route calls (or will, once the purchase settles).
pub(crate) const LIVE: &str = "status IN ('pending', 'active')";

// Workspaces, keys, KYC.
pub(crate) static INSERT_WORKSPACE: Sql = sql!(
    "INSERT INTO workspaces (id, name, default_provider, enabled_countries, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING ",
    WORKSPACE_COLUMNS
);
pub(crate) static WORKSPACE_BY_ID: Sql = sql!(
    "SELECT ",
    WORKSPACE_COLUMNS,
    " FROM workspaces WHERE id = $1"
);
/// Many workspaces by id in one statement (PostgreSQL's read lane).
pub(crate) static WORKSPACES_BY_IDS: Sql = sql!(
    "SELECT ",
    WORKSPACE_COLUMNS,
    " FROM workspaces WHERE id = ANY($1::text[])"
);
pub(crate) static WORKSPACES: Sql = sql!(
    "SELECT ",
    WORKSPACE_COLUMNS,
    " FROM workspaces ORDER BY created_at, id"
);
pub(crate) static SET_TELEPHONY_CONFIG: Sql = sql!(
    "UPDATE workspaces SET enabled_countries = $2, default_provider = $3 WHERE id = $1 \
     RETURNING ",
    WORKSPACE_COLUMNS
);
pub(crate) const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, workspace_id, name, \
     key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const AUTHENTICATE_KEY: &str =
    "SELECT id, workspace_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL";
pub(crate) static API_KEYS: Sql = sql!(
    "SELECT ",
    API_KEY_COLUMNS,
    " FROM api_keys WHERE workspace_id = $1 ORDER BY created_at, id"
);
pub(crate) const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = $3 \
     WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL";
pub(crate) const KYC_STATUSES: &str =
    "SELECT country, status, updated_at FROM kyc WHERE workspace_id = $1 ORDER BY country";
pub(crate) const KYC_STATUS: &str =
    "SELECT status FROM kyc WHERE workspace_id = $1 AND country = $2";
pub(crate) const SET_KYC_STATUS: &str = "INSERT INTO kyc (workspace_id, country, status, \
     updated_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (workspace_id, country) DO UPDATE SET status = $3, updated_at = $4";

// Reference data and sightings.
pub(crate) const REGULATED: &str =
    "SELECT country, number_type FROM regulated_number_types ORDER BY country, number_type";
pub(crate) const PRICE: &str = "SELECT monthly_micros FROM prices \
     WHERE provider = $1 AND country = $2 AND number_type = $3";
pub(crate) const PRICES: &str = "SELECT provider, country, number_type, monthly_micros \
     FROM prices ORDER BY provider, country, number_type";
/// Many (workspace, number) sightings in one statement (PostgreSQL's read lane).
pub(crate) const SIGHTINGS_BY_KEYS: &str = "SELECT s.workspace_id, s.phone_number, s.provider, \
     s.capabilities, s.seen_at FROM search_sightings s \
     JOIN unnest($1::text[], $2::text[]) AS k(ws, pn) ON s.workspace_id = k.ws AND s.phone_number = k.pn";
pub(crate) const SIGHTING: &str = "SELECT provider, capabilities, seen_at FROM search_sightings \
     WHERE workspace_id = $1 AND phone_number = $2";

/// One multi-row upsert of `n` sightings: `$1` the workspace, `$2` the time, then number,
/// provider and capabilities of each.
pub(crate) fn record_sightings(n: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO search_sightings (workspace_id, phone_number, provider, capabilities, \
         seen_at) VALUES ",
    );
    for i in 0..n {
        let b = i * 3;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, ${}, ${}, ${}, $2)", b + 3, b + 4, b + 5));
    }
    sql.push_str(
        " ON CONFLICT (workspace_id, phone_number) DO UPDATE SET provider = excluded.provider, \
         capabilities = excluded.capabilities, seen_at = excluded.seen_at",
    );
    sql
}

// Numbers: the purchase saga and reads.
pub(crate) static INSERT_PENDING: Sql = sql!(
    "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type, \
     capabilities, monthly_cost_micros, provider, status, created_at, updated_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9 \
     WHERE NOT EXISTS (SELECT 1 FROM number_holds h WHERE h.phone_number = $3 \
     AND h.workspace_id <> $2 AND h.expires_at > $9) RETURNING ",
    NUMBER_COLUMNS
);
pub(crate) static ACTIVATE: Sql = sql!(
    "UPDATE phone_numbers SET status = 'active', carrier_ref = $2, activated_at = $3, \
     updated_at = $3, next_period_index = $4, next_period_start = $5 \
     WHERE id = $1 AND status = 'pending' RETURNING ",
    NUMBER_COLUMNS
);
pub(crate) static NUMBER_BY_ID: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE id = $1"
);
pub(crate) static NUMBER_IN_WORKSPACE: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE id = $1 AND workspace_id = $2"
);
pub(crate) const INSERT_CHARGE: &str = "INSERT INTO charges (id, workspace_id, phone_number_id, \
     period_index, period_start, period_end, amount_micros, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (phone_number_id, period_start) DO NOTHING";
/// Answers the workspace, for the outbox event, only when the row was still pending.
pub(crate) const FAIL_PENDING: &str = "UPDATE phone_numbers SET status = 'failed', \
     failure_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'pending' \
     RETURNING workspace_id";
pub(crate) static PENDING_BEFORE: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE status = 'pending' AND created_at < $1 \
     ORDER BY created_at LIMIT $2"
);
pub(crate) static LIVE_NUMBER: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE workspace_id = $1 AND phone_number = $2 \
     AND status IN ('pending', 'active')"
);
/// The claims of many purchases in one statement (PostgreSQL): a row for each that no live row
/// holds yet; a number already held (or twice in the batch), or held by another workspace's
/// reservation, returns no row. `claim_numbers` (migration 0017) first takes each number's
/// advisory lock, which a reservation of it takes too.
pub(crate) static CLAIM_BATCH: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM claim_numbers($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
     $6::text[], $7::int8[], $8::text[], $9::int8[])"
);
/// The activations of many purchases in one statement (PostgreSQL): each pending row turns
/// active, with its first charge and its outbox event, all or nothing.
pub(crate) static ACTIVATE_BATCH: Sql = std::sync::LazyLock::new(|| activate_batch(""));
/// [`ACTIVATE_BATCH`] with the requests' audit rows (`$14` to `$27`, as
/// [`INSERT_AUDIT_BATCH`]'s `$1` to `$14`), each written if the number it is about (`$28`)
/// is active once the statement has run: one statement, committed on its own, for the whole
/// of an audited purchase's activation.
pub(crate) static ACTIVATE_AUDITED_BATCH: Sql = std::sync::LazyLock::new(|| {
    activate_batch(
        ", audited AS (INSERT INTO audit_events (id, workspace_id, occurred_at, actor_type, \
         actor_id, api_key_id, ip, request_id, action, resource_type, resource_id, outcome, \
         error_code, detail) \
         SELECT id, workspace_id, occurred_at, actor_type, actor_id, api_key_id, ip, \
         request_id, action, resource_type, resource_id, outcome, error_code, detail \
         FROM unnest($14::text[], $15::text[], $16::int8[], $17::text[], $18::text[], \
         $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], \
         $25::text[], $26::text[], $27::text[], $28::text[]) AS u(id, workspace_id, \
         occurred_at, actor_type, actor_id, api_key_id, ip, request_id, action, resource_type, \
         resource_id, outcome, error_code, detail, number_id) \
         WHERE u.number_id IN (SELECT id FROM activated) OR EXISTS (SELECT 1 FROM \
         phone_numbers n WHERE n.id = u.number_id AND n.status = 'active'))",
    )
});

/// The activation statement, with `more` common table expressions after its own.
fn activate_batch(more: &str) -> String {
    let returning: Vec<String> = NUMBER_COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect();
    format!(
        "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], \
         $5::int8[], $6::text[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::text[], \
         $12::text[], $13::text[]) AS i(id, carrier_ref, at, next_index, next_start, charge_id, \
         period_index, period_start, period_end, amount, event_id, event_type, payload)), \
         activated AS (UPDATE phone_numbers p SET status = 'active', \
         carrier_ref = i.carrier_ref, activated_at = i.at, updated_at = i.at, \
         next_period_index = i.next_index, next_period_start = i.next_start FROM input i \
         WHERE p.id = i.id AND p.status = 'pending' RETURNING {}), \
         charged AS (INSERT INTO charges (id, workspace_id, phone_number_id, period_index, \
         period_start, period_end, amount_micros, created_at) SELECT i.charge_id, a.workspace_id, \
         a.id, i.period_index, i.period_start, i.period_end, i.amount, i.at \
         FROM activated a JOIN input i ON i.id = a.id \
         ON CONFLICT (phone_number_id, period_start) DO NOTHING), \
         evented AS (INSERT INTO outbox (id, workspace_id, event_type, payload, created_at) \
         SELECT i.event_id, a.workspace_id, i.event_type, i.payload, i.at \
         FROM activated a JOIN input i ON i.id = a.id){more} \
         SELECT {NUMBER_COLUMNS} FROM activated",
        returning.join(", ")
    )
}
pub(crate) static NUMBERS_BY_IDS: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE id = ANY($1::text[])"
);
pub(crate) const INSERT_EVENT: &str = "INSERT INTO outbox (id, workspace_id, event_type, \
     payload, created_at) VALUES ($1, $2, $3, $4, $5)";

// Billing.
pub(crate) const DUE_RENEWALS: &str = "SELECT id, workspace_id, activated_at, next_period_index, \
     next_period_start, released_at, monthly_cost_micros FROM phone_numbers \
     WHERE next_period_start IS NOT NULL AND next_period_start <= $1 \
     AND status IN ('active', 'released') AND provider <> 'sip_trunk' \
     AND release_requested_at IS NULL \
     AND (released_at IS NULL OR next_period_start < released_at) \
     ORDER BY next_period_start LIMIT $2";
/// The renewal cursor moves first: it is both the claim and the write lock.
pub(crate) const MOVE_RENEWAL_CURSOR: &str = "UPDATE phone_numbers SET next_period_index = $3, \
     next_period_start = $4 WHERE id = $1 AND next_period_index = $2 \
     AND release_requested_at IS NULL RETURNING workspace_id";
pub(crate) const CHARGES_WHERE: &str = "workspace_id = $1 AND ($2 = '' OR phone_number_id = $2) \
     AND period_start >= $3 AND period_start < $4";
pub(crate) static COUNT_CHARGES: Sql = sql!("SELECT COUNT(*) FROM charges WHERE ", CHARGES_WHERE);
pub(crate) static CHARGES: Sql = sql!(
    "SELECT ",
    CHARGE_COLUMNS,
    " FROM charges WHERE ",
    CHARGES_WHERE,
    " ORDER BY period_start, id LIMIT $5 OFFSET $6"
);

// Idempotency keys.
pub(crate) const FORGET_EXPIRED_KEY: &str = "DELETE FROM idempotency_keys \
     WHERE workspace_id = $1 AND idem_key = $2 AND created_at < $3";
pub(crate) const CLAIM_KEY: &str = "INSERT INTO idempotency_keys (workspace_id, idem_key, \
     request_hash, created_at, locked_at) VALUES ($1, $2, $3, $4, $4) \
     ON CONFLICT (workspace_id, idem_key) DO NOTHING";
pub(crate) const KEY_STATE: &str = "SELECT request_hash, status_code, response_body, created_at, \
     locked_at FROM idempotency_keys WHERE workspace_id = $1 AND idem_key = $2";
pub(crate) const TAKE_OVER_KEY: &str = "UPDATE idempotency_keys SET locked_at = $3 \
     WHERE workspace_id = $1 AND idem_key = $2 AND locked_at = $4 AND status_code IS NULL";
pub(crate) const COMPLETE_KEY: &str = "UPDATE idempotency_keys SET status_code = $3, \
     response_body = $4 WHERE workspace_id = $1 AND idem_key = $2";
pub(crate) const ABANDON_KEY: &str = "DELETE FROM idempotency_keys \
     WHERE workspace_id = $1 AND idem_key = $2 AND status_code IS NULL";

// Agents.
pub(crate) static INSERT_AGENT: Sql = sql!(
    "INSERT INTO agents (id, workspace_id, name, created_at, updated_at, agent_type, \
     pipeline_type, timezone, current_version_number, revision) \
     VALUES ($1, $2, $3, $4, $4, $5, $6, $7, 1, 0) RETURNING ",
    AGENT_COLUMNS
);
pub(crate) static AGENT: Sql = sql!(
    "SELECT ",
    AGENT_COLUMNS,
    " FROM agents WHERE id = $1 AND workspace_id = $2"
);
pub(crate) const COUNT_AGENTS: &str = "SELECT COUNT(*) FROM agents WHERE workspace_id = $1";
pub(crate) static AGENTS: Sql = sql!(
    "SELECT ",
    AGENT_COLUMNS,
    " FROM agents WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
);
pub(crate) const AGENT_EXISTS: &str = "SELECT id FROM agents WHERE id = $1 AND workspace_id = $2";
pub(crate) const NUMBER_STATE: &str = "SELECT status, release_requested_at FROM phone_numbers \
     WHERE id = $1 AND workspace_id = $2";
pub(crate) static AGENT_IN_USE_BY: Sql = sql!(
    "SELECT id, phone_number, country_code FROM phone_numbers WHERE workspace_id = $1 AND ",
    LIVE,
    " AND (inbound_agent_id = $2 OR outbound_agent_id = $2) ORDER BY created_at, id"
);
pub(crate) const DELETE_AGENT: &str = "DELETE FROM agents WHERE id = $1 AND workspace_id = $2";

/// `id, inbound_agent_id, outbound_agent_id` of the live numbers routing to any of `n` agents
/// (`$2`..): one query for a whole page of agents.
pub(crate) fn agents_numbers(n: usize) -> String {
    let list = (0..n)
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT id, inbound_agent_id, outbound_agent_id FROM phone_numbers \
         WHERE workspace_id = $1 AND {LIVE} \
         AND (inbound_agent_id IN ({list}) OR outbound_agent_id IN ({list})) \
         ORDER BY created_at DESC, id DESC"
    )
}

/// The agent's other live-or-not numbers of this direction let go (`$4` is the number that is
/// about to bind, or `''`).
pub(crate) fn unbind_agent(direction: Direction) -> String {
    let column = direction.column();
    format!(
        "UPDATE phone_numbers SET {column} = NULL, updated_at = $3 \
         WHERE workspace_id = $1 AND {column} = $2 AND id <> $4"
    )
}

pub(crate) fn bind_agent(direction: Direction) -> String {
    let column = direction.column();
    format!(
        "UPDATE phone_numbers SET {column} = $3, updated_at = $4 \
         WHERE id = $1 AND workspace_id = $2 AND {LIVE}"
    )
}

/// Every row, live or not, stops naming a deleted agent.
pub(crate) fn forget_agent(direction: Direction) -> String {
    let column = direction.column();
    format!(
        "UPDATE phone_numbers SET {column} = NULL, updated_at = $3 \
         WHERE workspace_id = $1 AND {column} = $2"
    )
}

// Lifecycle.
pub(crate) const CLEAR_DEFAULT: &str =
    "UPDATE workspaces SET default_phone_number_id = NULL WHERE id = $1";
pub(crate) const SET_DEFAULT: &str = "UPDATE workspaces SET default_phone_number_id = $2 \
     WHERE id = $1 AND EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = $2 \
     AND p.workspace_id = $1 AND p.status = 'active' AND p.release_requested_at IS NULL)";
pub(crate) static CLAIM_RELEASE: Sql = sql!(
    "UPDATE phone_numbers SET release_requested_at = $3 \
     WHERE id = $1 AND workspace_id = $2 AND status = 'active' \
     AND release_requested_at IS NULL AND NOT EXISTS \
     (SELECT 1 FROM workspaces w WHERE w.id = $2 AND w.default_phone_number_id = $1) \
     RETURNING ",
    NUMBER_COLUMNS
);
/// The release takes effect when its intent was saved: the carrier let go of the number in
/// between, so no period that starts after the intent is ever charged.
pub(crate) static FINISH_RELEASE: Sql = sql!(
    "UPDATE phone_numbers SET status = 'released', \
     released_at = COALESCE(release_requested_at, $2), updated_at = $2, \
     release_requested_at = NULL, inbound_agent_id = NULL, outbound_agent_id = NULL \
     WHERE id = $1 AND status = 'active' RETURNING ",
    NUMBER_COLUMNS
);
pub(crate) const DELETE_SIP_TRUNK: &str = "DELETE FROM sip_trunks WHERE phone_number_id = $1";
pub(crate) const FORGET_DEFAULT: &str = "UPDATE workspaces SET default_phone_number_id = NULL \
     WHERE default_phone_number_id = $1";
pub(crate) const ABANDON_RELEASE: &str = "UPDATE phone_numbers SET release_requested_at = NULL \
     WHERE id = $1 AND status = 'active'";
pub(crate) static STALE_RELEASES: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE release_requested_at IS NOT NULL \
     AND release_requested_at < $1 AND status = 'active' \
     ORDER BY release_requested_at LIMIT $2"
);

// SIP trunks.
pub(crate) static INSERT_SIP_NUMBER: Sql = sql!(
    "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type, \
     capabilities, monthly_cost_micros, provider, status, nickname, created_at, updated_at, \
     activated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $10, $10) \
     RETURNING ",
    NUMBER_COLUMNS
);
pub(crate) const INSERT_SIP_TRUNK: &str = "INSERT INTO sip_trunks (phone_number_id, \
     workspace_id, termination_uri, auth_mode, username, password_encrypted, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) static SIP_TRUNK: Sql = sql!(
    "SELECT ",
    SIP_TRUNK_COLUMNS,
    " FROM sip_trunks WHERE phone_number_id = $1 AND workspace_id = $2"
);

// Reconciliation.
pub(crate) static LIVE_BY_PROVIDER: Sql = sql!(
    "SELECT ",
    NUMBER_COLUMNS,
    " FROM phone_numbers WHERE provider = $1 AND status IN ('pending', 'active') \
     ORDER BY phone_number"
);
pub(crate) const RELEASE_GHOST: &str = "UPDATE phone_numbers SET status = 'released', \
     released_at = COALESCE(release_requested_at, $2), updated_at = $2, \
     release_requested_at = NULL, \
     inbound_agent_id = NULL, outbound_agent_id = NULL, \
     failure_reason = 'gone at the carrier (reconciliation)' WHERE id = $1 AND status = 'active'";
pub(crate) const SET_CARRIER_REF: &str = "UPDATE phone_numbers SET carrier_ref = $2 WHERE id = $1";

// Health.
pub(crate) const HEARTBEAT: &str = "UPDATE store_heartbeat SET at = $1 WHERE id = 1";

// Monitoring: the status counters the triggers keep (migration 0005), summed over workspaces.
pub(crate) const PENDING_PURCHASES: &str = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) \
     FROM phone_number_counts WHERE status = 'pending'";
