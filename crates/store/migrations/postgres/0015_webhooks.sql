-- User webhooks (issue 13): endpoints, the messages fanned out to them from the outbox, and
-- every delivery attempt.
--
-- `events` is ',a,b,' (each name between commas, so one LIKE finds a name) or '*' for all.
-- The secret is sealed like SIP trunk passwords (AES-256-GCM, the webhook id as associated data).
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    is_active BIGINT NOT NULL,
    secret_sealed TEXT NOT NULL,
    failing_since BIGINT,
    disabled_note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at);

-- One message per (webhook, event): its id is the `webhook-id` header of every attempt.
CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    workspace_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    leased_until BIGINT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE UNIQUE INDEX webhook_messages_event ON webhook_messages (webhook_id, event_id);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_log ON webhook_messages (webhook_id, created_at);

CREATE TABLE webhook_attempts (
    message_id TEXT NOT NULL REFERENCES webhook_messages (id),
    attempt BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    status_code BIGINT,
    duration_ms BIGINT NOT NULL,
    error TEXT,
    PRIMARY KEY (message_id, attempt)
);
