//! The access tokens inkan issues: which claims, in which version, for whom.
//!
//! Entra issues v1 tokens (`iss` = `https://sts.windows.net/{tid}/`, `appid`) to resources that
//! accept v1 (Azure Resource Manager, Key Vault, the container registry) and v2 tokens (`iss`
//! ending in `/v2.0`, `azp`) otherwise. inkan keeps that split, with its own authority in place of
//! `sts.windows.net` and `login.microsoftonline.com`, so a resource server can tell inkan's tokens
//! from Azure's and validate them against inkan's published keys.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The token format a resource accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenVersion {
    V1,
    V2,
}

/// How the client proved who it is (`appidacr`/`azpacr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// A managed identity, authenticated by the platform.
    ManagedIdentity,
    /// A client secret.
    Secret,
    /// A certificate or a federated assertion.
    Assertion,
}

impl ClientAuthMethod {
    fn acr(self) -> &'static str {
        match self {
            ClientAuthMethod::ManagedIdentity | ClientAuthMethod::Assertion => "2",
            ClientAuthMethod::Secret => "1",
        }
    }
}

/// The issuer URLs of one tenant, derived from inkan's authority base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuers {
    pub v1: String,
    pub v2: String,
}

impl Issuers {
    /// `authority` is the base URL without a trailing slash, e.g. `https://localhost:8443`.
    pub fn new(authority: &str, tenant_id: &str) -> Self {
        Self { v1: format!("{authority}/{tenant_id}/"), v2: format!("{authority}/{tenant_id}/v2.0") }
    }

    /// Whether `iss` is one of the two issuers of `tenant_id` at `authority`, without
    /// building them (validation runs this on every request).
    pub fn accepts(authority: &str, tenant_id: &str, iss: &str) -> bool {
        iss.strip_prefix(authority)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.strip_prefix(tenant_id))
            .is_some_and(|rest| rest == "/" || rest == "/v2.0")
    }

    pub fn for_version(&self, version: TokenVersion) -> &str {
        match version {
            TokenVersion::V1 => &self.v1,
            TokenVersion::V2 => &self.v2,
        }
    }
}

/// What is needed to mint one app-only access token.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub tenant_id: String,
    pub object_id: String,
    pub client_id: String,
    /// The `aud`: exactly the resource that was requested.
    pub audience: String,
    pub version: TokenVersion,
    pub auth: ClientAuthMethod,
    /// For managed identities, the ARM id of the identity (`xms_mirid`).
    pub managed_identity_resource_id: Option<String>,
    pub issued_at: i64,
    pub lifetime_secs: i64,
}

/// The payload of an inkan access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aio: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appidacr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azpacr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
    pub oid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rh: Option<String>,
    pub sub: String,
    pub tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uti: Option<String>,
    pub ver: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_mirid: Option<String>,
}

impl AccessTokenClaims {
    /// Builds the claims Entra would put in an app-only token for this grant.
    pub fn for_grant(grant: &TokenGrant, issuers: &Issuers) -> Self {
        let iss = issuers.for_version(grant.version).to_owned();
        let (appid, appidacr, azp, azpacr, ver) = match grant.version {
            TokenVersion::V1 => (Some(grant.client_id.clone()), Some(grant.auth.acr().to_owned()), None, None, "1.0"),
            TokenVersion::V2 => (None, None, Some(grant.client_id.clone()), Some(grant.auth.acr().to_owned()), "2.0"),
        };
        Self {
            aud: grant.audience.clone(),
            iat: grant.issued_at,
            // Entra backdates nbf by five minutes to absorb clock skew.
            nbf: grant.issued_at - 300,
            exp: grant.issued_at + grant.lifetime_secs,
            aio: Some(opaque()),
            appid,
            appidacr,
            azp,
            azpacr,
            idp: Some(issuers.v1.clone()),
            idtyp: Some("app".into()),
            oid: grant.object_id.clone(),
            rh: Some(opaque()),
            sub: grant.object_id.clone(),
            tid: grant.tenant_id.clone(),
            uti: Some(opaque()[..22].to_owned()),
            ver: ver.into(),
            xms_mirid: grant.managed_identity_resource_id.clone(),
            iss,
        }
    }

