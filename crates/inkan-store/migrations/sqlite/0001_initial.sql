-- inkan schema 1: directory, resources, role assignments, signing keys.
-- Secret columns (*_sealed) hold AES-256-GCM blobs sealed with the master key, which is
-- kept outside this database.

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,          -- lower-case GUID
    display_name  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    display_name  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE bootstrap (
    singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    subscription_id  TEXT NOT NULL REFERENCES subscriptions(id),
    admin_object_id  TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

-- Service principals: applications and managed identities (system- and user-assigned).
CREATE TABLE principals (
    object_id     TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL UNIQUE,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    display_name  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('Application', 'SystemAssigned', 'UserAssigned')),
    resource_id   TEXT,                      -- xms_mirid for managed identities, original case
    created_at    INTEGER NOT NULL,
    deleted_at    INTEGER                    -- set when the identity is deleted or detached
);
CREATE INDEX principals_resource ON principals(lower(resource_id));

CREATE TABLE client_secrets (
    key_id        TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES principals(client_id),
    hint          TEXT NOT NULL,
    verifier      BLOB NOT NULL,             -- SHA-256 of the secret; the secret itself is never stored
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX client_secrets_client ON client_secrets(client_id);

CREATE TABLE signing_keys (
    kid              TEXT PRIMARY KEY,
    private_sealed   BLOB NOT NULL,
    cert_der         BLOB NOT NULL,
    created_at       INTEGER NOT NULL,
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    retire_at        INTEGER                 -- when it leaves the JWKS (after its last token expired)
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys(active) WHERE active = 1;

-- ARM resources (tracked and proxy), keyed by the lower-case id.
CREATE TABLE resources (
    key              TEXT PRIMARY KEY,
    id               TEXT NOT NULL,
    type_key         TEXT NOT NULL,          -- lower-case full type
    subscription_id  TEXT NOT NULL,
    group_key        TEXT,                   -- lower-case resource group name
    parent_key       TEXT,                   -- lower-case parent id for child resources
    global_name      TEXT UNIQUE,            -- 'type/name' for DNS-named types (vaults, registries)
    body             TEXT NOT NULL,
    generation       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX resources_group ON resources(subscription_id, group_key);
CREATE INDEX resources_parent ON resources(parent_key);

CREATE TABLE role_assignments (
    key                  TEXT PRIMARY KEY,   -- lower-case full id
    id                   TEXT NOT NULL,
    scope_key            TEXT NOT NULL,
    role_definition_guid TEXT NOT NULL,
    principal_id         TEXT NOT NULL,
    body                 TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    UNIQUE (scope_key, role_definition_guid, principal_id)
);
CREATE INDEX role_assignments_principal ON role_assignments(principal_id);
