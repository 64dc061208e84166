//! The management commands: what the field reports do by hand with `az`, over the ARM API.

use super::Target;
use crate::client::ApiClient;
use crate::output::{self, flatten};
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

const DEFAULT_LOCATION: &str = "eastus";

/// The newest stable api-version of a type.
pub fn api_version(type_name: &str) -> String {
    inkan_core::arm::supported_api_versions(type_name)
        .and_then(|v| v.into_iter().rev().find(|v| !v.contains("preview")))
        .unwrap_or("2022-09-01")
        .to_owned()
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create or update a resource group.
    Create {
        #[arg(short = 'n', long)]
        name: String,
        #[arg(short = 'l', long, default_value = DEFAULT_LOCATION)]
        location: String,
    },
    /// List resource groups.
    List,
    /// Delete a resource group and everything in it.
    Delete {
        #[arg(short = 'n', long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create a user-assigned managed identity (creates the resource group if needed).
    Create {
        #[arg(short = 'g', long)]
        resource_group: String,
        #[arg(short = 'n', long)]
        name: String,
        #[arg(short = 'l', long, default_value = DEFAULT_LOCATION)]
        location: String,
    },
    /// Show an identity (clientId, principalId, ...).
    Show {
        #[arg(short = 'g', long)]
        resource_group: String,
        #[arg(short = 'n', long)]
        name: String,
        /// Print only this field, e.g. clientId or principalId.
        #[arg(long)]
        query: Option<String>,
    },
    /// List identities.
    List {
        #[arg(short = 'g', long)]
        resource_group: Option<String>,
    },
    /// Delete an identity.
    Delete {
        #[arg(short = 'g', long)]
        resource_group: String,
        #[arg(short = 'n', long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create or update a key vault.
    Create {
        #[arg(short = 'g', long)]
        resource_group: String,
        #[arg(short = 'n', long)]
        name: String,
        #[arg(short = 'l', long, default_value = DEFAULT_LOCATION)]
        location: String,
        /// Authorize data access with Azure RBAC (true) or access policies (false).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        enable_rbac_authorization: bool,
    },
    /// Show a vault.
    Show {
        #[arg(short = 'g', long)]
        resource_group: String,
        #[arg(short = 'n', long)]
        name: String,
        #[arg(long)]
        query: Option<String>,
    },
    /// List vaults.
    List {
        #[arg(short = 'g', long)]
        resource_group: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Role assignments.
    Assignment {
        #[command(subcommand)]
        command: AssignmentCommand,
    },
    /// Wait until an assignment is in effect (with `inkan serve --assignment-delay`).
    Wait {
        /// The assignment's id.
        #[arg(long = "assignment")]
        id: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
    /// A principal's role assignments (at, above and below a scope), with role names.
    List {
        /// Object id, `rg/name` or resource id.
        #[arg(long)]
        assignee: String,
        #[arg(long)]
        scope: Option<String>,
    },
    /// Role definitions.
    Definition {
        #[command(subcommand)]
        command: DefinitionCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AssignmentCommand {
    /// Assign a role to a principal at a scope.
    Create {
        /// Role name (e.g. "Key Vault Secrets User") or role definition GUID.
        #[arg(long)]
        role: String,
        /// The principal: an object id (principalId), or an identity as `rg/name` or a resource id.
        #[arg(long)]
        assignee: String,
        /// The scope (a resource id); default: the subscription.
        #[arg(long)]
        scope: Option<String>,
    },
    /// List role assignments at and below a scope.
    List {
        #[arg(long)]
        scope: Option<String>,
        /// Only this principal (object id, `rg/name` or resource id).
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Delete a role assignment by id.
    Delete {
        #[arg(long)]
        id: String,
    },
    /// Wait until an assignment is in effect (with `inkan serve --assignment-delay`).
    Wait {
        /// The assignment's id.
        #[arg(long = "assignment")]
        id: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum DefinitionCommand {
    /// List role definitions.
    List {
        /// Only the role with this name.
        #[arg(long)]
        name: Option<String>,
    },
}

pub async fn group(target: &Target, command: GroupCommand) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    let v = api_version("Microsoft.Resources/resourceGroups");
    let base = format!("/subscriptions/{}/resourcegroups", client.subscription());
    match command {
        GroupCommand::Create { name, location } => {
            let rg = client
                .call(Method::PUT, &format!("{base}/{name}?api-version={v}"), Some(&json!({"location": location})))
                .await?;
            output::print_one(&flatten(&rg), target.output, None)
        }
        GroupCommand::List => {
            let list = client.call(Method::GET, &format!("{base}?api-version={v}"), None).await?;
            print_list(&list, &["name", "location"], target)
        }
        GroupCommand::Delete { name } => {
            client.call(Method::DELETE, &format!("{base}/{name}?api-version={v}"), None).await?;
            println!("deleted resource group {name}");
            Ok(())
        }
    }
}

/// A resource of one type in a resource group, as the per-type commands (`identity`, `vault`)
/// address it: its id and the ARM calls they make on it.
struct GroupResource<'c> {
    client: &'c ApiClient,
    type_name: &'static str,
    api_version: String,
}

impl<'c> GroupResource<'c> {
    fn new(client: &'c ApiClient, type_name: &'static str) -> Self {
        Self { client, type_name, api_version: api_version(type_name) }
    }

    fn url(&self, group: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{group}/providers/{}/{name}?api-version={}",
            self.client.subscription(),
            self.type_name,
            self.api_version
        )
    }

    /// Creates (or replaces) it, creating the group first if needed.
    async fn create(&self, group: &str, name: &str, location: &str, body: Value) -> anyhow::Result<Value> {
        ensure_group(self.client, group, location).await?;
        self.client.call(Method::PUT, &self.url(group, name), Some(&body)).await
    }

    async fn show(&self, group: &str, name: &str) -> anyhow::Result<Value> {
        self.client.call(Method::GET, &self.url(group, name), None).await
    }

    async fn delete(&self, group: &str, name: &str) -> anyhow::Result<()> {
        self.client.call(Method::DELETE, &self.url(group, name), None).await.map(drop)
    }

    async fn list(&self, group: Option<&str>) -> anyhow::Result<Value> {
        list_of_type(self.client, self.type_name, group).await
    }
}

pub async fn identity(target: &Target, command: IdentityCommand) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    let identities = GroupResource::new(&client, "Microsoft.ManagedIdentity/userAssignedIdentities");
    match command {
        IdentityCommand::Create { resource_group, name, location } => {
            let created = identities.create(&resource_group, &name, &location, json!({"location": location})).await?;
            output::print_one(&flatten(&created), target.output, None)
        }
        IdentityCommand::Show { resource_group, name, query } => {
            let found = identities.show(&resource_group, &name).await?;
            output::print_one(&flatten(&found), target.output, query.as_deref())
        }
        IdentityCommand::List { resource_group } => {
            let list = identities.list(resource_group.as_deref()).await?;
            print_list(&list, &["name", "resourceGroup", "clientId", "principalId"], target)
        }
        IdentityCommand::Delete { resource_group, name } => {
            identities.delete(&resource_group, &name).await?;
            println!("deleted identity {resource_group}/{name}");
            Ok(())
        }
    }
}

pub async fn vault(target: &Target, command: VaultCommand) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    let vaults = GroupResource::new(&client, "Microsoft.KeyVault/vaults");
    match command {
        VaultCommand::Create { resource_group, name, location, enable_rbac_authorization } => {
            let body = json!({
                "location": location,
                "properties": {
                    "tenantId": client.credentials.tenant_id,
                    "sku": {"family": "A", "name": "standard"},
                    "enableRbacAuthorization": enable_rbac_authorization,
                }
            });
            let created = vaults.create(&resource_group, &name, &location, body).await?;
            output::print_one(&flatten(&created), target.output, None)
        }
        VaultCommand::Show { resource_group, name, query } => {
            let found = vaults.show(&resource_group, &name).await?;
            output::print_one(&flatten(&found), target.output, query.as_deref())
        }
        VaultCommand::List { resource_group } => {
            let list = vaults.list(resource_group.as_deref()).await?;
            print_list(&list, &["name", "resourceGroup", "vaultUri", "enableRbacAuthorization"], target)
        }
    }
}

pub async fn role(target: &Target, command: RoleCommand) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    let v = api_version("Microsoft.Authorization/roleAssignments");
    let subscription_scope = format!("/subscriptions/{}", client.subscription());
    match command {
        RoleCommand::Assignment { command: AssignmentCommand::Create { role, assignee, scope } } => {
            let scope = scope.unwrap_or(subscription_scope);
            let role_id = resolve_role(&client, &scope, &role).await?;
            let principal = resolve_principal(&client, &assignee).await?;
            let name = uuid::Uuid::new_v4();
            let body = json!({"properties": {"roleDefinitionId": role_id, "principalId": principal, "principalType": "ServicePrincipal"}});
            let path = format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={v}",
                scope.trim_end_matches('/')
            );
            let created = client.call(Method::PUT, &path, Some(&body)).await?;
            output::print_one(&flatten(&created), target.output, None)
        }
        RoleCommand::Wait { id, timeout } => {
            Box::pin(role(target, RoleCommand::Assignment { command: AssignmentCommand::Wait { id, timeout } })).await
        }
        RoleCommand::List { assignee, scope } => {
            Box::pin(role(
                target,
                RoleCommand::Assignment { command: AssignmentCommand::List { scope, assignee: Some(assignee) } },
            ))
            .await
        }
        RoleCommand::Assignment { command: AssignmentCommand::List { scope, assignee } } => {
            let scope = scope.unwrap_or(subscription_scope);
            let mut path = format!(
                "{}/providers/Microsoft.Authorization/roleAssignments?api-version={v}",
                scope.trim_end_matches('/')
            );
            if let Some(assignee) = assignee {
                let principal = resolve_principal(&client, &assignee).await?;
                path.push_str(&format!("&$filter=principalId%20eq%20'{principal}'"));
            }
            let list = client.call(Method::GET, &path, None).await?;
            let rows: Vec<Value> = list["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|a| {
                    let mut row = flatten(a);
                    let guid = a["properties"]["roleDefinitionId"]
                        .as_str()
                        .unwrap_or_default()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    row["roleName"] =
                        json!(inkan_core::rbac::builtin_by_id(&guid).map_or(guid.clone(), |r| r.role_name.to_owned()));
                    row
                })
                .collect();
            output::print_table(&rows, &["roleName", "principalId", "scope", "name"], target.output)
        }
        RoleCommand::Assignment { command: AssignmentCommand::Wait { id, timeout } } => {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
            loop {
                let path = format!("/inkan/v1/role-assignment-status?id={}", urlencode(&id));
                let status = client.call(Method::GET, &path, None).await?;
                if status["exists"] != true {
                    anyhow::bail!("no role assignment '{id}'");
                }
                if status["effective"] == true {
                    println!("in effect since {}", status["effectiveAt"].as_str().unwrap_or_default());
                    return Ok(());
                }
                if std::time::Instant::now() >= deadline {
                    anyhow::bail!(
                        "'{id}' takes effect at {}, after the timeout",
                        status["effectiveAt"].as_str().unwrap_or_default()
                    );
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
        RoleCommand::Assignment { command: AssignmentCommand::Delete { id } } => {
            client.call(Method::DELETE, &format!("{id}?api-version={v}"), None).await?;
            println!("deleted role assignment {id}");
            Ok(())
        }
        RoleCommand::Definition { command: DefinitionCommand::List { name } } => {
            let mut path =
                format!("{subscription_scope}/providers/Microsoft.Authorization/roleDefinitions?api-version={v}");
            if let Some(name) = name {
                path.push_str(&format!("&$filter=roleName%20eq%20'{}'", urlencode(&name)));
            }
            let list = client.call(Method::GET, &path, None).await?;
            print_list(&list, &["roleName", "name", "description"], target)
        }
    }
}

pub async fn list(target: &Target, resource_type: Option<&str>, group: Option<&str>) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    let v = api_version("Microsoft.Resources/resources");
    let mut path = match group {
        Some(g) => format!("/subscriptions/{}/resourceGroups/{g}/resources?api-version={v}", client.subscription()),
        None => format!("/subscriptions/{}/resources?api-version={v}", client.subscription()),
    };
    if let Some(t) = resource_type {
        path.push_str(&format!("&$filter=resourceType%20eq%20'{}'", urlencode(t)));
    }
    let list = client.call(Method::GET, &path, None).await?;
    print_list(&list, &["name", "type", "resourceGroup", "location"], target)
}

/// `/etc/hosts` lines for every vault: `127.0.0.1 <vault>.vault.<domain>`.
pub async fn hosts(target: &Target) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    let vaults = list_of_type(&client, "Microsoft.KeyVault/vaults", None).await?;
    let names: Vec<String> = vaults["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["properties"]["vaultUri"].as_str())
        .filter_map(|u| u.strip_prefix("https://")?.split([':', '/']).next().map(str::to_owned))
        .collect();
    println!("# inkan vault hosts: append to /etc/hosts (or resolve *.vault.<domain> to 127.0.0.1 in your DNS)");
    for name in names {
        println!("127.0.0.1 {name}");
    }
    Ok(())
}

async fn list_of_type(client: &ApiClient, type_name: &str, group: Option<&str>) -> anyhow::Result<Value> {
    let v = api_version(type_name);
    let scope = match group {
        Some(g) => format!("/subscriptions/{}/resourceGroups/{g}", client.subscription()),
        None => format!("/subscriptions/{}", client.subscription()),
    };
    client.call(Method::GET, &format!("{scope}/providers/{type_name}?api-version={v}"), None).await
}

fn print_list(list: &Value, columns: &[&str], target: &Target) -> anyhow::Result<()> {
    let rows: Vec<Value> = list["value"].as_array().cloned().unwrap_or_default().iter().map(flatten).collect();
    output::print_table(&rows, columns, target.output)
}

async fn ensure_group(client: &ApiClient, group: &str, location: &str) -> anyhow::Result<()> {
    let v = api_version("Microsoft.Resources/resourceGroups");
    let path = format!("/subscriptions/{}/resourcegroups/{group}?api-version={v}", client.subscription());
    let (status, _) = client.send(Method::GET, &path, None).await?;
    if status == reqwest::StatusCode::NOT_FOUND {
        client.call(Method::PUT, &path, Some(&json!({"location": location}))).await?;
    }
    Ok(())
}

async fn resolve_role(client: &ApiClient, scope: &str, role: &str) -> anyhow::Result<String> {
    if inkan_core::ids::parse_guid(role).is_ok() {
        return Ok(format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"));
    }
    let v = api_version("Microsoft.Authorization/roleDefinitions");
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions?api-version={v}&$filter=roleName%20eq%20'{}'",
        scope.trim_end_matches('/'),
        urlencode(role)
    );
    let list = client.call(Method::GET, &path, None).await?;
    list["value"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no role named '{role}'; `inkan role definition list` shows them"))
}

/// An object id as given, or the principal of an identity named `rg/name` or by resource id.
pub async fn resolve_principal(client: &ApiClient, assignee: &str) -> anyhow::Result<String> {
    if inkan_core::ids::parse_guid(assignee).is_ok() {
        return Ok(assignee.to_ascii_lowercase());
    }
    let id = if assignee.starts_with('/') {
        assignee.to_owned()
    } else {
        let (rg, name) = assignee.split_once('/').ok_or_else(|| {
            anyhow::anyhow!("'{assignee}' is neither an object id, a resource id, nor 'resource-group/identity-name'")
        })?;
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            client.subscription()
        )
    };
    let type_name = inkan_core::arm::ResourceId::parse(&id)
        .ok()
        .and_then(|i| i.resource_type())
        .ok_or_else(|| anyhow::anyhow!("'{id}' is not a resource id"))?;
    let found = client.call(Method::GET, &format!("{id}?api-version={}", api_version(&type_name)), None).await?;
    found["properties"]["principalId"]
        .as_str()
        .or_else(|| found["identity"]["principalId"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("'{id}' has no managed identity (no principalId)"))
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded_byte_serialize(s)
}

fn form_urlencoded_byte_serialize(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
