//! Participants' personal data, for case work. Every response that carries personal
//! data is written to the access log (who, when, which participants, why, which path)
//! before it is sent; if the log cannot be written, nothing is sent.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vidare_domain::ids::ParticipantId;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, Participant, SwedishLevel,
    MAX_MONTHS_ON_INCOME_SUPPORT,
};
use vidare_domain::model::Text;
use vidare_domain::personnummer::PersonalIdentityNumber;
use vidare_domain::Localized;

use super::{
    envelopes, ApiJson, ApiPath, ApiQuery, Caller, EducationCode, GenderCode, ListMeta, Paging,
    ProblemDoc, Problems, SwedishLevelCode,
};
use crate::error::ApiError;
use crate::AppState;

/// Purposes recorded in the access log, the same as the pages'.
const PURPOSE_LIST: &str = "participant_list";
const PURPOSE_CASE_FILE: &str = "case_file";
const PURPOSE_REGISTRATION: &str = "registration";

/// A participant with personal data (case work only).
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantOut {
    pub id: i64,
    /// Personnummer or samordningsnummer, `YYYYMMDD-NNNN`.
    #[schema(example = "19900101-1234")]
    pub personal_number: String,
    pub first_name: String,
    pub last_name: String,
    #[schema(value_type = GenderCode)]
    pub gender: &'static str,
    pub born_abroad: bool,
    #[schema(value_type = EducationCode)]
    pub education: &'static str,
    /// Months on income support (försörjningsstöd) before entry.
    pub months_on_income_support: u32,
    /// A documented health limitation affecting work capacity.
    pub health_limitation: bool,
    #[schema(value_type = SwedishLevelCode)]
    pub swedish_level: &'static str,
    pub prior_work_experience: bool,
    /// Synthetic demo data.
    pub synthetic: bool,
}

impl From<Participant> for ParticipantOut {
    fn from(p: Participant) -> Self {
        let c = p.covariates;
        ParticipantOut {
            id: p.id.get(),
            personal_number: p.personal_number.to_string(),
            first_name: p.first_name.to_string(),
            last_name: p.last_name.to_string(),
            gender: c.gender.as_str(),
            born_abroad: c.born_abroad,
            education: c.education.as_str(),
            months_on_income_support: c.months_on_income_support,
            health_limitation: c.health_limitation,
            swedish_level: c.swedish_level.as_str(),
            prior_work_experience: c.prior_work_experience,
            synthetic: p.synthetic,
        }
    }
}

envelopes!(item ParticipantOut => ParticipantItem);
envelopes!(list ParticipantOut => ParticipantList);

/// A participant to register. Every field is required; every problem is reported
/// together.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipantIn {
    /// 10 or 12 digits, with or without `-` (`+` for those aged 100 or more).
    #[schema(value_type = String, required = true, example = "900101-1234")]
    pub personal_number: Option<String>,
    #[schema(value_type = String, required = true)]
    pub first_name: Option<String>,
    #[schema(value_type = String, required = true)]
    pub last_name: Option<String>,
    #[schema(value_type = GenderCode, required = true)]
    pub gender: Option<String>,
    #[schema(value_type = bool, required = true)]
    pub born_abroad: Option<bool>,
    #[schema(value_type = EducationCode, required = true)]
    pub education: Option<String>,
    /// 0–480.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 480)]
    pub months_on_income_support: Option<i64>,
    #[schema(value_type = bool, required = true)]
    pub health_limitation: Option<bool>,
    #[schema(value_type = SwedishLevelCode, required = true)]
    pub swedish_level: Option<String>,
    #[schema(value_type = bool, required = true)]
    pub prior_work_experience: Option<bool>,
}

