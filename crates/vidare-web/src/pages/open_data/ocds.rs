//! Assembling OCDS packages from the store: the read-only open-data queries of
//! `vidare-store` feed the pure builder of `vidare-exchange`. Shared by the public pages
//! and `vidare export ocds`.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::Value;
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::RoundId;
use vidare_domain::model::procurement::CriterionKind;
use vidare_domain::model::tenant::Tenant;
use vidare_exchange::ocds::{
    self, AgreementInput, AwardInput, BuyerInput, CriterionInput, LotInput, OcidPrefix,
    OcidPrefixes, OrgInput, PackageMeta, PaymentInput, RoundInput, TenantRounds,
};
use vidare_store::repo::open_data::{OpenOrganisation, OpenRoundData};
use vidare_store::{Store, StoreError};

/// The environment variable naming the OCID prefixes (`slug=ocds-xxxxxx,…`).
pub const PREFIXES_ENV: &str = "VIDARE_OCID_PREFIXES";

/// The prefixes configured for this process (read once from [`PREFIXES_ENV`]). A
/// malformed value is logged and treated as none configured, so only synthetic tenants
/// publish.
pub fn configured_prefixes() -> &'static OcidPrefixes {
    static P: OnceLock<OcidPrefixes> = OnceLock::new();
    P.get_or_init(|| match std::env::var(PREFIXES_ENV) {
        Ok(v) => OcidPrefixes::parse(&v).unwrap_or_else(|e| {
            tracing::error!(error = %e, "{PREFIXES_ENV} is malformed; publishing only synthetic tenants");
            OcidPrefixes::default()
        }),
        Err(_) => OcidPrefixes::default(),
    })
}

/// Why a package cannot be made.
#[derive(Debug)]
pub enum OcdsError {
    /// The round does not exist or is not public.
    NotFound,
    /// The tenant has no registered OCID prefix (and is not synthetic).
    NoPrefix { tenant: String },
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for OcdsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => OcdsError::NotFound,
            e => OcdsError::Store(e),
        }
    }
}

fn org(o: OpenOrganisation) -> OrgInput {
    OrgInput {
        name: o.name,
        org_number: o.org_number,
    }
}

/// The builder's input for one round's data.
pub fn round_input(d: OpenRoundData) -> RoundInput {
    let r = d.round;
    RoundInput {
        id: r.id.get(),
        title: r.title,
        reference: r.reference,
        legal_basis: r.legal_basis,
        contract_kind: r.contract_kind,
        cpv_codes: r.cpv_codes,
        estimated_value: r.estimated_value,
        contract_start: r.contract_start,
        initial_months: r.initial_months,
        option_months: r.option_months,
        tender_deadline: r.tender_deadline.map(|d| d.instant()),
        status: r.status,
        created_at: r.created_at,
        lots: d
            .lots
            .into_iter()
            .map(|l| LotInput {
                number: l.number,
                title: l.title,
                description: l.description,
                placement_type: l.placement_type_name_sv,
                places: l.places,
                max_price_per_month: l.max_price_per_month,
                reserved: l.reserved,
                tenders: l.tenders,
            })
            .collect(),
        criteria: d
            .criteria
            .into_iter()
            .map(|c| CriterionInput {
                price: c.kind == CriterionKind::Price,
                name: c.name,
                weight_percent: c.weight_percent,
            })
            .collect(),
        tenderers: d.tenderers.into_iter().map(org).collect(),
        award: d.decision.map(|a| AwardInput {
            decided_on: a.decided_on,
            sent_on: a.sent_on,
            standstill_end: a.standstill_end,
        }),
        agreements: d
            .agreements
            .into_iter()
            .map(|a| AgreementInput {
                id: a.id,
                lot_number: a.lot_number,
                supplier: org(a.supplier),
                capacity: a.capacity,
                price_per_month: a.price_per_month,
                start: a.start,
                end: a.end,
                signed_on: a.signed_on,
                payments: a
                    .payments
                    .into_iter()
                    .map(|p| PaymentInput {
                        month: p.month,
                        amount: p.amount,
                        date: p.date,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The prefix a tenant publishes under, or why it cannot publish.
pub fn prefix_for(prefixes: &OcidPrefixes, tenant: &Tenant) -> Result<OcidPrefix, OcdsError> {
    prefixes
        .for_tenant(tenant.slug.as_str(), tenant.synthetic)
        .map_err(|_| OcdsError::NoPrefix {
            tenant: tenant.slug.to_string(),
        })
}

/// One tenant's public rounds (or just `only`), ready for the builder.
pub async fn tenant_rounds(
    store: &Store,
    tenant: &Tenant,
    prefix: OcidPrefix,
    only: Option<RoundId>,
    now: DateTime<Utc>,
) -> Result<TenantRounds, OcdsError> {
    let s = store.tenant(tenant.id);
    let ids: Vec<RoundId> = match only {
        Some(id) => vec![id],
        None => s.open_rounds().await?.into_iter().map(|r| r.id).collect(),
    };
    let mut rounds = Vec::with_capacity(ids.len());
    for id in ids {
        rounds.push(round_input(s.open_round_data(id, now).await?));
    }
    // Oldest first in the package.
    rounds.sort_by_key(|r| (r.created_at, r.id));
    Ok(TenantRounds {
        buyer: BuyerInput {
            name: tenant.name.to_string(),
            slug: tenant.slug.to_string(),
            org_number: None,
        },
        prefix,
        rounds,
    })
}

/// The package of one round, found by its id alone (public URLs).
pub async fn round_package(
    store: &Store,
    prefixes: &OcidPrefixes,
    round: RoundId,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Value, OcdsError> {
    let tenant_id = store
        .round_tenant(round)
        .await?
        .ok_or(OcdsError::NotFound)?;
    let tenant = store.get_tenant(tenant_id).await?;
    let prefix = prefix_for(prefixes, &tenant)?;
    let rounds = tenant_rounds(store, &tenant, prefix, Some(round), now).await?;
    let meta = PackageMeta {
        uri: format!("{base_url}/oppen-data/ocds/{}.json", round.get()),
        publisher_name: tenant.name.to_string(),
        publisher_org_number: None,
        publication_policy: Some(format!("{base_url}/oppen-data")),
        today: stockholm_today(now),
    };
    Ok(ocds::build_package(&meta, &[rounds]))
}

/// The package of every public round of the given tenants (tenants without a prefix are
/// left out; `None` if no tenant could publish anything).
pub async fn tenants_package(
    store: &Store,
    prefixes: &OcidPrefixes,
    tenants: &[Tenant],
    uri: String,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<Value>, OcdsError> {
    let mut parts = Vec::new();
    for t in tenants {
        let Ok(prefix) = prefix_for(prefixes, t) else {
            continue;
        };
        let part = tenant_rounds(store, t, prefix, None, now).await?;
        if !part.rounds.is_empty() {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    let publisher_name = if parts.len() == 1 {
        parts[0].buyer.name.clone()
    } else {
        format!(
            "Vidare: {}",
            parts
                .iter()
                .map(|p| p.buyer.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let meta = PackageMeta {
        uri,
        publisher_name,
        publisher_org_number: None,
        publication_policy: Some(format!("{base_url}/oppen-data")),
        today: stockholm_today(now),
    };
    Ok(Some(ocds::build_package(&meta, &parts)))
}
