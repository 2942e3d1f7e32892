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
    OcidPrefixes, OrgInput, PackageMeta, PaymentInput, PrefixSource, RoundInput, TenantRounds,
};
use vidare_store::repo::open_data::{OpenOrganisation, OpenRoundData};
use vidare_store::{Store, StoreError};

/// The environment variable naming the OCID prefixes (`slug=ocds-xxxxxx,…`). Kept for
/// installations configured before prefixes were stored per tenant: a prefix stored for
/// the tenant (the open-data page's settings, `vidare tenant set-ocid-prefix`) comes
/// first.
pub const PREFIXES_ENV: &str = "VIDARE_OCID_PREFIXES";

/// The prefixes configured for this process (read once from [`PREFIXES_ENV`]). A
/// malformed value is logged and treated as none configured, so only tenants with a
/// stored prefix and synthetic tenants publish.
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

/// The prefix a tenant publishes under and where it came from (see
/// [`OcidPrefixes::resolve`]: set for the run, stored for the tenant, configured, the
/// test prefix for a synthetic tenant), or why it cannot publish. A stored value that no
/// longer parses is ignored with an error in the log.
pub async fn resolve_prefix(
    store: &Store,
    prefixes: &OcidPrefixes,
    tenant: &Tenant,
) -> Result<(OcidPrefix, PrefixSource), OcdsError> {
    let stored = store
        .tenant_ocid_prefix(tenant.id)
        .await?
        .and_then(|p| match OcidPrefix::parse(&p) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::error!(tenant = %tenant.slug, error = %e, "stored OCID prefix is malformed");
                None
            }
        });
    prefixes
        .resolve(tenant.slug.as_str(), tenant.synthetic, stored.as_ref())
        .map_err(|_| OcdsError::NoPrefix {
            tenant: tenant.slug.to_string(),
        })
}

/// The prefix a tenant publishes under, or why it cannot publish.
pub async fn prefix_for(
    store: &Store,
    prefixes: &OcidPrefixes,
    tenant: &Tenant,
) -> Result<OcidPrefix, OcdsError> {
    resolve_prefix(store, prefixes, tenant)
        .await
        .map(|(p, _)| p)
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
            // The municipality's organisation number from its invoicing buyer details.
            org_number: s.open_buyer_org_number().await?,
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
    let prefix = prefix_for(store, prefixes, &tenant).await?;
    let rounds = tenant_rounds(store, &tenant, prefix, Some(round), now).await?;
    let meta = PackageMeta {
        uri: format!("{base_url}/oppen-data/ocds/{}.json", round.get()),
        publisher_name: tenant.name.to_string(),
        publisher_org_number: rounds.buyer.org_number,
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
        let prefix = match prefix_for(store, prefixes, t).await {
            Ok(p) => p,
            Err(OcdsError::NoPrefix { .. }) => continue,
            Err(e) => return Err(e),
        };
        let part = tenant_rounds(store, t, prefix, None, now).await?;
        if !part.rounds.is_empty() {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    // One municipality publishes its own package; several are published by the
    // installation, which has no organisation number of its own here.
    let publisher_org_number = match parts.as_slice() {
        [one] => one.buyer.org_number,
        _ => None,
    };
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
        publisher_org_number,
        publication_policy: Some(format!("{base_url}/oppen-data")),
        today: stockholm_today(now),
    };
    Ok(Some(ocds::build_package(&meta, &parts)))
}
