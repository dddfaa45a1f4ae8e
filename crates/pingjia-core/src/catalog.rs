//! The set of schemes in use — the embedded ones plus any loaded from a directory — and the
//! resolution of the ids users type (`jiangsu-pool-2021`, `jiangsu-pool-2021/network`,
//! or a provider type id that is unique across schemes, such as `network`).

use crate::scheme::{Scheme, SchemeErrors};
use std::fmt;

/// Every scheme available to a command.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub schemes: Vec<Scheme>,
}

/// A resolved id: a scheme and, for stars schemes, possibly a provider type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub scheme: usize,
    pub provider_type: Option<usize>,
}

/// Why an id did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    Unknown { id: String, known: Vec<String> },
    Ambiguous { id: String, matches: Vec<String> },
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::Unknown { id, known } => write!(
                f,
                "未知的方案或服务商类型 “{id}”；可用：{} / unknown scheme or provider type \"{id}\"; known: {}",
                known.join("、"),
                known.join(", ")
            ),
            ResolveError::Ambiguous { id, matches } => write!(
                f,
                "“{id}” 对应多个方案，请写全：{} / \"{id}\" is ambiguous: {}",
                matches.join("、"),
                matches.join(", ")
            ),
        }
    }
}

/// A scheme file that could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(SchemeErrors),
    #[error("{file}: 方案编号 {id} 已存在 / scheme id {id} is already loaded")]
    Duplicate { file: String, id: String },
}

impl Catalog {
    /// The schemes embedded in the binary.
    pub fn builtin() -> Result<Catalog, SchemeErrors> {
        Ok(Catalog {
            schemes: crate::builtin::schemes()?,
        })
    }

    /// Adds a scheme from a file's text; its id must be new.
    pub fn add(&mut self, file: &str, text: &str) -> Result<usize, AddError> {
        let scheme = crate::scheme::parse_scheme(file, text).map_err(AddError::Invalid)?;
        if self.schemes.iter().any(|s| s.id == scheme.id) {
            return Err(AddError::Duplicate {
                file: file.to_owned(),
                id: scheme.id,
            });
        }
        self.schemes.push(scheme);
        Ok(self.schemes.len() - 1)
    }

    /// Every id a user may type, for messages.
    pub fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for scheme in &self.schemes {
            ids.push(scheme.id.clone());
            ids.extend(
                scheme
                    .provider_types
                    .iter()
                    .map(|t| format!("{}/{}", scheme.id, t.id)),
            );
        }
        ids
    }

    /// The versions of one standard: the schemes whose [`family`] is `scheme`'s, in catalog
    /// order.
    pub fn family_of<'a>(&'a self, scheme: &'a Scheme) -> impl Iterator<Item = &'a Scheme> {
        self.schemes
            .iter()
            .filter(move |s| family(s) == family(scheme))
    }

    pub fn resolve(&self, id: &str) -> Result<Target, ResolveError> {
        let id = id.trim();
        if let Some((scheme_id, type_id)) = id.split_once('/') {
            let found = self
                .schemes
                .iter()
                .enumerate()
                .find(|(_, s)| s.id == scheme_id)
                .and_then(|(index, scheme)| {
                    scheme.provider_type(type_id).map(|t| Target {
                        scheme: index,
                        provider_type: Some(t),
                    })
                });
            return found.ok_or_else(|| ResolveError::Unknown {
                id: id.to_owned(),
                known: self.ids(),
            });
        }
        if let Some(index) = self.schemes.iter().position(|s| s.id == id) {
            return Ok(Target {
                scheme: index,
                provider_type: None,
            });
        }
        let matches: Vec<Target> = self
            .schemes
            .iter()
            .enumerate()
            .filter_map(|(index, scheme)| {
                scheme.provider_type(id).map(|t| Target {
                    scheme: index,
                    provider_type: Some(t),
                })
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(ResolveError::Unknown {
                id: id.to_owned(),
                known: self.ids(),
            }),
            many => Err(ResolveError::Ambiguous {
                id: id.to_owned(),
                matches: many
                    .iter()
                    .map(|t| format!("{}/{id}", self.schemes[t.scheme].id))
                    .collect(),
            }),
        }
    }
}

/// The standard a scheme is a version of: its id without the trailing `-{version}`
/// (`jiangsu-pool-2021` and `jiangsu-pool-2022` are versions of `jiangsu-pool`); an id that
/// does not end in its version (`shaoxing-platform`, version 试行) is a family of its own.
pub fn family(scheme: &Scheme) -> &str {
    scheme
        .id
        .strip_suffix(scheme.version.as_str())
        .and_then(|rest| rest.strip_suffix('-'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&scheme.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_is_the_id_without_its_version() {
        let catalog = Catalog::builtin().unwrap();
        let by_id = |id: &str| catalog.schemes.iter().find(|s| s.id == id).unwrap();
        assert_eq!(family(by_id("jiangsu-pool-2021")), "jiangsu-pool");
        assert_eq!(family(by_id("miit-platform-2018")), "miit-platform");
        // Version 试行 is not part of the id.
        assert_eq!(family(by_id("shaoxing-platform")), "shaoxing-platform");
        let mut next = by_id("jiangsu-pool-2021").clone();
        next.id = "jiangsu-pool-2022".into();
        next.version = "2022".into();
        assert_eq!(family(&next), "jiangsu-pool");
    }
}
