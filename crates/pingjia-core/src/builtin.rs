//! The schemes shipped inside the binary, so that pingjia runs from any directory.

use crate::scheme::{Scheme, SchemeErrors, parse_scheme};

/// `(file name, contents)` of every embedded scheme file, in listing order.
pub const SCHEME_FILES: &[(&str, &str)] = &[
    (
        "jiangsu-pool-2021.toml",
        include_str!("../../../schemes/jiangsu-pool-2021.toml"),
    ),
    (
        "shaoxing-platform.toml",
        include_str!("../../../schemes/shaoxing-platform.toml"),
    ),
    (
        "miit-platform-2018.toml",
        include_str!("../../../schemes/miit-platform-2018.toml"),
    ),
];

/// Parses every embedded scheme. The files are tested, so an error here is a build defect.
pub fn schemes() -> Result<Vec<Scheme>, SchemeErrors> {
    SCHEME_FILES
        .iter()
        .map(|(name, text)| parse_scheme(&format!("schemes/{name}"), text))
        .collect()
}
