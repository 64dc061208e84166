//! `/metadata/endpoints`: the cloud description `az cloud register` and
//! `ARM_CLOUD_METADATA_URL` read. api-version 2022-09-01 and later answer one object (what
//! `az cloud register` expects); older versions answer the list of clouds (what
//! `ARM_CLOUD_METADATA_URL` loads).

use crate::state::SharedState;
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The cloud's name in Azure CLI.
pub const CLOUD_NAME: &str = "inkan";

pub(super) fn endpoints(state: &SharedState, query: Option<&str>) -> Response {
    let version = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| "2022-09-01".into());
    let cloud = cloud(state);
    if version.as_str() >= "2022-09-01" { Json(cloud).into_response() } else { Json(json!([cloud])).into_response() }
}

/// The cloud description.
pub fn cloud(state: &SharedState) -> Value {
    let base = format!("{}/", state.urls.base);
    json!({
        "name": CLOUD_NAME,
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "batch": "https://batch.core.windows.net/",
        "resourceManager": base,
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": format!("{}/", state.urls.graph_base()),
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": state.urls.registry_suffix(),
            "sqlServerHostname": ".database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": state.urls.vault_suffix(),
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
    })
}
