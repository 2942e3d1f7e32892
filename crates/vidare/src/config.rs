//! Configuration in layers: built-in defaults, then a TOML file, then the environment,
//! then the command line. The database URL may hold a password: it is never logged.

use std::path::Path;

use serde::Deserialize;
use vidare_domain::Lang;

use crate::{Common, LogFormat};

/// The database used when none is named.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://vidare.sqlite";
/// The demo's database unless one is named.
pub const DEMO_DATABASE_URL: &str = "sqlite://vidare-demo.sqlite";
/// Where the server listens unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The settled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// Whether no layer named a database (the demo then uses its own file).
    pub database_is_default: bool,
    pub addr: String,
    pub log_format: LogFormat,
    pub lang: Lang,
    /// Mark cookies Secure: set when Vidare is reached over HTTPS (behind a TLS proxy).
    pub secure_cookies: bool,
    /// The mail server for invitation letters (`VIDARE_SMTP_URL`, e.g.
    /// `smtp://127.0.0.1:2525` or `smtps://user:password@mail.example:465`); none: letters
    /// are printed. May hold a password: never logged.
    pub smtp_url: Option<String>,
    /// The sender of e-mail (`VIDARE_SMTP_FROM`).
    pub smtp_from: String,
}

/// The sender of e-mail unless `VIDARE_SMTP_FROM` says otherwise.
pub const DEFAULT_SMTP_FROM: &str = "Vidare <noreply@vidare.invalid>";

/// What a configuration file may say. Unknown keys are refused so typos are noticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    addr: Option<String>,
    log_format: Option<LogFormat>,
    lang: Option<String>,
    secure_cookies: Option<bool>,
}

impl Config {
    /// Merges the layers. `common` already holds command-line and environment values
    /// (clap reads both, preferring the command line).
    pub fn load(common: &Common) -> Result<Config, String> {
        let file = match &common.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let lang_tag = common.lang.clone().or(file.lang);
        let lang = match lang_tag {
            None => Lang::Sv,
            Some(tag) => Lang::from_tag(&tag).ok_or_else(|| {
                format!("fel: okänt språk {tag:?}; använd sv eller en / error: unknown language {tag:?}; use sv or en")
            })?,
        };
        let addr = std::env::var("VIDARE_ADDR")
            .ok()
            .or(file.addr)
            .unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let database = common.database.clone().or(file.database_url);
        Ok(Config {
            database_is_default: database.is_none(),
            database_url: database.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            addr,
            log_format: common
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            lang,
            secure_cookies: std::env::var("VIDARE_SECURE_COOKIES")
                .ok()
                .map(|v| matches!(v.as_str(), "1" | "true" | "yes"))
                .or(file.secure_cookies)
                .unwrap_or(false),
            smtp_url: std::env::var("VIDARE_SMTP_URL")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            smtp_from: std::env::var("VIDARE_SMTP_FROM")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_SMTP_FROM.to_string()),
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "fel: kan inte läsa konfigurationsfilen {}: {e} / error: cannot read the configuration file",
            path.display()
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        format!(
            "fel: konfigurationsfilen {} är felaktig / error: the configuration file is invalid: {}",
            path.display(),
            e.message()
        )
    })
}

/// Structured logs to standard error; the level from `RUST_LOG` (default `info`).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(config: Option<&Path>) -> Common {
        Common {
            database: None,
            config: config.map(Path::to_path_buf),
            log_format: None,
            lang: None,
        }
    }

    #[test]
    fn file_values_apply_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vidare.toml");
        std::fs::write(
            &path,
            "database_url = \"postgres://vidare@db/vidare\"\nlog_format = \"json\"\nlang = \"en\"\n",
        )
        .unwrap();
        let c = Config::load(&common(Some(&path))).unwrap();
        assert_eq!(c.database_url, "postgres://vidare@db/vidare");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.lang, Lang::En);

        let mut cli = common(Some(&path));
        cli.database = Some("sqlite://x.sqlite".into());
        assert_eq!(
            Config::load(&cli).unwrap().database_url,
            "sqlite://x.sqlite"
        );

        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        let err = Config::load(&common(Some(&path))).unwrap_err();
        assert!(err.contains("databse_url"), "{err}");
    }

    #[test]
    fn defaults() {
        let c = Config::load(&common(None)).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.lang, Lang::Sv);
    }
}
