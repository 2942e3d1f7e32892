//! Effect measurement: bulk reads into `vidare_effects::EffectsData`, the versioned
//! parameter sets of the socio-economic calculation, and the dashboards' cache of
//! computed figures.
//!
//! **Loading.** One streamed query per table (rows are decoded in place: codes are read
//! as `&str` from the row and mapped to enums, never copied into a `String`), ids mapped
//! to dense indices. Attendance and invoice lines are not read at all: their sums per
//! placement and per supplier-month are kept in `placement_totals` and
//! `supplier_month_payments` by triggers (migration 0010), exact at every commit. Names and
//! identity numbers are not read: of the identity number only its first eight digits
//! (the birth date) are selected, to derive the age band; nothing here identifies a
//! person, so no access-log entry is due (the figures are aggregates).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sqlx::Row;
use vidare_domain::ids::TenantId;
use vidare_domain::model::participant::{EducationLevel, Gender, SwedishLevel};
use vidare_domain::model::placement::{ExitOutcome, FollowUpPoint, FollowUpStatus};
use vidare_domain::model::RuleViolation;
use vidare_effects::data::{day, AgeBand, EffectsData};
use vidare_effects::socioeconomic::{ParameterSet, SPECS};

use crate::audit::Change;
use crate::rows::conv;
use crate::{with_pool, Scoped, Store, StoreError};

/// Maps database ids to dense indices: a vector over the id range when the ids are
/// dense enough, a hash map otherwise.
struct IdMap {
    min: i64,
    dense: Vec<u32>,
    sparse: HashMap<i64, u32>,
}

