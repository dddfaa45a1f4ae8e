//! Configuration in layers: defaults → optional file (`pingjia.toml`) → `PINGJIA_*` environment.
//! Secrets never appear in `Debug` output.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://pingjia.db` (default) or `postgres://…`.
    pub database_url: String,
    pub listen: SocketAddr,
    /// Where evidence files are stored, content-addressed by SHA-256.
    pub evidence_dir: PathBuf,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Mark cookies `Secure`; also set automatically for requests that arrived over TLS
    /// (`X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// Failed sign-ins of one user name from one client address within `throttle_minutes`
    /// before that address may not try that name again (docs/security.md, "Sign-in").
    pub max_failed_logins: i64,
    /// Failed sign-ins of one user name from all addresses within `throttle_minutes` before
    /// the name is refused everywhere (a guesser spread over many addresses).
    pub max_failed_logins_per_name: i64,
    /// Failed sign-ins from one client address, whatever the names, within `throttle_minutes`.
    pub max_failed_logins_per_address: i64,
    pub throttle_minutes: i64,
    /// Read the client address from the last `X-Forwarded-For` entry (behind a reverse proxy
    /// that sets it); otherwise the connection's peer address is used.
    pub trust_forwarded_for: bool,
    /// Self-registrations attempted from one client address within `registration_window_minutes`.
    pub max_registrations_per_address: i64,
    pub registration_window_minutes: i64,
    /// The SMTP server notifications are mailed through (`smtp://host:port`, `smtps://…`,
    /// `smtp://user:password@host:587?tls=required`); none: no e-mail (the default).
    pub smtp_url: Option<String>,
    /// The sender of notification e-mails (`pingjia <noreply@example.cn>`).
    pub smtp_from: Option<String>,
    /// Days before a pool member's term ends when the organisation is reminded to renew
    /// (`PINGJIA_RENEWAL_REMINDER_DAYS=180,90,30`).
    pub renewal_reminder_days: Vec<u32>,
    /// The renewal window (003 三、2 「到期前服务商应进行复评」): an active member applying in the
    /// last this many months of its term applies as a renewal (`PINGJIA_RENEWAL_WINDOW_MONTHS`;
    /// 12: two half-yearly batches, so one always falls in it).
    pub renewal_window_months: u32,
    /// The file holding the audit log's signing key (`PRIVATE+KEY+…`, created at the first
    /// start with mode 0600); none: `pingjia-audit.key` next to the SQLite file, or in the
    /// working directory (docs/audit.md).
    pub audit_key_file: Option<PathBuf>,
    /// The log's name in its checkpoints and the key's name (C2SP `tlog-checkpoint` origin).
    pub audit_origin: String,
    /// Start even when the audit log does not match its last checkpoint, with a loud error in
    /// the log (the default is to refuse to start).
    pub audit_warn_only: bool,
    /// How often the server signs a checkpoint of new entries, in seconds.
    pub audit_checkpoint_seconds: u64,
    /// The site's address as the public reaches it (`https://pingjia.example.cn`), for links
    /// that leave the site: the QR code on a certificate. None: `http://` and `listen`.
    pub public_base_url: Option<String>,
    /// The font PDFs are set in: an OpenType file or collection (in a collection, the face of
    /// Noto Sans CJK SC is chosen). Read once, at the first PDF; without it the PDF endpoints
    /// answer 503 and the printable pages still work (docs/web.md, "Certificates and reports").
    pub pdf_font_file: PathBuf,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact(&self.database_url))
            .field("listen", &self.listen)
            .field("evidence_dir", &self.evidence_dir)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("secure_cookies", &self.secure_cookies)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact))
            .field("smtp_from", &self.smtp_from)
            .field("audit_key_file", &self.audit_key_file)
            .field("audit_origin", &self.audit_origin)
            .field("public_base_url", &self.public_base_url)
            .field("pdf_font_file", &self.pdf_font_file)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://pingjia.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            evidence_dir: PathBuf::from("pingjia-evidence"),
            max_upload_bytes: 20 * 1024 * 1024,
            secure_cookies: false,
            session_hours: 12,
            max_failed_logins: 5,
            max_failed_logins_per_name: 50,
            max_failed_logins_per_address: 100,
            throttle_minutes: 15,
            trust_forwarded_for: false,
            max_registrations_per_address: 10,
            registration_window_minutes: 60,
            smtp_url: None,
            smtp_from: None,
            renewal_reminder_days: vec![180, 90, 30],
            renewal_window_months: 12,
            audit_key_file: None,
            audit_origin: "pingjia.example/audit".into(),
            audit_warn_only: false,
            audit_checkpoint_seconds: 60,
            public_base_url: None,
            pdf_font_file: PathBuf::from(DEFAULT_PDF_FONT),
        }
    }
}

