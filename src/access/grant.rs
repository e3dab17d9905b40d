//! New grants: the checks a grant passes before it is stored. A grant that covers personal
//! fields names its purpose beside its legal basis and ends (one year by default); one that
//! covers sensitive fields says so explicitly; protected fields must fit their protection.

use super::{random_token, Error, Result, ADMIN_DATASET, SCOPES};
use crate::protect::{Protection, Protections};
use crate::store::{GrantRow, Store};
use crate::versions::{Personal, SchemaField};

/// Options of a new grant.
pub struct GrantRequest<'a> {
    /// The client receiving the grant.
    pub client_id: &'a str,
    /// The dataset (or `*` with the admin and reports scopes).
    pub dataset: &'a str,
    /// One of [`SCOPES`].
    pub scope: &'a str,
    /// Only these fields (`None`: every field).
    pub fields: Option<Vec<String>>,
    /// Last day of the grant (`yyyy-mm-dd`).
    pub until: Option<String>,
    /// Legal basis: the law, decree or decision that allows the sharing.
    pub basis: &'a str,
    /// What the receiving agency uses the data for (required when personal fields are covered).
    pub purpose: &'a str,
    /// The grant explicitly covers sensitive personal fields.
    pub sensitive: bool,
    /// How fields are delivered (masked or pseudonymized); others are delivered as they are.
    pub protect: Protections,
    /// Days a grant on personal fields lasts when `until` is not given (settings).
    pub personal_days: u32,
}

/// The published schema of `dataset`, after checking that `fields`, when given, are some of it.
async fn schema_of(store: &Store, dataset: &str, fields: Option<&[String]>) -> Result<Vec<SchemaField>> {
    let Some(d) = store.dataset(dataset).await? else {
        return Err(Error::Grant(format!(
            "dataset '{dataset}' does not exist: grants are on published datasets (lgsp versions <dataset>)"
        )));
    };
    let schema: Vec<SchemaField> = serde_json::from_str(&d.schema_json).unwrap_or_default();
    let Some(fields) = fields else { return Ok(schema) };
    if fields.is_empty() {
        return Err(Error::Grant("fields: name at least one field, or leave fields out to grant every field".into()));
    }
    if let Some(bad) = fields.iter().find(|f| !schema.iter().any(|s| &&s.name == f)) {
        let known: Vec<&str> = schema.iter().map(|f| f.name.as_str()).collect();
        return Err(Error::Grant(format!(
            "field '{bad}' is not a field of '{dataset}': its fields are {}",
            known.join(", ")
        )));
    }
    Ok(schema)
}

/// Checks the personal-data conditions of a grant covering `covered`; returns its last day.
fn check_personal(g: &GrantRequest<'_>, covered: &[&SchemaField]) -> Result<Option<String>> {
    let names = |class: Option<Personal>| -> Vec<&str> {
        covered
            .iter()
            .filter(|f| f.personal.is_some() && (class.is_none() || f.personal == class))
            .map(|f| f.name.as_str())
            .collect()
    };
    let personal = names(None);
    if personal.is_empty() {
        return Ok(g.until.clone());
    }
    if g.purpose.trim().is_empty() {
        return Err(Error::Grant(format!(
            "the grant covers personal fields ({}): give its purpose (--purpose), what the receiving agency uses them for; personal data is processed only for its stated purpose",
            personal.join(", ")
        )));
    }
    let sensitive = names(Some(Personal::Sensitive));
    if !sensitive.is_empty() && !g.sensitive {
        return Err(Error::Grant(format!(
            "field '{}' is sensitive personal data: grant it only explicitly (--sensitive, \"sensitive\": true) with its legal basis, or leave it out with --fields",
            sensitive[0]
        )));
    }
    Ok(Some(g.until.clone().unwrap_or_else(|| {
        (chrono::Utc::now().date_naive() + chrono::Days::new(u64::from(g.personal_days))).to_string()
    })))
}

