//! A real relying party, the `openidconnect` crate, against a running
//! lionrock: discovery, code + PKCE, ID-token verification, userinfo,
//! refresh, and RP-initiated logout.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::oidc::register_rp;
use crate::support::*;
use platform::both_backends;
use platform::testkit::Backend;

/// The relying party's HTTP client: our reqwest, so the crate brings no TLS stack of its own.
async fn http(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let (parts, body) = request.into_parts();
    let response = client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder.body(response.bytes().await?.to_vec()).expect("response"))
}

async fn the_openidconnect_crate_signs_in_refreshes_and_logs_out(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "rp@example.org").await;

    let issuer = IssuerUrl::new(format!("http://{}", app.addr)).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.id.clone()),
        rp.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new("https://rp.example.org/callback".to_owned()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("offline_access".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    // The person's browser: open the request, consent, come back with a code.
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let consent_page = resident.get(&path).await;
    assert_eq!(consent_page.status(), 200);
    let back = decide(&resident, &consent_page.text().await.unwrap(), "allow", &[]).await;
    let back = url::Url::parse(&location(&back)).unwrap();
    let params: std::collections::HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(&params["state"], csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("ID token verifies (signature, issuer, audience, nonce)");
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some(identity::oidc::ACR_BASIC));

    let info: CoreUserInfoClaims =
        client.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.expect("userinfo");
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().map(|e| e.as_str()), Some("rp@example.org"));
    assert_eq!(info.email_verified(), Some(true));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(refreshed.access_token().secret(), tokens.access_token().secret());
    // The old refresh token is spent: using it again fails, and revokes the new ones.
    assert!(
        client.exchange_refresh_token(tokens.refresh_token().unwrap()).unwrap().request_async(&http).await.is_err()
    );
    let revoked: Result<CoreUserInfoClaims, _> =
        client.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await;
    assert!(revoked.is_err(), "the refreshed tokens were revoked by the reuse");

    // RP-initiated logout with the ID token as hint.
    let logout = format!(
        "/oauth/logout?id_token_hint={}&post_logout_redirect_uri={}&state=done",
        id_token,
        url::form_urlencoded::byte_serialize(b"https://rp.example.org/bye").collect::<String>()
    );
    let r = resident.get(&logout).await;
    assert_eq!(location(&r), "https://rp.example.org/bye?state=done");
    assert_eq!(resident.get("/en/account").await.status(), 401);
}
both_backends!(the_openidconnect_crate_signs_in_refreshes_and_logs_out);
