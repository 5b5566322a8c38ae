//! template.yaml as one model. [`template`] reads it once (short-form tags to long form,
//! Globals, parameters, conditions) and resolves its intrinsics; [`views`] gives the
//! typed views the tools and tests ask for (functions and their events, routes,
//! subscriptions); [`provision`] creates its resources in an AWS endpoint (moto, for the
//! local cloud, the bench and the adapter tests). Nothing else in the workspace parses
//! the template.

pub mod provision;
pub mod template;
pub mod views;

#[cfg(feature = "fixtures")]
pub mod fixtures;

pub use template::{Context, Outputs, Resource, Template};
pub use views::{target, ApiRoute, Function, FunctionEvent, Subscription};

use std::path::{Path, PathBuf};

/// The template.yaml of the workspace this crate was built in.
pub fn workspace_template_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

impl Template {
    /// Reads the workspace's template.yaml ([`workspace_template_path`]).
    ///
    /// # Panics
    /// When it cannot be read or parsed: every caller is a test or a tool built from this
    /// workspace, for which that is a broken checkout.
    pub fn workspace() -> Template {
        let path = workspace_template_path();
        Template::load(&path).unwrap_or_else(|e| panic!("{e:#}"))
    }
}
