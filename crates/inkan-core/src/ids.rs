//! Identifier newtypes, parsed once at the edge.
//!
//! Azure's directory ids (tenant, object, application/client) are GUIDs; they are compared
//! case-insensitively by Azure and printed in lower case. Wrapping [`Uuid`] gives both for free
//! and keeps a tenant id from being passed where a client id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! guid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random id.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_guid(s).map(Self)
            }
        }
    };
}

guid_newtype!(
    /// A directory (Entra) tenant id.
    TenantId
);
guid_newtype!(
    /// A subscription id.
    SubscriptionId
);
guid_newtype!(
    /// A service principal's object id (`oid`, ARM's `principalId`).
    ObjectId
);
guid_newtype!(
    /// An application's client id (`appid`/`azp`, ARM's `clientId`).
    ClientId
);

/// Parses a GUID in the hyphenated form Azure uses (braces and other forms are refused).
pub fn parse_guid(s: &str) -> Result<Uuid, uuid::Error> {
    if s.len() != 36 {
        // Uuid::parse_str also accepts simple, braced and urn forms; Azure does not.
        return Uuid::parse_str("not-a-guid");
    }
    Uuid::parse_str(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_parse_case_insensitively_and_print_lower_case() {
        let id: TenantId = "8E3AF657-A8FF-443C-A75C-2FE8C4BCB635".parse().unwrap();
        assert_eq!(id.to_string(), "8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
    }

    #[test]
    fn only_the_hyphenated_form_is_a_guid() {
        assert!("8e3af657a8ff443ca75c2fe8c4bcb635".parse::<ObjectId>().is_err());
        assert!("{8e3af657-a8ff-443c-a75c-2fe8c4bcb635}".parse::<ObjectId>().is_err());
    }
}
