-- A purchase's claim and another workspace's reservation of the same number can no longer
-- both succeed. Under READ COMMITTED each checks the other's table with a snapshot taken when
-- its statement starts, so two of them in flight at once could each miss the other. Both now
-- take an advisory lock on the number first (claims shared, so claims never wait on each
-- other; a reservation exclusive, in sorted order, so nothing deadlocks) and look only after
-- they hold it: the claim in this function, whose statements each take a fresh snapshot, the
-- reservation in the statement that follows its lock in the same transaction.
CREATE FUNCTION claim_numbers(
    p_ids TEXT[], p_workspaces TEXT[], p_numbers TEXT[], p_countries TEXT[], p_types TEXT[],
    p_capabilities TEXT[], p_costs INT8[], p_providers TEXT[], p_times INT8[]
) RETURNS SETOF phone_numbers
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(s.n, 0))
       FROM (SELECT DISTINCT u.n FROM unnest(p_numbers) AS u(n) ORDER BY u.n) AS s;
    RETURN QUERY
    INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type,
        capabilities, monthly_cost_micros, provider, status, created_at, updated_at)
    SELECT t.id, t.ws, t.pn, t.cc, t.nt, t.caps, t.cost, t.prov, 'pending', t.at, t.at
      FROM unnest(p_ids, p_workspaces, p_numbers, p_countries, p_types, p_capabilities,
                  p_costs, p_providers, p_times) AS t(id, ws, pn, cc, nt, caps, cost, prov, at)
     WHERE NOT EXISTS (SELECT 1 FROM number_holds h WHERE h.phone_number = t.pn
                          AND h.workspace_id <> t.ws AND h.expires_at > t.at)
     -- Every batch inserts in the same order, so two batches of overlapping numbers (from two
     -- servers) wait on each other's rows one way only and never deadlock.
     ORDER BY t.pn
    ON CONFLICT (phone_number) WHERE status IN ('pending', 'active') DO NOTHING
    RETURNING *;
END
$$;
