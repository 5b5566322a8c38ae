//! Email through Amazon SES v2 (`SendEmail`, simple content, plain text) from the
//! configured sender identity.
//!
//! A failed send is recorded as `failed` and not retried here: the SDK's own bounded
//! retry already covered transient errors, and retrying the event would hold up the
//! inbox for the sake of the email. SES's error messages can quote the addresses
//! involved, so only the error's code is logged, with the user id.

use super::Channel;
use crate::domain::{ChannelKind, Contact, Delivery, Email, Message};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent};
use aws_sdk_sesv2::Client;

/// Sends email from one verified identity.
pub struct SesChannel {
    client: Client,
    sender: Email,
}

impl SesChannel {
    /// A channel sending from `sender` (an identity verified in SES; the worker's IAM
    /// policy allows sending from it alone).
    pub fn new(client: Client, sender: Email) -> Self {
        Self { client, sender }
    }

    async fn send(&self, to: &Contact, message: &Message) -> Result<String, String> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| e.to_string())
        };
        let content = EmailContent::builder()
            .simple(
                aws_sdk_sesv2::types::Message::builder()
                    .subject(text(&message.subject)?)
                    .body(Body::builder().text(text(&message.body)?).build())
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(self.sender.as_str())
            .destination(
                Destination::builder()
                    .to_addresses(to.email.as_str())
                    .build(),
            )
            .content(content)
            .send()
            .await
            .map_err(|e| error_code(&e))?;
        Ok(out.message_id.unwrap_or_default())
    }
}

impl Channel for SesChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn deliver(&self, to: &Contact, message: &Message) -> Delivery {
        let user_id = to.user_id.as_str();
        let kind = message.kind.as_str();
        match self.send(to, message).await {
            Ok(message_id) => {
                tracing::info!(user_id, notification = kind, %message_id, "email sent");
                Delivery::sent(ChannelKind::Email)
            }
            Err(code) => {
                tracing::warn!(user_id, notification = kind, error_code = %code, "email not sent");
                Delivery::failed(ChannelKind::Email)
            }
        }
    }
}

/// What went wrong, without the message (which may quote an address).
fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    match err {
        SdkError::TimeoutError(_) => "Timeout".to_owned(),
        SdkError::DispatchFailure(_) => "DispatchFailure".to_owned(),
        _ => err.code().unwrap_or("Unknown").to_owned(),
    }
}
