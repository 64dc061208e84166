-- inkan schema 2: the audit log of every token issued or refused.
CREATE TABLE audit_events (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    surface          TEXT NOT NULL,          -- imds, app-service, token-endpoint, agent
    caller_resource  TEXT,                   -- the workload (or application) that asked
    principal_id     TEXT,                   -- the identity the token is (or would be) for
    client_id        TEXT,
    audience         TEXT,
    outcome          TEXT NOT NULL CHECK (outcome IN ('issued', 'refused')),
    reason           TEXT NOT NULL,
    count            INTEGER NOT NULL DEFAULT 1 -- identical events in the same second, stored once
);
CREATE INDEX audit_events_at ON audit_events(at);
