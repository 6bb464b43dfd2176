# Platform messages: layout, landing page, errors.
site-name = Lionrock
site-tagline = One identity for every public service
skip-to-content = Skip to main content
demo-banner-label = Demo site.
demo-banner-text = Everything here is made up and anyone can sign in with the published demo accounts. Do not enter real personal details.
nav-label = Main
nav-home = Home
lang-switcher-label = Language
footer-text = Lionrock is open-source software for public digital services.
footer-status = Service status

home-title = Public services
home-intro = Sign in once and use every public service with the same identity.
home-services-heading = Services available
home-no-services = No services are available yet. Please check again later.
home-help-heading = Need help?
home-help-text = Every page works with a keyboard and a screen reader, and in English, Traditional Chinese and Simplified Chinese.

error-heading = Something went wrong
error-request-id = Reference number
error-request-id-help = If you contact us, please quote this reference number.
error-back-home = Go to the home page
error-summary-title = There is a problem
error-retry-after = Please try again in { $seconds } seconds.

error-bad-request-title = Bad request
error-bad-request-detail = The request could not be understood.
error-malformed-json-title = Malformed JSON
error-malformed-json-detail = The request body is not valid JSON or does not match the expected shape.
error-invalid-utf8-title = Invalid text encoding
error-invalid-utf8-detail = The request contains text that is not valid UTF-8.
error-unauthenticated-title = Sign-in required
error-unauthenticated-detail = Please sign in to continue.
error-forbidden-title = Access denied
error-forbidden-detail = You do not have permission to do this.
error-csrf-rejected-title = Your form has expired
error-csrf-rejected-detail = For your security, the form could not be accepted. Go back, reload the page and try again.
error-not-found-title = Page not found
error-not-found-detail = We could not find that page. Check the address, or start again from the home page.
error-method-not-allowed-title = Method not allowed
error-method-not-allowed-detail = This address does not accept that kind of request.
error-conflict-title = Conflict
error-conflict-detail = The request conflicts with the current state of the record.
error-duplicate-title = Already taken
error-duplicate-detail = Another record already has this { $field }.
error-duplicate-field = This { $field } is already taken.
error-payload-too-large-title = Request too large
error-payload-too-large-detail = The request is larger than we accept.
error-unsupported-media-type-title = Unsupported content type
error-unsupported-media-type-detail = The request body has a content type this address does not accept.
error-validation-title = Some details need correcting
error-validation-detail = Some of the information given is not valid.
error-rate-limited-title = Too many requests
error-rate-limited-detail = You have made too many requests. Please wait a moment and try again.
error-timeout-title = The service took too long
error-timeout-detail = The service did not answer in time. Please try again.
error-unavailable-title = Service unavailable
error-unavailable-detail = The service is temporarily unavailable. Please try again later.
error-internal-title = Sorry, there is a problem with the service
error-internal-detail = Something went wrong on our side. Please try again later.
error-idempotency-key-invalid-title = Invalid Idempotency-Key
error-idempotency-key-invalid-detail = The Idempotency-Key header must appear once and hold 1 to 128 visible ASCII characters, optionally in double quotes, such as a UUID.
error-idempotency-key-reused-title = Idempotency-Key already used for another request
error-idempotency-key-reused-detail = This Idempotency-Key was already used with a different request (method, path, content type or body). Send a new key for a new request.
error-idempotency-key-in-progress-title = Request still in progress
error-idempotency-key-in-progress-detail = A request with this Idempotency-Key is still being processed. Wait a moment and send the same request again to receive its answer.
error-idempotency-key-outcome-unknown-title = Outcome of the first request unknown
error-idempotency-key-outcome-unknown-detail = The first request with this Idempotency-Key may have completed, but its outcome is unknown, so it will not run again with this key. Check whether it took effect; if it did not, send it again with a new key.

field-required = This field is required.
field-invalid = This value is not valid.
field-unknown = This field is not recognised.
field-wrong-type = This value has the wrong type.

admin-outbox-title = Notification outbox
admin-outbox-intro = The most recent messages, newest first. Message text is shown only for messages delivered to the development sink.
admin-outbox-empty = No messages yet.
admin-outbox-created = Created (UTC)
admin-outbox-channel = Channel
admin-outbox-recipient = Recipient
admin-outbox-status = Status
admin-outbox-attempts = Attempts
admin-outbox-error = Last error
admin-outbox-message = Message
admin-outbox-hidden = Hidden (sent by a real transport)

## Offline (PWA shell)
offline-title = You are offline
offline-text = This page needs an internet connection. Check your Wi-Fi or mobile data, then try again.
offline-safe = Nothing you entered has been sent or lost: forms are only sent when you are online.
offline-retry = Try again

## API reference
footer-api = API reference for developers
api-title = API reference
api-intro = Lionrock's JSON API, under /api/v1. Errors are problem details (application/problem+json) with a stable type per kind of error. Lists are paged: follow the next cursor or the Link header.
api-document-link = The OpenAPI 3.1 document (JSON)
api-contents = Operations
api-auth-session = Needs a signed-in session (the session cookie) with the right role.
api-auth-none = Needs no session; the operation authenticates its caller itself, if at all.
api-parameters = Parameters
api-request-body = Request body
api-responses = Responses
api-schemas = Schemas
api-name = Name
api-in = In
api-type = Type
api-required = Required
api-description = Description
api-status = Status
api-body = Body
api-headers = Headers
api-problem-types = Problem types
api-none = None.
api-yes = Yes
api-no = No

## Paging
paging-limit-out-of-range = The limit must be between 1 and { $max }.
paging-limit-invalid = The limit must be a whole number between 1 and { $max }.
paging-cursor-invalid = This cursor is not valid. Start again from the first page.

## Access tokens (apps acting for a resident)
error-invalid-token-title = Access token not valid
error-invalid-token-detail = The access token is unknown, has expired or was withdrawn. The app must get a new one, which may mean signing in again.
error-insufficient-scope-title = Permission not given
error-insufficient-scope-detail = You have not allowed this app to do this for you. The app must ask for your permission first.
