-- One row that readiness checks write, so /ready notices a database that reads but cannot
-- commit (a full or read-only disk).
CREATE TABLE store_heartbeat (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL
);
INSERT INTO store_heartbeat (id, at) VALUES (1, 0);
