-- inkan schema 4: when an identity was detached from a workload, so an identity endpoint can
-- tell a workload that still asks for it when and what happened.
CREATE TABLE identity_detachments (
    resource_key          TEXT NOT NULL,     -- lower-case id of the workload
    principal_id          TEXT NOT NULL,
    client_id             TEXT NOT NULL,
    identity_resource_id  TEXT NOT NULL,     -- the identity resource, or the workload for system-assigned
    detached_at           INTEGER NOT NULL
);
CREATE INDEX identity_detachments_resource ON identity_detachments(resource_key);