impl IdMap {
    fn new(ids: &[i64]) -> IdMap {
        let (min, max) = ids
            .iter()
            .fold((i64::MAX, i64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        if ids.is_empty() {
            return IdMap {
                min: 0,
                dense: Vec::new(),
                sparse: HashMap::new(),
            };
        }
        let span = (max - min + 1) as usize;
        if span <= ids.len().saturating_mul(4).max(1024) {
            let mut dense = vec![u32::MAX; span];
            for (i, &id) in ids.iter().enumerate() {
                dense[(id - min) as usize] = i as u32;
            }
            IdMap {
                min,
                dense,
                sparse: HashMap::new(),
            }
        } else {
            let sparse = ids
                .iter()
                .enumerate()
                .map(|(i, &id)| (id, i as u32))
                .collect();
            IdMap {
                min,
                dense: Vec::new(),
                sparse,
            }
        }
    }

    fn get(&self, id: i64) -> Option<u32> {
        if self.dense.is_empty() {
            self.sparse.get(&id).copied()
        } else {
            let k = id - self.min;
            if k < 0 || k as usize >= self.dense.len() {
                return None;
            }
            Some(self.dense[k as usize]).filter(|&i| i != u32::MAX)
        }
    }

    fn need(&self, entity: &'static str, id: i64, refers: i64) -> Result<u32, StoreError> {
        self.get(refers).ok_or_else(|| StoreError::Corrupt {
            entity,
            id,
            reason: format!("refers to {refers}, which was not loaded"),
        })
    }
}

fn filter(tenant: Option<i64>, column: &str, and: bool) -> String {
    match tenant {
        Some(_) => format!("{} {column} = $1", if and { "AND" } else { "WHERE" }),
        None => String::new(),
    }
}

/// `YYYY-MM` to a month number.
fn parse_month(entity: &'static str, id: i64, s: &str) -> Result<i32, StoreError> {
    let bad = || StoreError::Corrupt {
        entity,
        id,
        reason: format!("month {s:?} is not YYYY-MM"),
    };
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok(y * 12 + m - 1)
}

/// The age band from the identity number's first eight digits (samordningsnummer: day
/// + 60) on `on`.
fn age_band(id: i64, digits: &str, on: NaiveDate) -> Result<AgeBand, StoreError> {
    let bad = || StoreError::Corrupt {
        entity: "participants",
        id,
        reason: "identity number has no birth date".into(),
    };
    if digits.len() < 8 || !digits.is_ascii() {
        return Err(bad());
    }
    let y: i32 = digits[0..4].parse().map_err(|_| bad())?;
    let m: u32 = digits[4..6].parse().map_err(|_| bad())?;
    let mut d: u32 = digits[6..8].parse().map_err(|_| bad())?;
    if d > 60 {
        d -= 60;
    }
    let birth = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
    Ok(AgeBand::of_age(on.years_since(birth).unwrap_or(0)))
}

/// The read transaction [`Store::effects_data`] loads in.
enum ReadTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Store {
    /// Loads everything the effect measurement reads, for one tenant or (None) all.
    pub async fn effects_data(&self, tenant: Option<TenantId>) -> Result<EffectsData, StoreError> {
        let t = tenant.map(|t| t.get());
        let mut data = EffectsData::default();
        let mut as_of = i32::MIN;
        // Every query reads one snapshot, so rows added meanwhile cannot point at rows
        // an earlier query did not see. On PostgreSQL the aggregations (a million groups
        // at national scale) get the memory to hash in RAM instead of spilling to disk:
        // with the default 4 MB, the load took three times as long.
        let mut read = match self.backend() {
            crate::Backend::Sqlite(pool) => ReadTx::Sqlite(pool.begin().await?),
            crate::Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("SET LOCAL work_mem = '256MB'")
                    .execute(&mut *tx)
                    .await?;
                ReadTx::Postgres(tx)
            }
        };
        macro_rules! fetch {
            ($sql:expr, |$row:ident| $body:block) => {{
                let sql: String = $sql;
                match &mut read {
                    ReadTx::Sqlite(tx) => {
                        let q = sqlx::query(&sql);
                        let q = match t {
                            Some(t) => q.bind(t),
                            None => q,
                        };
                        let mut rows = q.fetch(&mut **tx);
                        while let Some($row) = rows.try_next().await? {
                            $body
                        }
                    }
                    ReadTx::Postgres(tx) => {
                        let q = sqlx::query(&sql);
                        let q = match t {
                            Some(t) => q.bind(t),
                            None => q,
                        };
                        let mut rows = q.fetch(&mut **tx);
                        while let Some($row) = rows.try_next().await? {
                            $body
                        }
                    }
                }
            }};
        }

        // Tenants.
        fetch!(
            format!(
                "SELECT id, slug, name FROM tenants {} ORDER BY id",
                filter(t, "id", false)
            ),
            |r| {
                data.tenants.ext_id.push(r.try_get::<i64, _>(0)?);
                data.tenants.slug.push(r.try_get::<String, _>(1)?);
                data.tenants.name.push(r.try_get::<String, _>(2)?);
            }
        );
        let tenants = IdMap::new(&data.tenants.ext_id);

        // Placement types, with the referrals suppliers declined.
        fetch!(
            format!(
                "SELECT id, tenant_id, code, name_sv, name_en FROM placement_types {} ORDER BY id",
                filter(t, "tenant_id", false)
            ),
            |r| {
                let id: i64 = r.try_get(0)?;
                let ty = &mut data.placement_types;
                ty.ext_id.push(id);
                ty.tenant
                    .push(tenants.need("placement_types", id, r.try_get(1)?)?);
                ty.code.push(r.try_get(2)?);
                ty.name_sv.push(r.try_get(3)?);
                ty.name_en.push(r.try_get(4)?);
                ty.declined_referrals.push(0);
            }
        );
        let types = IdMap::new(&data.placement_types.ext_id);
        fetch!(
            format!(
                "SELECT placement_type_id, COUNT(*) FROM referrals WHERE status = 'declined' {} \
                 GROUP BY placement_type_id",
                filter(t, "tenant_id", true)
            ),
            |r| {
                let ty: i64 = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                let k = types.need("referrals", ty, ty)? as usize;
                data.placement_types.declined_referrals[k] = n as u32;
            }
        );

        // Suppliers: organisations (names are the organisations', not persons').
        fetch!(
            format!(
                "SELECT id, tenant_id, name, annual_turnover_ore FROM organisations {} ORDER BY id",
                filter(t, "tenant_id", false)
            ),
            |r| {
                let id: i64 = r.try_get(0)?;
                let s = &mut data.suppliers;
                s.ext_id.push(id);
                s.tenant
                    .push(tenants.need("organisations", id, r.try_get(1)?)?);
                s.name.push(r.try_get(2)?);
                s.annual_turnover_ore.push(r.try_get(3)?);
            }
        );
        let suppliers = IdMap::new(&data.suppliers.ext_id);

        fetch!(
            format!(
                "SELECT id, tenant_id, title, contract_start FROM procurement_rounds {} ORDER BY id",
                filter(t, "tenant_id", false)
            ),
            |r| {
                let id: i64 = r.try_get(0)?;
                let rs = &mut data.rounds;
                rs.ext_id.push(id);
                rs.tenant.push(tenants.need("procurement_rounds", id, r.try_get(1)?)?);
                rs.title.push(r.try_get(2)?);
                rs.contract_start.push(day(r.try_get::<NaiveDate, _>(3)?));
            }
        );
        let rounds = IdMap::new(&data.rounds.ext_id);

        fetch!(
            format!(
                "SELECT id, organisation_id, placement_type_id, round_id, start_date, end_date, \
                 capacity, price_per_month_ore FROM framework_agreements {} ORDER BY id",
                filter(t, "tenant_id", false)
            ),
            |r| {
                let id: i64 = r.try_get(0)?;
                let round: Option<i64> = r.try_get(3)?;
                let a = &mut data.agreements;
                a.ext_id.push(id);
                a.supplier
                    .push(suppliers.need("framework_agreements", id, r.try_get(1)?)?);
                a.placement_type
                    .push(types.need("framework_agreements", id, r.try_get(2)?)?);
                a.round.push(match round {
                    Some(x) => Some(rounds.need("framework_agreements", id, x)?),
                    None => None,
                });
                a.start.push(day(r.try_get::<NaiveDate, _>(4)?));
                a.end.push(r.try_get::<Option<NaiveDate>, _>(5)?.map(day));
                a.capacity.push(r.try_get::<i64, _>(6)? as u32);
                a.price_per_month_ore.push(r.try_get(7)?);
            }
        );
        let agreements = IdMap::new(&data.agreements.ext_id);

        // Participants with their register row.
        fetch!(
            format!(
                "SELECT p.id, p.tenant_id, SUBSTR(p.personal_number, 1, 8), p.gender, p.born_abroad, \
                 p.education, p.months_on_income_support, p.health_limitation, p.swedish_level, \
                 p.prior_work_experience, p.registered_on, r.began_on, r.activity, r.observed_until \
                 FROM participants p LEFT JOIN register_outcomes r ON r.participant_id = p.id {} \
                 ORDER BY p.id",
                filter(t, "p.tenant_id", false)
            ),
            |r| {
                let id: i64 = r.try_get(0)?;
                let registered: Option<NaiveDate> = r.try_get(10)?;
                let observed: Option<NaiveDate> = r.try_get(13)?;
                let on = registered.or(observed).unwrap_or_else(|| Utc::now().date_naive());
                let p = &mut data.participants;
                p.ext_id.push(id);
                p.tenant.push(tenants.need("participants", id, r.try_get(1)?)?);
                p.age_band.push(age_band(id, r.try_get::<&str, _>(2)?, on)?);
                p.gender.push(conv("participants", id, Gender::parse(r.try_get(3)?))?);
                p.born_abroad.push(r.try_get(4)?);
                p.education.push(conv("participants", id, EducationLevel::parse(r.try_get(5)?))?);
                p.months_on_income_support
                    .push(r.try_get::<i64, _>(6)?.clamp(0, u16::MAX as i64) as u16);
                p.health_limitation.push(r.try_get(7)?);
                p.swedish_level.push(conv("participants", id, SwedishLevel::parse(r.try_get(8)?))?);
                p.prior_work_experience.push(r.try_get(9)?);
                p.registered_on.push(registered.map(day));
                p.register_began_on.push(r.try_get::<Option<NaiveDate>, _>(11)?.map(day));
                p.register_activity.push(match r.try_get::<Option<&str>, _>(12)? {
                    Some(a) => Some(conv("register_outcomes", id, ExitOutcome::parse(a))?),
                    None => None,
                });
                if let Some(o) = observed {
                    as_of = as_of.max(day(o));
                }
                p.register_observed_until.push(observed.map(day));
            }
        );
        let participants = IdMap::new(&data.participants.ext_id);

        // Placements with their exit and their totals (kept by triggers: migration 0010).
        fetch!(
            format!(
                "SELECT p.id, p.participant_id, p.agreement_id, p.organisation_id, p.start_date, \
                 p.end_date, e.exit_date, e.outcome, t.attendance_months, t.attended_minutes, \
                 t.paid_ore FROM placements p \
                 LEFT JOIN exits e ON e.placement_id = p.id \
                 LEFT JOIN placement_totals t ON t.placement_id = p.id {} ORDER BY p.id",
                filter(t, "p.tenant_id", false)
            ),
            |r| {
                let id: i64 = r.try_get(0)?;
                let agreement = agreements.need("placements", id, r.try_get(2)?)?;
                let start = day(r.try_get::<NaiveDate, _>(4)?);
                let end = r.try_get::<Option<NaiveDate>, _>(5)?.map(day);
                let exit_date = r.try_get::<Option<NaiveDate>, _>(6)?.map(day);
                as_of = as_of.max(start).max(end.unwrap_or(start));
                let pl = &mut data.placements;
                pl.ext_id.push(id);
                pl.participant
                    .push(participants.need("placements", id, r.try_get(1)?)?);
                pl.agreement.push(agreement);
                pl.placement_type
                    .push(data.agreements.placement_type[agreement as usize]);
                pl.round.push(data.agreements.round[agreement as usize]);
                pl.supplier
                    .push(suppliers.need("placements", id, r.try_get(3)?)?);
                pl.start.push(start);
                pl.end.push(end);
                pl.exit_date.push(exit_date);
                pl.exit_outcome
                    .push(match r.try_get::<Option<&str>, _>(7)? {
                        Some(o) => Some(conv("exits", id, ExitOutcome::parse(o))?),
                        None => None,
                    });
                pl.attendance_months.push(
                    r.try_get::<Option<i64>, _>(8)?
                        .unwrap_or(0)
                        .clamp(0, u16::MAX as i64) as u16,
                );
                pl.attended_minutes.push(
                    r.try_get::<Option<i64>, _>(9)?
                        .unwrap_or(0)
                        .clamp(0, u32::MAX as i64) as u32,
                );
                pl.paid_ore
                    .push(r.try_get::<Option<i64>, _>(10)?.unwrap_or(0));
            }
        );
        let n = data.placements.len();
        let placements = IdMap::new(&data.placements.ext_id);
        data.placements.follow_up = [vec![None; n], vec![None; n], vec![None; n]];

        fetch!(
            format!(
                "SELECT e.placement_id, f.point, f.status FROM exits e \
                 JOIN follow_ups f ON f.exit_id = e.id AND f.tenant_id = e.tenant_id {}",
                filter(t, "e.tenant_id", false)
            ),
            |r| {
                let pid: i64 = r.try_get(0)?;
                let k = placements.need("follow_ups", pid, pid)? as usize;
                let point = conv("follow_ups", pid, FollowUpPoint::parse(r.try_get(1)?))?;
                let status = conv("follow_ups", pid, FollowUpStatus::parse(r.try_get(2)?))?;
                let slot = match point {
                    FollowUpPoint::Months3 => 0,
                    FollowUpPoint::Months6 => 1,
                    FollowUpPoint::Months12 => 2,
                };
                data.placements.follow_up[slot][k] = Some(status);
            }
        );

        // What was invoiced (approved or later; credit notes negative) per supplier,
        // agreement and month, kept by triggers (migration 0010).
        fetch!(
            format!(
                "SELECT organisation_id, agreement_id, month, amount_ore \
                 FROM supplier_month_payments WHERE line_count > 0 {} \
                 ORDER BY organisation_id, agreement_id, month",
                filter(t, "tenant_id", true)
            ),
            |r| {
                let org: i64 = r.try_get(0)?;
                let pay = &mut data.payments;
                pay.supplier.push(suppliers.need("invoices", org, org)?);
                pay.agreement
                    .push(agreements.need("invoice_lines", org, r.try_get(1)?)?);
                pay.month.push(parse_month("invoices", org, r.try_get(2)?)?);
                pay.amount_ore.push(r.try_get(3)?);
            }
        );

        // Read only: ending the transaction either way changes nothing.
        match read {
            ReadTx::Sqlite(tx) => tx.rollback().await?,
            ReadTx::Postgres(tx) => tx.rollback().await?,
        }
        data.as_of = if as_of == i32::MIN {
            day(Utc::now().date_naive())
        } else {
            as_of
        };
        data.finish().map_err(|e| StoreError::Corrupt {
            entity: "effects data",
            id: 0,
            reason: e.to_string(),
        })?;
        Ok(data)
    }
}

/// A stored (or the built-in) parameter set.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredParameterSet {
    /// None for the built-in default (version 0).
    pub id: Option<i64>,
    pub name: String,
    pub version: i64,
    pub parameters: ParameterSet,
    /// Citation per parameter key.
    pub sources: HashMap<String, String>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl StoredParameterSet {
    /// The built-in default: the values and citations of `SPECS`.
    pub fn builtin() -> StoredParameterSet {
        StoredParameterSet {
            id: None,
            name: "Standard".into(),
            version: 0,
            parameters: ParameterSet::default(),
            sources: SPECS
                .iter()
                .map(|s| (s.key.to_string(), s.source.to_string()))
                .collect(),
            note: None,
            created_by: "system".into(),
            created_at: None,
        }
    }
}

/// A new version of a parameter set.
#[derive(Debug, Clone, PartialEq)]
pub struct NewParameterSet {
    pub name: String,
    pub parameters: ParameterSet,
    /// Citation per key; keys missing here keep the source of the version they are based
    /// on (or the built-in one).
    pub sources: HashMap<String, String>,
    pub note: Option<String>,
}

type SetRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    DateTime<Utc>,
);

