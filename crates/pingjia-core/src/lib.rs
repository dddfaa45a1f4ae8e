//! pingjia's pure core: standards as data ([`scheme`]), declarations ([`declaration`]),
//! the grading engine ([`engine`]) and its explanations ([`report`]).
//!
//! Architecture invariant: nothing in this crate does I/O, reads a clock or touches a
//! database. Schemes arrive as text, dates arrive as values, results leave as values.

pub mod builtin;
pub mod catalog;
pub mod checkpoint;
pub mod declaration;
pub mod engine;
pub mod merkle;
pub mod panel;
pub mod pool;
pub mod regrade;
pub mod report;
pub mod scheme;
pub mod units;
pub mod workflow;

pub use catalog::{Catalog, Target};
pub use declaration::{Declaration, Format, InputError, InputErrors, read_declaration};
pub use engine::{Evaluation, Outcome, Round, Status, evaluate, grade};
pub use report::{Report, report};
pub use scheme::{Scheme, SchemeError, SchemeErrors, parse_scheme};