fn validate(
    caller: &Caller,
    today: chrono::NaiveDate,
    b: NewParticipantIn,
) -> Result<NewParticipant, ApiError> {
    let lang = caller.lang;
    let mut p = Problems::new(lang);
    let personal_number = p
        .required("personal_number", b.personal_number)
        .and_then(|s| p.parse("personal_number", PersonalIdentityNumber::parse(&s, today)));
    let first_name = p
        .required("first_name", b.first_name)
        .and_then(|s| p.parse("first_name", Text::parse(&s)));
    let last_name = p
        .required("last_name", b.last_name)
        .and_then(|s| p.parse("last_name", Text::parse(&s)));
    let gender = p
        .required("gender", b.gender)
        .and_then(|s| p.parse("gender", Gender::parse(&s)));
    let born_abroad = p.required("born_abroad", b.born_abroad);
    let education = p
        .required("education", b.education)
        .and_then(|s| p.parse("education", EducationLevel::parse(&s)));
    let months = p
        .required("months_on_income_support", b.months_on_income_support)
        .and_then(|v| {
            p.range(
                "months_on_income_support",
                v,
                0,
                i64::from(MAX_MONTHS_ON_INCOME_SUPPORT),
            )
        });
    let health_limitation = p.required("health_limitation", b.health_limitation);
    let swedish_level = p
        .required("swedish_level", b.swedish_level)
        .and_then(|s| p.parse("swedish_level", SwedishLevel::parse(&s)));
    let prior_work_experience = p.required("prior_work_experience", b.prior_work_experience);
    let covariates = match (
        gender,
        born_abroad,
        education,
        months,
        health_limitation,
        swedish_level,
        prior_work_experience,
    ) {
        (Some(g), Some(ba), Some(e), Some(m), Some(h), Some(sl), Some(pw)) => {
            let c = Covariates {
                gender: g,
                born_abroad: ba,
                education: e,
                // Within 0..=480: `range` checked it.
                months_on_income_support: m as u32,
                health_limitation: h,
                swedish_level: sl,
                prior_work_experience: pw,
            };
            match c.check() {
                Ok(()) => Some(c),
                Err(v) => {
                    p.add(v.field, v.message(lang));
                    None
                }
            }
        }
        _ => None,
    };
    p.finish()?;
    // `finish` has reported any missing or invalid field.
    let (Some(personal_number), Some(first_name), Some(last_name), Some(covariates)) =
        (personal_number, first_name, last_name, covariates)
    else {
        return Err(ApiError::invalid(lang, Vec::new()));
    };
    Ok(NewParticipant {
        personal_number,
        first_name,
        last_name,
        covariates,
        synthetic: false,
    })
}

/// List participants
///
/// A page of the tenant's participants with personal data. The read is recorded in the
/// access log (purpose `participant_list`) for every participant on the page.
#[utoipa::path(
    get,
    path = "/api/v1/participants",
    tag = "participants",
    operation_id = "list_participants",
    params(Paging),
    responses(
        (status = 200, description = "A page of participants.", body = ParticipantList),
        (status = 400, description = "A query parameter is invalid.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<ParticipantList>, ApiError> {
    let page = paging.resolve(caller.lang)?;
    let s = caller.scoped(state.store());
    let result = async {
        let total = s.count_participants().await?;
        let people = s.list_participants(page).await?;
        let ids: Vec<ParticipantId> = people.iter().map(|p| p.id).collect();
        s.log_access(&ids, PURPOSE_LIST, Some(&caller.path)).await?;
        Ok::<_, vidare_store::StoreError>((total, people))
    }
    .await;
    let (total, people) = result.map_err(|e| caller.store_error(e))?;
    Ok(Json(ParticipantList {
        data: people.into_iter().map(ParticipantOut::from).collect(),
        meta: ListMeta::new(total, page),
    }))
}

/// Read one participant
///
/// The read is recorded in the access log (purpose `case_file`).
#[utoipa::path(
    get,
    path = "/api/v1/participants/{id}",
    tag = "participants",
    operation_id = "get_participant",
    params(("id" = i64, Path, description = "The participant's id.")),
    responses(
        (status = 200, description = "The participant.", body = ParticipantItem),
        (status = 400, description = "The id is not a number.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such participant in the tenant.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ParticipantItem>, ApiError> {
    let id = ParticipantId(id);
    let s = caller.scoped(state.store());
    let result = async {
        let p = s.get_participant(id).await?;
        s.log_access(&[id], PURPOSE_CASE_FILE, Some(&caller.path))
            .await?;
        Ok::<_, vidare_store::StoreError>(p)
    }
    .await;
    let p = result.map_err(|e| caller.store_error(e))?;
    Ok(Json(ParticipantItem { data: p.into() }))
}

/// Register a participant
///
/// The personnummer is checked as on the day of the request (Europe/Stockholm); every
/// field's problem is reported together in one 422. The same personnummer twice in a
/// tenant is a 409 on `personal_number`.
#[utoipa::path(
    post,
    path = "/api/v1/participants",
    tag = "participants",
    operation_id = "create_participant",
    request_body = NewParticipantIn,
    responses(
        (status = 201, description = "Registered; `Location` names the new participant.", body = ParticipantItem,
            headers(("Location" = String, description = "The new participant's URL."))),
        (status = 400, description = "The body is not JSON of the expected shape.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The personnummer is already registered.", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "One or more fields are invalid; `errors` lists each.", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewParticipantIn>,
) -> Result<Response, ApiError> {
    let new = validate(&caller, state.today(), body)?;
    let s = caller.scoped(state.store());
    let result = async {
        let id = s.insert_participant(&new).await?;
        let p = s.get_participant(id).await?;
        s.log_access(&[id], PURPOSE_REGISTRATION, Some(&caller.path))
            .await?;
        Ok::<_, vidare_store::StoreError>(p)
    }
    .await;
    let p = result.map_err(|e| caller.store_error(e))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/participants/{}", p.id))],
        Json(ParticipantItem { data: p.into() }),
    )
        .into_response())
}
