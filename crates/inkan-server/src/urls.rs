//! The public URLs inkan answers on, derived once from the domain and the bound port.

/// Every URL a client is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrls {
    /// `https://<domain>[:port]`, no trailing slash: the token authority and ARM.
    pub base: String,
    pub domain: String,
    pub port: u16,
}

impl PublicUrls {
    pub fn new(domain: &str, port: u16) -> Self {
        let base = if port == 443 { format!("https://{domain}") } else { format!("https://{domain}:{port}") };
        Self { base, domain: domain.to_owned(), port }
    }

    /// `host[:port]` suffix for a sub-domain, e.g. `vault.localhost:8443`.
    pub fn suffix(&self, label: &str) -> String {
        if self.port == 443 {
            format!("{label}.{}", self.domain)
        } else {
            format!("{label}.{}:{}", self.domain, self.port)
        }
    }

    /// The Key Vault DNS suffix with port (`vault.localhost:8443`).
    pub fn vault_suffix(&self) -> String {
        self.suffix("vault")
    }

    /// The container registry login-server suffix with port (`azurecr.localhost:8443`).
    pub fn registry_suffix(&self) -> String {
        self.suffix("azurecr")
    }

    /// Microsoft Graph's base URL and resource on inkan (`https://localhost:8443/graph`): the
    /// cloud metadata's `microsoftGraphResourceId`, so az sends its directory lookups here.
    pub fn graph_base(&self) -> String {
        format!("{}/graph", self.base)
    }

    /// The DNS names the server certificate covers.
    pub fn certificate_names(&self) -> Vec<String> {
        let d = &self.domain;
        let mut names = vec![d.clone(), format!("*.{d}"), format!("*.vault.{d}"), format!("*.azurecr.{d}")];
        if d != "localhost" {
            names.push("localhost".into());
        }
        names
    }
}
