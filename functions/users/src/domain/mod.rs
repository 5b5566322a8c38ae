//! The users domain: values that are valid once constructed, and the profile record.
//! No I/O here.

mod display_name;
mod password;
mod profile;
mod registration;

pub use display_name::DisplayName;
pub use password::Password;
pub use profile::{Profile, UserId};
pub use registration::{Registration, RegistrationError};
pub use shared::email::Email;