/// Checks that each protected field is granted and fits its protection.
fn check_protect(protect: &Protections, covered: &[&SchemaField], dataset: &str) -> Result<()> {
    for (field, p) in protect {
        let Some(f) = covered.iter().find(|f| &f.name == field) else {
            return Err(Error::Grant(format!("protect: '{field}' is not a granted field of '{dataset}'")));
        };
        p.check(field, &f.kind).map_err(|e| Error::Grant(format!("protect: {e}")))?;
    }
    Ok(())
}

/// Adds a grant after checking the client, the scope, the dataset and its fields, the
/// personal-data conditions, the protections and the date.
pub async fn add_grant(store: &Store, g: GrantRequest<'_>) -> Result<GrantRow> {
    match store.client(g.client_id).await? {
        Some(c) if c.revoked_at.is_none() => {}
        _ => return Err(Error::NoClient(g.client_id.into())),
    }
    if !SCOPES.contains(&g.scope) {
        return Err(Error::Grant(format!("scope '{}' is not one of {}", g.scope, SCOPES.join(", "))));
    }
    // `*` (every dataset) goes with the platform-wide scopes, and they only with it.
    match (g.scope, g.dataset == ADMIN_DATASET) {
        ("admin" | "reports", false) => {
            return Err(Error::Grant(format!("the {} scope goes with dataset '{ADMIN_DATASET}'", g.scope)))
        }
        ("admin" | "reports", true) | (_, false) => {}
        (_, true) => {
            return Err(Error::Grant(format!("dataset '{ADMIN_DATASET}' takes the admin or the reports scope only")))
        }
    }
    if g.basis.trim().is_empty() {
        return Err(Error::Grant("basis: give the legal basis of the grant".into()));
    }
    if let Some(d) = &g.until {
        crate::text::date::parse_date(d)
            .map_err(|_| Error::Grant(format!("until '{d}' is not a date: write yyyy-mm-dd")))?;
    }
    let mut until = g.until.clone();
    if g.dataset != ADMIN_DATASET {
        let schema = schema_of(store, g.dataset, g.fields.as_deref()).await?;
        let covered: Vec<&SchemaField> =
            schema.iter().filter(|f| g.fields.as_ref().is_none_or(|fs| fs.contains(&f.name))).collect();
        until = check_personal(&g, &covered)?;
        check_protect(&g.protect, &covered, g.dataset)?;
    } else if !g.protect.is_empty() {
        return Err(Error::Grant("protect applies to dataset grants".into()));
    }
    let until = match until {
        Some(d) => Some(
            crate::text::date::parse_date(&d)
                .map_err(|_| Error::Grant(format!("until '{d}' is not a date")))?
                .to_string(),
        ),
        None => None,
    };
    let row = GrantRow {
        id: format!("g-{}", random_token(9).to_lowercase().replace(['-', '_'], "x")),
        client_id: g.client_id.into(),
        dataset: g.dataset.into(),
        scope: g.scope.into(),
        fields: g.fields.map(|f| serde_json::to_string(&f).unwrap_or_default()),
        until,
        basis: g.basis.into(),
        purpose: g.purpose.trim().into(),
        sensitive: i64::from(g.sensitive),
        protect: (!g.protect.is_empty()).then(|| serde_json::to_string(&g.protect).unwrap_or_default()),
        created_at: crate::store::now(),
        revoked_at: None,
    };
    store.add_grant(&row).await?;
    Ok(row)
}

/// Reads `field=protection` pairs (CLI `--protect`).
pub fn parse_protect(pairs: &[String]) -> std::result::Result<Protections, String> {
    pairs
        .iter()
        .map(|p| {
            let (f, how) = p
                .split_once('=')
                .ok_or_else(|| format!("--protect '{p}': write field=last4|initials|year|pseudonym"))?;
            let how: Protection = how.parse().map_err(|e: crate::protect::Error| e.to_string())?;
            Ok((f.trim().to_string(), how))
        })
        .collect()
}
