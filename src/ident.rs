//! Names the hub builds paths, object keys and SQL values from, parsed once where they are read:
//! identifiers of pipelines, datasets and catalogs ([`Ident`]), and agency codes
//! ([`AgencyCode`], the electronic identifier of a state agency, `AAA.BB.CC.XNN`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;

/// A name that is not an identifier or an agency code, with what to write instead.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Invalid {
    /// Not an identifier.
    #[error("'{0}' is not an identifier: use 1-64 lower case letters, digits, '_' or '-'")]
    Ident(String),
    /// Not an agency code.
    #[error("'{0}' is not an agency code of the form AAA.BB.CC.XNN (e.g. 000.00.12.H48)")]
    AgencyCode(String),
}

/// True when `s` is 1 to 64 lower-case ASCII letters, digits, `_` or `-`.
pub(crate) fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// True when `code` has the agency electronic identifier form `AAA.BB.CC.XNN`.
pub(crate) fn is_agency_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 13
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3] == b'.'
        && b[4..6].iter().all(u8::is_ascii_digit)
        && b[6] == b'.'
        && b[7..9].iter().all(u8::is_ascii_digit)
        && b[9] == b'.'
        && b[10].is_ascii_uppercase()
        && b[11..].iter().all(u8::is_ascii_digit)
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $check:path, $variant:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = Invalid;

            fn try_from(s: String) -> Result<$name, Invalid> {
                if $check(&s) {
                    Ok($name(s))
                } else {
                    Err(Invalid::$variant(s))
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = Invalid;

            fn from_str(s: &str) -> Result<$name, Invalid> {
                $name::try_from(s.to_string())
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl $name {
            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

name_type!(
    /// An identifier of a pipeline, dataset or catalog: 1 to 64 lower-case ASCII letters, digits,
    /// `_` or `-`, so it is safe in file names, object keys and URLs.
    Ident,
    is_ident,
    Ident
);

name_type!(
    /// An agency's electronic identifier, `AAA.BB.CC.XNN` (e.g. `000.00.12.H48`).
    AgencyCode,
    is_agency_code,
    AgencyCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_lower_case_ascii_names() {
        assert!("enterprises".parse::<Ident>().is_ok() && "co_so-2".parse::<Ident>().is_ok());
        for bad in ["", "Enterprises", "../etc", "a b", "dữ_liệu", &"x".repeat(65)] {
            assert_eq!(bad.parse::<Ident>(), Err(Invalid::Ident(bad.to_string())), "{bad}");
        }
    }

    #[test]
    fn agency_codes_have_the_electronic_identifier_form() {
        assert_eq!(&*"000.00.12.H48".parse::<AgencyCode>().unwrap(), "000.00.12.H48");
        for bad in ["000.00.12.h48", "00.00.12.H48", "000-00-12-H48", "000.00.12.H4"] {
            assert!(bad.parse::<AgencyCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bad_name_in_a_file_is_an_error_naming_it() {
        #[derive(Debug, Deserialize)]
        struct S {
            #[allow(dead_code)]
            owner: AgencyCode,
        }
        let err = toml::from_str::<S>("owner = \"H48\"").unwrap_err().to_string();
        assert!(err.contains("'H48' is not an agency code"), "{err}");
    }
}