    /// The client id, whichever version the token is.
    pub fn client_id(&self) -> Option<&str> {
        self.appid.as_deref().or(self.azp.as_deref())
    }
}

/// Turns an OAuth2 v2 scope into the resource it names: `https://vault.azure.net/.default` →
/// `https://vault.azure.net`, `https://management.core.windows.net//.default` →
/// `https://management.core.windows.net/`. Only single-resource `.default` scopes are valid for
/// app-only flows.
pub fn resource_from_scope(scope: &str) -> Option<String> {
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    // MSAL adds the OIDC scopes for some flows; they do not name a resource.
    let resources: Vec<&str> =
        scopes.into_iter().filter(|s| !matches!(*s, "openid" | "profile" | "offline_access")).collect();
    match resources.as_slice() {
        [one] => one.strip_suffix("/.default").filter(|r| !r.is_empty()).map(str::to_owned),
        _ => None,
    }
}

fn opaque() -> String {
    let u = Uuid::new_v4();
    let mut s = u.simple().to_string();
    s.push_str(&Uuid::new_v4().simple().to_string());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_accept_exactly_the_two_issuers_of_the_tenant() {
        let (authority, tenant) = ("https://localhost:8443", "72f988bf-86f1-41af-91ab-2d7cd011db47");
        let issuers = Issuers::new(authority, tenant);
        assert!(Issuers::accepts(authority, tenant, &issuers.v1));
        assert!(Issuers::accepts(authority, tenant, &issuers.v2));
        for other in [
            format!("{authority}/{tenant}"),
            format!("{authority}/{tenant}/v2.0/"),
            format!("{authority}/00000000-0000-0000-0000-000000000000/"),
            format!("https://localhost:9443/{tenant}/"),
            format!("{authority}/{tenant}x/"),
            format!("{authority}{tenant}/"),
        ] {
            assert!(!Issuers::accepts(authority, tenant, &other), "{other}");
        }
    }

    #[test]
    fn scopes_map_to_resources() {
        assert_eq!(resource_from_scope("https://vault.azure.net/.default").unwrap(), "https://vault.azure.net");
        assert_eq!(
            resource_from_scope("https://management.core.windows.net//.default").unwrap(),
            "https://management.core.windows.net/"
        );
        assert_eq!(
            resource_from_scope("https://vault.azure.net/.default offline_access openid").unwrap(),
            "https://vault.azure.net"
        );
        assert!(resource_from_scope("https://vault.azure.net/user_impersonation").is_none());
        assert!(resource_from_scope("a/.default b/.default").is_none());
        assert!(resource_from_scope("/.default").is_none());
    }

    #[test]
    fn v1_and_v2_claims_differ_as_entra_does() {
        let issuers = Issuers::new("https://localhost:8443", "t");
        let grant = TokenGrant {
            tenant_id: "t".into(),
            object_id: "o".into(),
            client_id: "c".into(),
            audience: "https://vault.azure.net".into(),
            version: TokenVersion::V1,
            auth: ClientAuthMethod::Secret,
            managed_identity_resource_id: None,
            issued_at: 1000,
            lifetime_secs: 3599,
        };
        let v1 = AccessTokenClaims::for_grant(&grant, &issuers);
        assert_eq!(v1.iss, "https://localhost:8443/t/");
        assert_eq!(v1.appid.as_deref(), Some("c"));
        assert_eq!(v1.appidacr.as_deref(), Some("1"));
        assert_eq!((v1.exp, v1.ver.as_str()), (4599, "1.0"));
        let v2 = AccessTokenClaims::for_grant(&TokenGrant { version: TokenVersion::V2, ..grant }, &issuers);
        assert_eq!(v2.iss, "https://localhost:8443/t/v2.0");
        assert_eq!(v2.azp.as_deref(), Some("c"));
        assert!(v2.appid.is_none());
    }
}