fn set_from_row(r: SetRow) -> Result<StoredParameterSet, StoreError> {
    let values: HashMap<String, f64> = conv("parameter_sets", r.0, serde_json::from_str(&r.3))?;
    let mut parameters = ParameterSet::default();
    for (k, v) in values {
        parameters.set(&k, v);
    }
    Ok(StoredParameterSet {
        id: Some(r.0),
        name: r.1,
        version: r.2,
        parameters,
        sources: conv("parameter_sets", r.0, serde_json::from_str(&r.4))?,
        note: r.5,
        created_by: r.6,
        created_at: Some(r.7),
    })
}

const SET_COLUMNS: &str = "id, name, version, parameters, sources, note, created_by, created_at";

/// The cached figures of one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedFigures {
    pub computed_at: DateTime<Utc>,
    pub data_stamp: i64,
    pub figures: String,
}

impl Scoped<'_> {
    /// This tenant's effects data.
    pub async fn effects_data(&self) -> Result<EffectsData, StoreError> {
        self.store().effects_data(Some(TenantId(self.tid()))).await
    }

    /// Every stored version, newest first, then the built-in default.
    pub async fn parameter_sets(&self) -> Result<Vec<StoredParameterSet>, StoreError> {
        let rows: Vec<SetRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {SET_COLUMNS} FROM parameter_sets WHERE tenant_id = $1 \
                 ORDER BY created_at DESC, id DESC"
            ))
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        let mut out = rows
            .into_iter()
            .map(set_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        out.push(StoredParameterSet::builtin());
        Ok(out)
    }

    /// One stored version.
    pub async fn parameter_set(&self, id: i64) -> Result<StoredParameterSet, StoreError> {
        let row: Option<SetRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {SET_COLUMNS} FROM parameter_sets WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        set_from_row(row.ok_or(StoreError::NotFound {
            entity: "parameter set",
        })?)
    }

    /// The set in use: the newest stored version, else the built-in default.
    pub async fn current_parameter_set(&self) -> Result<StoredParameterSet, StoreError> {
        Ok(self
            .parameter_sets()
            .await?
            .into_iter()
            .next()
            .unwrap_or_else(StoredParameterSet::builtin))
    }

    /// Saves a new version (the next under its name), refusing impossible values and
    /// parameters without a source; audited in the same transaction.
    pub async fn save_parameter_set(&self, new: &NewParameterSet) -> Result<i64, StoreError> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(RuleViolation::new(
                "name",
                "Ange ett namn på högst 100 tecken.",
                "Give a name of at most 100 characters.",
            )
            .into());
        }
        new.parameters.validate()?;
        let builtin = StoredParameterSet::builtin();
        let mut sources = HashMap::new();
        let mut values = serde_json::Map::new();
        for spec in SPECS {
            let v = new.parameters.get(spec.key).expect("spec is a field");
            values.insert(spec.key.to_string(), serde_json::json!(v));
            let src = new
                .sources
                .get(spec.key)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .or_else(|| builtin.sources.get(spec.key).cloned())
                .unwrap_or_default();
            if src.chars().count() > 500 {
                return Err(RuleViolation::new(
                    spec.key,
                    "Källan får vara högst 500 tecken.",
                    "The source can be at most 500 characters.",
                )
                .into());
            }
            sources.insert(spec.key.to_string(), src);
        }
        let note = new.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let params_json = serde_json::Value::Object(values).to_string();
        let sources_json = serde_json::to_string(&sources).expect("map serialises");
        let now = Utc::now();
        let id = crate::with_tx!(self.store(), |tx| {
            let (version,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM parameter_sets WHERE tenant_id = $1 AND name = $2",
            )
            .bind(self.tid())
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO parameter_sets (tenant_id, name, version, parameters, sources, note, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(self.tid())
            .bind(name)
            .bind(version)
            .bind(&params_json)
            .bind(&sources_json)
            .bind(note)
            .bind(&self.actor().label)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "parameter_sets",
                    id,
                    &serde_json::json!({
                        "name": name,
                        "version": version,
                        "parameters": serde_json::from_str::<serde_json::Value>(&params_json)
                            .expect("just written"),
                        "note": note,
                    })
                )
            );
            id
        });
        Ok(id)
    }

    /// The cached figures of `scope`, if any.
    pub async fn cached_effects(&self, scope: &str) -> Result<Option<CachedFigures>, StoreError> {
        let row: Option<(DateTime<Utc>, i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT computed_at, data_stamp, figures FROM effects_cache \
                 WHERE tenant_id = $1 AND scope = $2",
            )
            .bind(self.tid())
            .bind(scope)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(computed_at, data_stamp, figures)| CachedFigures {
            computed_at,
            data_stamp,
            figures,
        }))
    }

    /// Forgets the tenant's cached figures of every scope, so the next dashboard view
    /// computes them afresh (what `vidare bench effects` does to time that view).
    pub async fn clear_cached_effects(&self) -> Result<(), StoreError> {
        crate::with_writer!(self.store(), |pool| {
            sqlx::query("DELETE FROM effects_cache WHERE tenant_id = $1")
                .bind(self.tid())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Stores freshly computed figures of `scope` (a derived cache, not a change of
    /// record: not audited).
    pub async fn store_cached_effects(
        &self,
        scope: &str,
        cached: &CachedFigures,
    ) -> Result<(), StoreError> {
        crate::with_writer!(self.store(), |pool| {
            sqlx::query(
                "INSERT INTO effects_cache (tenant_id, scope, computed_at, data_stamp, figures) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, scope) DO UPDATE SET \
                 computed_at = excluded.computed_at, data_stamp = excluded.data_stamp, \
                 figures = excluded.figures",
            )
            .bind(self.tid())
            .bind(scope)
            .bind(cached.computed_at)
            .bind(cached.data_stamp)
            .bind(&cached.figures)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_maps_dense_and_sparse() {
        let m = IdMap::new(&[10, 12, 11]);
        assert_eq!(
            (m.get(10), m.get(11), m.get(12), m.get(13), m.get(9)),
            (Some(0), Some(2), Some(1), None, None)
        );
        let m = IdMap::new(&[1, 1_000_000_000]);
        assert_eq!(
            (m.get(1), m.get(1_000_000_000), m.get(2)),
            (Some(0), Some(1), None)
        );
        assert_eq!(IdMap::new(&[]).get(1), None);
    }

    #[test]
    fn months_and_age_bands() {
        assert_eq!(parse_month("x", 1, "2023-01").unwrap(), 2023 * 12);
        assert!(parse_month("x", 1, "2023-13").is_err());
        assert!(parse_month("x", 1, "junk").is_err());
        let on = NaiveDate::from_ymd_opt(2023, 6, 1).unwrap();
        assert_eq!(age_band(1, "20000601", on).unwrap(), AgeBand::A18_24);
        assert_eq!(age_band(1, "19600662", on).unwrap(), AgeBand::A55_64);
        assert!(age_band(1, "1960", on).is_err());
    }
}
