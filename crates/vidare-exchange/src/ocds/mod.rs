//! Open data: procurement rounds as OCDS 1.1 release packages.
//!
//! The [Open Contracting Data Standard](https://standard.open-contracting.org/1.1/)
//! (schema 1.1.5) with four extensions, vendored with their licence in `vendor/ocds/`:
//! lots (placement types are lots), otherRequirements (`reservedParticipation`),
//! techniques (framework agreements) and bid (bid statistics). [`build_package`] turns
//! plain input structs — filled by `vidare-store`'s read-only open-data queries — into a
//! package; it does no I/O and depends on nothing but its input, so the same round gives
//! the same bytes.
//!
//! What is published, and what never is:
//!
//! - the tender (title, CPV codes, estimated value, lots with places and maximum prices,
//!   the reservation, the framework technique, tender period, contract period);
//! - after the tender deadline only: who tendered and how many tenders each lot got
//!   (never tender contents before the deadline — tenders are sealed until then);
//! - the award decision per lot with the suppliers, the framework agreements as
//!   contracts with their price per placement-month and capacity;
//! - payments as `contracts[].implementation.transactions`: the **sum** of paid invoices
//!   per contract and month. Never an invoice line, a placement or a participant.
//!
//! Each round is one contracting process with a stable `ocid`: the publisher's
//! registered prefix, the tenant's short name and the round's id
//! (`ocds-213czf-demo-1`). Releases follow the process: `tender`, `tenderUpdate` (once
//! the deadline has passed), `award`, `contract`, `implementation`; a release's id names
//! its stage (and for implementation the last month paid), so changed content gets a new
//! id.

mod build;
#[cfg(feature = "ocds-validate")]
pub mod validate;

pub use build::build_package;

use chrono::{DateTime, NaiveDate, Utc};
use vidare_domain::model::procurement::{ContractKind, LegalBasis, RoundStatus};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;

/// The prefix the standard's own examples use. Only for test and demo data: a
/// municipality publishing real rounds registers its own prefix with the Open
/// Contracting Partnership (free, by e-mail to data@open-contracting.org).
pub const TEST_PREFIX: &str = "ocds-213czf";

/// The org-id.guide scheme of the Swedish Companies Registration Office
/// (Bolagsverket), whose identifiers are organisation numbers.
pub const ORG_SCHEME: &str = "SE-BLV";

/// The licence the packages are published under: CC0 1.0 (public domain dedication).
pub const LICENSE_URL: &str = "https://creativecommons.org/publicdomain/zero/1.0/";

/// The extensions every package declares, by the URL of their `extension.json`, with the
/// folder under `vendor/ocds/extensions/` holding the same files.
pub const EXTENSIONS: &[(&str, &str)] = &[
    (
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
        "lots",
    ),
    (
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
        "bid",
    ),
    (
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_otherRequirements_extension/master/extension.json",
        "otherRequirements",
    ),
    (
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json",
        "techniques",
    ),
];

/// A registered OCID prefix: `ocds-` and six lower-case letters or digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcidPrefix(String);

impl OcidPrefix {
    /// Parses `ocds-xxxxxx`.
    pub fn parse(s: &str) -> Result<OcidPrefix, String> {
        let s = s.trim();
        let ok = s.len() == 11
            && s.starts_with("ocds-")
            && s[5..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(OcidPrefix(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not an OCID prefix: expected ocds- and six lower-case letters or digits"
            ))
        }
    }

    /// The test prefix ([`TEST_PREFIX`]).
    pub fn test() -> OcidPrefix {
        OcidPrefix(TEST_PREFIX.to_string())
    }

    /// Whether this is the test prefix.
    pub fn is_test(&self) -> bool {
        self.0 == TEST_PREFIX
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ocid of a round: prefix, tenant short name, round id.
    pub fn ocid(&self, tenant_slug: &str, round_id: i64) -> String {
        format!("{}-{tenant_slug}-{round_id}", self.0)
    }
}

/// Which prefix each tenant publishes under, as configured for the installation:
/// `VIDARE_OCID_PREFIXES` holds `slug=ocds-xxxxxx` pairs separated by commas
/// (`*=ocds-xxxxxx` for every tenant). A prefix stored for the tenant in the database
/// comes before these (see [`OcidPrefixes::resolve`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OcidPrefixes {
    by_slug: Vec<(String, OcidPrefix)>,
    default: Option<OcidPrefix>,
    /// Given for one run (the command line's `--ocid-prefix`): before everything else.
    overrides: Vec<(String, OcidPrefix)>,
}

/// Why a tenant's rounds cannot be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPrefix;

