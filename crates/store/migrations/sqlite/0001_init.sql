-- DialNexa Numbers, first schema. Times are integer milliseconds since the Unix epoch (UTC),
-- money is integer micro-dollars: the same columns on SQLite and PostgreSQL.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    default_provider TEXT NOT NULL,
    enabled_countries TEXT NOT NULL,
    default_phone_number_id TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

CREATE TABLE kyc (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    country TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, country)
);

-- Which (country, number type) pairs need approved KYC; number_type '*' means all types.
CREATE TABLE regulated_number_types (
    country TEXT NOT NULL,
    number_type TEXT NOT NULL,
    PRIMARY KEY (country, number_type)
);
INSERT INTO regulated_number_types (country, number_type) VALUES
    ('IN', '*'), ('US', 'toll_free'),
    ('DE', 'local'), ('FR', 'local'), ('IT', 'local'), ('ES', 'local'),
    ('BE', 'local'), ('AT', 'local'), ('NL', 'local'), ('PT', 'local');

-- Monthly rental per provider, country and type.
CREATE TABLE prices (
    provider TEXT NOT NULL,
    country TEXT NOT NULL,
    number_type TEXT NOT NULL,
    monthly_micros BIGINT NOT NULL,
    PRIMARY KEY (provider, country, number_type)
);
INSERT INTO prices (provider, country, number_type, monthly_micros) VALUES
    ('twilio', 'US', 'local', 1150000), ('twilio', 'US', 'mobile', 1150000), ('twilio', 'US', 'toll_free', 2150000),
    ('twilio', 'CA', 'local', 1150000), ('twilio', 'CA', 'toll_free', 2150000),
    ('twilio', 'GB', 'local', 1150000), ('twilio', 'GB', 'mobile', 1150000), ('twilio', 'GB', 'toll_free', 2150000),
    ('twilio', 'IN', 'local', 1150000), ('twilio', 'IN', 'mobile', 1150000), ('twilio', 'IN', 'toll_free', 2500000),
    ('twilio', 'AU', 'local', 3000000), ('twilio', 'AU', 'mobile', 6500000), ('twilio', 'AU', 'toll_free', 16000000),
    ('twilio', 'DE', 'local', 1150000), ('twilio', 'DE', 'mobile', 2150000), ('twilio', 'DE', 'toll_free', 18000000),
    ('twilio', 'FR', 'local', 1150000), ('twilio', 'IT', 'local', 1150000), ('twilio', 'ES', 'local', 1150000),
    ('twilio', 'NL', 'local', 1150000), ('twilio', 'BE', 'local', 1150000), ('twilio', 'AT', 'local', 1150000),
    ('twilio', 'PT', 'local', 1150000),
    ('plivo', 'US', 'local', 800000), ('plivo', 'US', 'mobile', 800000), ('plivo', 'US', 'toll_free', 1000000),
    ('plivo', 'CA', 'local', 800000), ('plivo', 'CA', 'toll_free', 1000000),
    ('plivo', 'GB', 'local', 1000000), ('plivo', 'GB', 'mobile', 1000000), ('plivo', 'GB', 'toll_free', 2000000),
    ('plivo', 'IN', 'local', 1150000), ('plivo', 'IN', 'mobile', 1150000), ('plivo', 'IN', 'toll_free', 2500000),
    ('plivo', 'AU', 'local', 2500000), ('plivo', 'AU', 'mobile', 6000000), ('plivo', 'AU', 'toll_free', 15000000),
    ('plivo', 'DE', 'local', 1000000), ('plivo', 'DE', 'mobile', 2000000), ('plivo', 'DE', 'toll_free', 17000000),
    ('plivo', 'FR', 'local', 1000000), ('plivo', 'IT', 'local', 1000000), ('plivo', 'ES', 'local', 1000000),
    ('plivo', 'NL', 'local', 1000000), ('plivo', 'BE', 'local', 1000000), ('plivo', 'AT', 'local', 1000000),
    ('plivo', 'PT', 'local', 1000000);

-- Which numbers a workspace was shown by a search, so a later "taken" can be told apart from
-- "never offered" (409 versus 400).
CREATE TABLE search_sightings (
    workspace_id TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    provider TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, phone_number)
);

CREATE TABLE phone_numbers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    phone_number TEXT NOT NULL,
    country_code TEXT NOT NULL,
    number_type TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    monthly_cost_micros BIGINT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    carrier_ref TEXT,
    label TEXT,
    nickname TEXT,
    inbound_agent_id TEXT,
    outbound_agent_id TEXT,
    failure_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    activated_at BIGINT,
    released_at BIGINT,
    -- The next rental period to charge: its index and start. Kept on the row so the renewal
    -- worker finds due numbers with an index scan and claims each period by compare-and-set.
    next_period_index BIGINT,
    next_period_start BIGINT
);
-- The claim: at most one row holds a number at a time, across all workspaces.
CREATE UNIQUE INDEX phone_numbers_held ON phone_numbers (phone_number)
    WHERE status IN ('pending', 'active');
CREATE INDEX phone_numbers_workspace ON phone_numbers (workspace_id, created_at);
CREATE INDEX phone_numbers_pending ON phone_numbers (created_at) WHERE status = 'pending';
CREATE INDEX phone_numbers_renewal ON phone_numbers (next_period_start)
    WHERE next_period_start IS NOT NULL;

-- The rental ledger: one row per number and period, never two.
CREATE TABLE charges (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    phone_number_id TEXT NOT NULL REFERENCES phone_numbers (id),
    period_index BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    amount_micros BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX charges_number_period ON charges (phone_number_id, period_start);
CREATE INDEX charges_workspace ON charges (workspace_id, period_start);

-- Events written in the same transaction as the change that causes them.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_undelivered ON outbox (created_at) WHERE delivered_at IS NULL;
