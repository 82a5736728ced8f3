-- The rest of a number's life: agents it routes to, releasing it, and numbers that come in over
-- the customer's own SIP trunk. Same columns on SQLite and PostgreSQL.

-- The AI agents numbers route calls to (the minimum numbers need: a name).
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id, created_at);

-- "Which numbers point at this agent" (deleting an agent, listing numbers by agent).
CREATE INDEX phone_numbers_inbound_agent ON phone_numbers (inbound_agent_id)
    WHERE inbound_agent_id IS NOT NULL;
CREATE INDEX phone_numbers_outbound_agent ON phone_numbers (outbound_agent_id)
    WHERE outbound_agent_id IS NOT NULL;

-- A release is a saga too: the intent is saved before the carrier is asked, so a crash between
-- the carrier's answer and our write is settled by the release worker, never guessed.
ALTER TABLE phone_numbers ADD COLUMN release_requested_at BIGINT;
CREATE INDEX phone_numbers_releasing ON phone_numbers (release_requested_at)
    WHERE release_requested_at IS NOT NULL;

-- Bring-your-own numbers: where calls go and how the trunk authenticates. The password is
-- AES-256-GCM ciphertext (`v1:` + base64 of nonce and sealed bytes), never plaintext.
CREATE TABLE sip_trunks (
    phone_number_id TEXT PRIMARY KEY REFERENCES phone_numbers (id),
    workspace_id TEXT NOT NULL,
    termination_uri TEXT NOT NULL,
    auth_mode TEXT NOT NULL,
    username TEXT,
    password_encrypted TEXT,
    created_at BIGINT NOT NULL
);