/// Where a tenant's prefix came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixSource {
    /// Given for this run (`vidare export ocds --ocid-prefix`).
    Override,
    /// Stored for the tenant (the open-data settings, `vidare tenant set-ocid-prefix`).
    Tenant,
    /// The installation's `VIDARE_OCID_PREFIXES`, for this tenant or every tenant.
    Configured,
    /// The standard's test prefix, for a synthetic tenant.
    Test,
}

impl OcidPrefixes {
    /// Parses the configuration text (empty: nothing configured).
    pub fn parse(s: &str) -> Result<OcidPrefixes, String> {
        let mut out = OcidPrefixes::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (slug, prefix) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?}: expected slug=ocds-xxxxxx"))?;
            let prefix = OcidPrefix::parse(prefix)?;
            match slug.trim() {
                "*" => out.default = Some(prefix),
                slug => out.by_slug.push((slug.to_string(), prefix)),
            }
        }
        Ok(out)
    }

    /// Sets one tenant's prefix for this run: it comes before the tenant's stored prefix
    /// and the configuration.
    pub fn set(&mut self, slug: &str, prefix: OcidPrefix) {
        self.overrides.retain(|(s, _)| s != slug);
        self.overrides.push((slug.to_string(), prefix));
    }

    /// The prefix of a tenant and where it came from, in this order: one set for this
    /// run, the one stored for the tenant (`stored`), the configuration's for the tenant,
    /// the configuration's for every tenant, and — for synthetic (test and demo) tenants
    /// only — the test prefix. A real tenant without a registered prefix is not
    /// published.
    pub fn resolve(
        &self,
        slug: &str,
        synthetic: bool,
        stored: Option<&OcidPrefix>,
    ) -> Result<(OcidPrefix, PrefixSource), NoPrefix> {
        if let Some((_, p)) = self.overrides.iter().find(|(s, _)| s == slug) {
            return Ok((p.clone(), PrefixSource::Override));
        }
        if let Some(p) = stored {
            return Ok((p.clone(), PrefixSource::Tenant));
        }
        if let Some((_, p)) = self.by_slug.iter().find(|(s, _)| s == slug) {
            return Ok((p.clone(), PrefixSource::Configured));
        }
        if let Some(p) = &self.default {
            return Ok((p.clone(), PrefixSource::Configured));
        }
        if synthetic {
            Ok((OcidPrefix::test(), PrefixSource::Test))
        } else {
            Err(NoPrefix)
        }
    }
}

/// An organisation as published: its name and organisation number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInput {
    /// The name as registered.
    pub name: String,
    /// The organisation number (identifier in the SE-BLV scheme).
    pub org_number: OrganisationNumber,
}

/// The buyer: the municipality (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerInput {
    /// The name as registered.
    pub name: String,
    /// The tenant's short name, used in the ocid and the party id.
    pub slug: String,
    /// The municipality's organisation number, when known.
    pub org_number: Option<OrganisationNumber>,
}

/// One lot: one placement type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotInput {
    /// The lot's number within the round.
    pub number: u32,
    /// The title.
    pub title: String,
    /// A longer description, if any.
    pub description: Option<String>,
    /// The placement type's code and name.
    pub placement_type: String,
    /// Number of places sought.
    pub places: u32,
    /// Maximum price per placement-month, excluding VAT.
    pub max_price_per_month: Money,
    /// Whether participation in the lot is reserved.
    pub reserved: bool,
    /// Submitted tenders for this lot (counted only when the deadline has passed).
    pub tenders: u32,
}

/// An award criterion and its weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionInput {
    /// Whether the criterion is price (otherwise quality).
    pub price: bool,
    /// The name as registered.
    pub name: String,
    /// Weight in percent.
    pub weight_percent: u32,
}

/// The award decision of the round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardInput {
    /// The day the decision was taken.
    pub decided_on: NaiveDate,
    /// The day the decision was sent to the tenderers.
    pub sent_on: NaiveDate,
    /// The last day of the standstill period.
    pub standstill_end: NaiveDate,
}

/// A framework agreement that came out of the round: one OCDS contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementInput {
    /// The record's id.
    pub id: i64,
    /// The lot the agreement belongs to, if any.
    pub lot_number: Option<u32>,
    /// The supplier.
    pub supplier: OrgInput,
    /// Places the supplier committed to.
    pub capacity: u32,
    /// Price per placement-month, excluding VAT.
    pub price_per_month: Money,
    /// First day in force.
    pub start: NaiveDate,
    /// Last day in force, if set.
    pub end: Option<NaiveDate>,
    /// The day it was signed, if it was.
    pub signed_on: Option<NaiveDate>,
    /// Paid invoices summed per month (never per placement or participant).
    pub payments: Vec<PaymentInput>,
}

