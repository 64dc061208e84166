-- inkan schema 5: Key Vault secrets. Values are sealed with the master key (context
-- `secret:<vault>/<name>/<version>`); names keep the case they were first set with.
CREATE TABLE secrets (
    vault_key         TEXT NOT NULL,         -- lower-case vault resource id
    name_key          TEXT NOT NULL,         -- lower-case secret name
    name              TEXT NOT NULL,
    latest_version    TEXT NOT NULL,
    deleted_at        INTEGER,               -- soft-deleted when set
    scheduled_purge   INTEGER,
    PRIMARY KEY (vault_key, name_key)
);

CREATE TABLE secret_versions (
    vault_key         TEXT NOT NULL,
    name_key          TEXT NOT NULL,
    version           TEXT NOT NULL,         -- 32 lower-case hex
    seq               INTEGER NOT NULL,      -- creation order within the secret
    value_sealed      BLOB NOT NULL,
    content_type      TEXT,
    tags              TEXT NOT NULL,         -- JSON object
    enabled           INTEGER NOT NULL,
    not_before        INTEGER,
    expires           INTEGER,
    created           INTEGER NOT NULL,
    updated           INTEGER NOT NULL,
    PRIMARY KEY (vault_key, name_key, version),
    FOREIGN KEY (vault_key, name_key) REFERENCES secrets (vault_key, name_key) ON DELETE CASCADE
);