/// Debian's `fonts-noto-cjk`: Noto Sans CJK, every language in one collection.
pub const DEFAULT_PDF_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// A database URL with any password replaced, for logs and the start-up banner.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..scheme_end], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Config {
    /// The public address without a trailing `/`: `public_base_url`, else `http://` and
    /// `listen`.
    pub fn public_base(&self) -> String {
        match self.public_base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
            _ => format!("http://{}", self.listen),
        }
    }

    /// Where the audit log's signing key is kept: the configured file, else
    /// `pingjia-audit.key` next to the SQLite database file, else in the working directory.
    pub fn audit_key_path(&self) -> PathBuf {
        if let Some(path) = &self.audit_key_file {
            return path.clone();
        }
        let sqlite_file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|file| !file.is_empty() && *file != ":memory:");
        match sqlite_file.and_then(|file| Path::new(file).parent()) {
            Some(directory) => directory.join("pingjia-audit.key"),
            None => PathBuf::from("pingjia-audit.key"),
        }
    }

    /// Defaults, then `file` if given (or `./pingjia.toml` if present), then the environment.
    pub fn load(
        file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => read_file(path)?,
            None if Path::new("pingjia.toml").exists() => read_file(Path::new("pingjia.toml"))?,
            None => Config::default(),
        };
        for (key, value) in environment {
            let Some(name) = key.strip_prefix("PINGJIA_") else {
                continue;
            };
            match name {
                "DATABASE_URL" => config.database_url = value,
                "LISTEN" => {
                    config.listen = value.parse().map_err(|_| {
                        anyhow::anyhow!("PINGJIA_LISTEN: 应为 地址:端口 / expected host:port")
                    })?
                }
                "EVIDENCE_DIR" => config.evidence_dir = PathBuf::from(value),
                "MAX_UPLOAD_BYTES" => config.max_upload_bytes = value.parse()?,
                "SECURE_COOKIES" => {
                    config.secure_cookies = matches!(value.as_str(), "1" | "true" | "yes")
                }
                "SESSION_HOURS" => config.session_hours = value.parse()?,
                "TRUST_FORWARDED_FOR" => {
                    config.trust_forwarded_for = matches!(value.as_str(), "1" | "true" | "yes")
                }
                "SMTP_URL" => config.smtp_url = Some(value).filter(|v| !v.is_empty()),
                "SMTP_FROM" => config.smtp_from = Some(value).filter(|v| !v.is_empty()),
                "AUDIT_KEY_FILE" => {
                    config.audit_key_file =
                        Some(PathBuf::from(value)).filter(|p| !p.as_os_str().is_empty())
                }
                "AUDIT_ORIGIN" => config.audit_origin = value,
                "AUDIT_WARN_ONLY" => {
                    config.audit_warn_only = matches!(value.as_str(), "1" | "true" | "yes")
                }
                "PUBLIC_BASE_URL" => {
                    config.public_base_url = Some(value).filter(|v| !v.trim().is_empty())
                }
                "PDF_FONT_FILE" => config.pdf_font_file = PathBuf::from(value),
                "MAX_REGISTRATIONS_PER_ADDRESS" => {
                    config.max_registrations_per_address = value.parse()?
                }
                "RENEWAL_WINDOW_MONTHS" => config.renewal_window_months = value.parse()?,
                "RENEWAL_REMINDER_DAYS" => {
                    config.renewal_reminder_days = value
                        .split(',')
                        .map(|days| days.trim().parse())
                        .collect::<Result<_, _>>()
                        .map_err(|_| {
                            anyhow::anyhow!(
                                "PINGJIA_RENEWAL_REMINDER_DAYS: 应为以逗号分隔的天数，如 180,90,30 / expected days separated by commas"
                            )
                        })?
                }
                _ => {}
            }
        }
        Ok(config)
    }
}

fn read_file(path: &Path) -> anyhow::Result<Config> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_passwords_are_redacted() {
        let config = Config::load(
            None,
            [
                (
                    "PINGJIA_DATABASE_URL".to_owned(),
                    "postgres://app:secret@db/pingjia".to_owned(),
                ),
                ("PINGJIA_LISTEN".to_owned(), "0.0.0.0:9000".to_owned()),
                (
                    "PINGJIA_SMTP_URL".to_owned(),
                    "smtp://mailer:hunter2@mail.example.cn:587?tls=required".to_owned(),
                ),
                (
                    "PINGJIA_SMTP_FROM".to_owned(),
                    "pingjia <noreply@example.cn>".to_owned(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("secret") && shown.contains("app:***@db"),
            "{shown}"
        );
        assert!(
            !shown.contains("hunter2") && shown.contains("mailer:***@mail.example.cn"),
            "{shown}"
        );
        assert_eq!(
            config.smtp_from.as_deref(),
            Some("pingjia <noreply@example.cn>")
        );
        assert_eq!(Config::default().smtp_url, None);
        assert_eq!(config.public_base(), "http://0.0.0.0:9000");
        let public = Config::load(
            None,
            [(
                "PINGJIA_PUBLIC_BASE_URL".to_owned(),
                "https://pingjia.example.cn/".to_owned(),
            )],
        )
        .unwrap();
        assert_eq!(public.public_base(), "https://pingjia.example.cn");
    }
}