/// The sum of the paid invoices (less credit notes) for one agreement and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInput {
    /// The month paid for.
    pub month: YearMonth,
    /// The net amount paid.
    pub amount: Money,
    /// The date the payment is dated by: the latest due date of the month's paid invoices.
    pub date: NaiveDate,
}

/// A procurement round with everything published about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundInput {
    /// The record's id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// The buyer's reference or the advertising database's upphandlings-ID.
    pub reference: Option<String>,
    /// The legal ground of the round.
    pub legal_basis: LegalBasis,
    /// Which threshold applies.
    pub contract_kind: ContractKind,
    /// CPV codes, the main one first.
    pub cpv_codes: Vec<String>,
    /// Whole term including options, excluding VAT.
    pub estimated_value: Money,
    /// First day of the contract period.
    pub contract_start: NaiveDate,
    /// Months of the initial term.
    pub initial_months: u32,
    /// Months of options to extend.
    pub option_months: u32,
    /// The tender deadline as an instant.
    pub tender_deadline: Option<DateTime<Utc>>,
    /// Where the round is in its life.
    pub status: RoundStatus,
    /// When the round was created (the start of the tender period).
    pub created_at: DateTime<Utc>,
    /// The lots, by number.
    pub lots: Vec<LotInput>,
    /// The award criteria.
    pub criteria: Vec<CriterionInput>,
    /// Organisations that submitted a tender (filled only once the deadline has passed).
    pub tenderers: Vec<OrgInput>,
    /// The award decision, once taken.
    pub award: Option<AwardInput>,
    /// The framework agreements signed or to be signed.
    pub agreements: Vec<AgreementInput>,
}

/// Who publishes and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageMeta {
    /// The package's own URI (where it can be downloaded).
    pub uri: String,
    /// The publisher's name: the municipality, or the installation for a package of
    /// several municipalities.
    pub publisher_name: String,
    /// The publisher's organisation number, when known.
    pub publisher_org_number: Option<OrganisationNumber>,
    /// Where the publication policy is explained (the open-data page).
    pub publication_policy: Option<String>,
    /// "Today" in Stockholm, for statuses that depend on the date (standstill, contract
    /// periods).
    pub today: NaiveDate,
}

/// One tenant's rounds, for a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRounds {
    /// The municipality.
    pub buyer: BuyerInput,
    /// The tenant's OCID prefix.
    pub prefix: OcidPrefix,
    /// The rounds to publish.
    pub rounds: Vec<RoundInput>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_and_resolve() {
        assert!(OcidPrefix::parse("ocds-abc123").is_ok());
        assert!(OcidPrefix::parse("ocds-ABC123").is_err());
        assert!(OcidPrefix::parse("ocds-abc12").is_err());
        assert!(OcidPrefix::parse("ocid-abc123").is_err());
        let p = OcidPrefixes::parse("demo=ocds-aaaaaa, *=ocds-bbbbbb").unwrap();
        assert_eq!(
            p.resolve("demo", true, None).unwrap().0.as_str(),
            "ocds-aaaaaa"
        );
        assert_eq!(
            p.resolve("x", false, None).unwrap().0.as_str(),
            "ocds-bbbbbb"
        );
        let none = OcidPrefixes::parse("").unwrap();
        assert_eq!(none.resolve("x", false, None), Err(NoPrefix));
        assert!(none.resolve("x", true, None).unwrap().0.is_test());
        assert!(OcidPrefixes::parse("demo").is_err());
        assert!(OcidPrefixes::parse("demo=ocds-1").is_err());
        assert_eq!(
            OcidPrefix::test().ocid("demo", 7),
            "ocds-213czf-demo-7".to_string()
        );
    }

    #[test]
    fn the_stored_prefix_comes_before_the_configuration() {
        let stored = OcidPrefix::parse("ocds-cccccc").unwrap();
        let mut p = OcidPrefixes::parse("demo=ocds-aaaaaa, *=ocds-bbbbbb").unwrap();
        assert_eq!(
            p.resolve("demo", true, Some(&stored)).unwrap(),
            (stored.clone(), PrefixSource::Tenant)
        );
        assert_eq!(
            p.resolve("x", false, None).unwrap().1,
            PrefixSource::Configured
        );
        let none = OcidPrefixes::default();
        assert_eq!(none.resolve("x", false, Some(&stored)).unwrap().0, stored);
        assert_eq!(none.resolve("x", true, None).unwrap().1, PrefixSource::Test);
        assert_eq!(none.resolve("x", false, None), Err(NoPrefix));
        // One given for the run wins over the stored one.
        let run = OcidPrefix::parse("ocds-dddddd").unwrap();
        p.set("demo", run.clone());
        assert_eq!(
            p.resolve("demo", true, Some(&stored)).unwrap(),
            (run, PrefixSource::Override)
        );
    }
}
