-- Listing a workspace's live numbers: the count of every page and the page itself, both by
-- (workspace_id, status) and in created_at order, read from this index alone for the count.
CREATE INDEX phone_numbers_workspace_status ON phone_numbers (workspace_id, status, created_at);
