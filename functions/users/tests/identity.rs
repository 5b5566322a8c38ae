//! The Cognito adapter against moto, on a user pool and app client made from the
//! template: sign-up, confirmation, sign-in, refresh and account removal.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use users::domain::{DisplayName, Email, Password, UserId};
use users::identity::{Identity, IdentityError};

/// Meets the template's policy without a symbol, which the policy does not require: the
/// domain's and the pool's rules must agree on it.
const PASSWORD: &str = "CorrectHorse9";

async fn identity() -> Identity {
    let client = aws_sdk_cognitoidentityprovider::Client::new(&support::aws().await);
    let pool = stack_model::fixtures::create_user_pool(&client).await;
    Identity::new(client, pool.id, pool.client_id)
}

/// An address no other test uses (the pools are separate, but it keeps failures apart).
fn new_email() -> Email {
    Email::parse(&format!(
        "user.{}@example.com",
        uuid::Uuid::now_v7().simple()
    ))
    .unwrap()
}

async fn sign_up(identity: &Identity, email: &Email) -> UserId {
    identity
        .sign_up(
            email,
            &Password::new(PASSWORD).unwrap(),
            &DisplayName::parse("Ann").unwrap(),
        )
        .await
        .expect("sign up")
}

async fn confirmed_user(identity: &Identity, email: &Email) -> UserId {
    let id = sign_up(identity, email).await;
    identity.confirm_without_code(&id).await.expect("confirm");
    id
}

/// The claims of a JWT, unverified: the signature is Cognito's business, this checks
/// whom the token is about.
fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url claims"))
        .expect("JSON claims")
}

#[tokio::test]
async fn a_new_account_cannot_sign_in_before_it_is_confirmed() {
    let identity = identity().await;
    let email = new_email();

    let id = sign_up(&identity, &email).await;

    assert!(
        !id.as_str().is_empty(),
        "sign-up returns the new user's sub"
    );
    let err = identity.sign_in(&email, PASSWORD).await.unwrap_err();
    assert!(matches!(err, IdentityError::NotConfirmed), "{err:?}");
}

#[tokio::test]
async fn a_confirmed_account_signs_in_with_tokens_about_its_sub() {
    let identity = identity().await;
    let email = new_email();
    let id = confirmed_user(&identity, &email).await;

    let tokens = identity.sign_in(&email, PASSWORD).await.unwrap();

    // The profile is stored under the id sign-up returned, and every later request is
    // identified by the ID token's sub: they must be the same.
    let id_claims = claims(&tokens.id_token);
    assert_eq!(id_claims["sub"], id.as_str());
    assert_eq!(id_claims["email"], email.as_str());
    assert_eq!(id_claims["token_use"], "id");
    assert_eq!(claims(&tokens.access_token)["sub"], id.as_str());
    assert!(
        tokens
            .refresh_token
            .as_deref()
            .is_some_and(|t| !t.is_empty()),
        "sign-in gives a refresh token"
    );
    assert!(tokens.expires_in > 0);
}

#[tokio::test]
async fn an_email_registers_only_once_whatever_its_case() {
    let identity = identity().await;
    let email = new_email();
    sign_up(&identity, &email).await;

    let shouted = Email::parse(&email.as_str().to_uppercase()).unwrap();
    let err = identity
        .sign_up(
            &shouted,
            &Password::new("OtherHorse7").unwrap(),
            &DisplayName::parse("Bob").unwrap(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, IdentityError::UsernameExists), "{err:?}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_are_refused_alike() {
    let identity = identity().await;
    let email = new_email();
    confirmed_user(&identity, &email).await;

    let wrong_password = identity.sign_in(&email, "WrongHorse9").await.unwrap_err();
    let unknown_user = identity.sign_in(&new_email(), PASSWORD).await.unwrap_err();

    assert!(
        matches!(wrong_password, IdentityError::NotAuthorized),
        "{wrong_password:?}"
    );
    // Answering differently would tell anyone which emails have an account.
    assert!(
        matches!(unknown_user, IdentityError::NotAuthorized),
        "{unknown_user:?}"
    );
    assert_eq!(wrong_password.to_string(), unknown_user.to_string());
}

#[tokio::test]
async fn a_refresh_token_gets_new_tokens_for_the_same_user() {
    let identity = identity().await;
    let email = new_email();
    let id = confirmed_user(&identity, &email).await;
    let signed_in = identity.sign_in(&email, PASSWORD).await.unwrap();

    let refreshed = identity
        .refresh(signed_in.refresh_token.as_deref().expect("refresh token"))
        .await
        .unwrap();

    assert_eq!(claims(&refreshed.id_token)["sub"], id.as_str());
    assert_eq!(claims(&refreshed.access_token)["sub"], id.as_str());
    assert!(refreshed.expires_in > 0);
}

#[tokio::test]
async fn a_forged_refresh_token_is_refused() {
    let identity = identity().await;

    let err = identity.refresh("not-a-refresh-token").await.unwrap_err();

    assert!(matches!(err, IdentityError::NotAuthorized), "{err:?}");
}

#[tokio::test]
async fn a_deleted_account_can_no_longer_sign_in() {
    let identity = identity().await;
    let email = new_email();
    let id = confirmed_user(&identity, &email).await;
    identity
        .sign_in(&email, PASSWORD)
        .await
        .expect("signs in before deletion");

    identity.delete_user(&id).await.unwrap();

    let err = identity.sign_in(&email, PASSWORD).await.unwrap_err();
    assert!(matches!(err, IdentityError::NotAuthorized), "{err:?}");
    // DELETE /v1/users/me removes the account first; a retry after a failed profile
    // deletion must get past this step again.
    identity
        .delete_user(&id)
        .await
        .expect("deleting again completes");
}
