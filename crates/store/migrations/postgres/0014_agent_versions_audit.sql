-- Agents as the official spec has them (a type, and versions of which one is published), and
-- the audit log. Same columns on SQLite and PostgreSQL.

-- `revision` moves with every write to the agent, so a change computed from one read is
-- applied only if nothing changed the agent since (compare-and-set).
ALTER TABLE agents ADD COLUMN agent_type TEXT NOT NULL DEFAULT 'Single_Prompt_Agent';
ALTER TABLE agents ADD COLUMN pipeline_type TEXT;
ALTER TABLE agents ADD COLUMN timezone TEXT;
ALTER TABLE agents ADD COLUMN current_version_number BIGINT NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE agents SET pipeline_type = 'Cascaded';

-- A version's phone-number choices are kept on the version (NULL: none made, '': detach,
-- 'phn_…': route) and become live routing (the number row's agent columns) only when the
-- version is published. `published_at` is set on the one published version, NULL elsewhere.
CREATE TABLE agent_versions (
    agent_id TEXT NOT NULL REFERENCES agents (id),
    workspace_id TEXT NOT NULL,
    version_number BIGINT NOT NULL,
    version_title TEXT,
    title TEXT NOT NULL,
    language_id TEXT,
    voice_id TEXT,
    llm_id TEXT,
    transcriber_id TEXT,
    inbound_phone_number_id TEXT,
    outbound_phone_number_id TEXT,
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, version_number)
);

-- Agents from before versions route their numbers already: each is its own published version 1.
INSERT INTO agent_versions (agent_id, workspace_id, version_number, version_title, title,
    published_at, created_at, updated_at)
SELECT id, workspace_id, 1, 'Version 1', name, updated_at, created_at, updated_at FROM agents;

-- Who did what to a workspace, and how it ended. Kept 400 days (a worker deletes older rows).
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    api_key_id TEXT,
    ip TEXT,
    request_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    outcome TEXT NOT NULL,
    error_code TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, occurred_at, id);
CREATE INDEX audit_events_age ON audit_events (occurred_at);
