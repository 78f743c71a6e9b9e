//! Collecting raw setting values from defaults, the TOML file, the environment and the
//! command line, remembering where each came from.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Arg, ArgAction, Command};

use super::ConfigError;
use super::settings::{SETTINGS, setting};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// The TOML configuration file.
    File(PathBuf),
    /// An environment variable.
    Env,
    /// A command-line flag.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "built-in default"),
            Origin::File(p) => write!(f, "from {}", p.display()),
            Origin::Env => write!(f, "from the environment"),
            Origin::Flag(flag) => write!(f, "from --{flag}"),
        }
    }
}

/// Setting values as text, keyed by environment name, with their origin.
#[derive(Debug, Default)]
pub struct RawConfig {
    values: HashMap<&'static str, (String, Origin)>,
}

/// The command line: `--config` plus one flag per setting.
pub fn command() -> Command {
    let mut cmd = Command::new("openvidu-rs")
        .version(env!("CARGO_PKG_VERSION"))
        .about(
            "openvidu-rs: an OpenVidu 2.32 compatible video-call server (REST API, WebSocket \
             signaling and WebRTC SFU) in one binary.\n\nEvery option can also be set in the \
             environment (OpenVidu's names, shown below) or in a TOML file given with --config \
             (keys: the lower-case environment names). Flags win over the environment, which \
             wins over the file.",
        )
        .arg(
            Arg::new("config")
                .long("config")
                .value_name("FILE")
                .help("TOML configuration file [env: OPENVIDU_CONFIG]"),
        );
    for s in SETTINGS {
        let default = s
            .default
            .map(|d| format!(" [default: {d}]"))
            .unwrap_or_default();
        cmd = cmd.arg(
            Arg::new(s.env)
                .long(s.flag)
                .value_name("VALUE")
                .action(ArgAction::Set)
                .help(format!("{} [env: {}]{default}", s.help, s.env)),
        );
    }
    cmd
}

impl RawConfig {
    /// Collects values from every source in order of precedence.
    pub fn collect<I, F>(args: I, env: F) -> Result<RawConfig, ConfigError>
    where
        I: IntoIterator<Item = std::ffi::OsString>,
        F: Fn(&str) -> Option<String>,
    {
        let matches = command()
            .try_get_matches_from(args)
            .map_err(|e| ConfigError::Cli(e.render().to_string()))?;
        let mut raw = RawConfig::default();
        for s in SETTINGS {
            if let Some(d) = s.default {
                raw.values.insert(s.env, (d.to_owned(), Origin::Default));
            }
        }
        let file = matches
            .get_one::<String>("config")
            .cloned()
            .or_else(|| env("OPENVIDU_CONFIG"));
        if let Some(path) = file {
            raw.read_file(PathBuf::from(path))?;
        }
        for s in SETTINGS {
            if let Some(v) = env(s.env) {
                raw.values.insert(s.env, (v, Origin::Env));
            }
        }
        for s in SETTINGS {
            if let Some(v) = matches.get_one::<String>(s.env) {
                raw.values.insert(s.env, (v.clone(), Origin::Flag(s.flag)));
            }
        }
        Ok(raw)
    }

    fn read_file(&mut self, path: PathBuf) -> Result<(), ConfigError> {
        let file_error = |message: String| ConfigError::File {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| file_error(e.to_string()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| file_error(e.message().to_owned()))?;
        for (key, value) in table {
            let Some(s) = SETTINGS.iter().find(|s| s.toml_key() == key) else {
                return Err(ConfigError::UnknownKey { path, key });
            };
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => serde_json::to_string(&other).map_err(|e| file_error(e.to_string()))?,
            };
            self.values
                .insert(s.env, (text, Origin::File(path.clone())));
        }
        Ok(())
    }

    fn origin(&self, key: &str) -> Origin {
        self.values
            .get(key)
            .map(|(_, o)| o.clone())
            .unwrap_or(Origin::Default)
    }

    /// Whether the value of `key` was given by the user rather than defaulted.
    pub fn is_explicit(&self, key: &str) -> bool {
        self.values
            .get(key)
            .is_some_and(|(_, o)| *o != Origin::Default)
    }

    /// An error for `key` that quotes its value.
    pub fn invalid(&self, key: &str, why: &str) -> ConfigError {
        let value = self.values.get(key).map(|(v, _)| v.as_str()).unwrap_or("");
        ConfigError::Invalid {
            key: setting(key).env,
            origin: self.origin(key),
            message: format!("'{value}' {why}"),
        }
    }

    /// An error for `key` that does not repeat its value (secrets).
    pub fn invalid_hidden(&self, key: &str, why: &str) -> ConfigError {
        ConfigError::Invalid {
            key: setting(key).env,
            origin: self.origin(key),
            message: why.to_owned(),
        }
    }

    /// The value of `key`, unset and empty meaning `None`.
    pub fn optional_text(&self, key: &str) -> Option<String> {
        self.values
            .get(key)
            .map(|(v, _)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of a setting that has a default.
    pub fn text(&self, key: &str) -> Result<String, ConfigError> {
        Ok(self
            .values
            .get(key)
            .map(|(v, _)| v.trim().to_owned())
            .unwrap_or_default())
    }

    /// A number, or `None` when unset.
    pub fn optional_number<T: FromStr>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        self.optional_text(key)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| self.invalid(key, "is not a whole number in the allowed range"))
            })
            .transpose()
    }

    /// A number that has a default.
    pub fn number<T: FromStr>(&self, key: &str) -> Result<T, ConfigError> {
        self.optional_number(key)?
            .ok_or_else(|| self.invalid(key, "is empty; a whole number is needed"))
    }

    /// `true` or `false`.
    pub fn boolean(&self, key: &str) -> Result<bool, ConfigError> {
        match self.text(key)?.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" | "" => Ok(false),
            _ => Err(self.invalid(key, "must be true or false")),
        }
    }

    /// JSON text of type `T`.
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        expected: &str,
    ) -> Result<T, ConfigError> {
        let text = self.text(key)?;
        serde_json::from_str(if text.is_empty() { "[]" } else { &text })
            .map_err(|_| self.invalid(key, &format!("must be {expected}")))
    }
}
