-- inkan schema 3: host credentials, which let an `inkan agent` on another machine speak for
-- one compute resource. The credential is an application principal with a client secret
-- (verifier in client_secrets); this table binds it to the resource.
CREATE TABLE host_credentials (
    client_id     TEXT PRIMARY KEY REFERENCES principals(client_id),
    resource_key  TEXT NOT NULL,             -- lower-case id of the VM (or cluster) it represents
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX host_credentials_resource ON host_credentials(resource_key);
