# Identity: registration, verification, sign-in, account.
register-title = Create an account
register-intro = One account lets you use every public service. We will send a code to your e-mail address to check it is yours.
register-submit = Create account
register-have-account = Already have an account?
field-email = E-mail address
field-new-password = Create a password
field-password = Password
password-hint = Use at least { $min } characters. A few unrelated words make a strong password that is easy to remember.
email-missing = Enter your e-mail address.
email-invalid = Enter an e-mail address in the correct format, like name@example.com.
email-too-long = The e-mail address must be 254 characters or fewer.
password-missing = Enter a password.
password-too-short = The password must be at least { $min } characters long.
password-too-long = The password must be { $max } characters or fewer.
password-common = This password is too common and easy to guess. Choose another.
password-context = The password must not contain your e-mail address or the name of this service.

verify-title = Check your e-mail
verify-intro = We have sent a 6-digit code to your e-mail address. It expires in 10 minutes.
verify-sent-again = We have sent you a new code.
verify-submit = Continue
verify-no-code = Did not get the code?
verify-resend = Send a new code
field-code = Code
code-hint = The 6-digit code from the e-mail, for example 123456.
code-missing = Enter the code from the e-mail.
code-invalid = The code must be 6 digits.
code-wrong = The code is not correct. You have { $tries } tries left.
code-no-tries = You have entered a wrong code too many times. Ask for a new code.
code-expired = The code has expired. Ask for a new code.
code-resend-too-soon = Please wait a minute before asking for another code. If you have asked for many codes, start again.

sign-in-title = Sign in
sign-in-submit = Sign in
sign-in-no-account = No account yet?
sign-in-failed = The e-mail address or password is not correct.
sign-in-throttled = Too many attempts to sign in with this e-mail address. Try again in { $minutes } minutes.
sign-out = Sign out

account-title = Your account
account-level = Identity level
level-basic = Basic (e-mail verified)
level-real-name = Real name (identity document verified)

email-code-subject = Your Lionrock verification code
email-code-body = Your Lionrock verification code is { $code }. It expires in { $minutes } minutes. If you did not ask for it, you can ignore this e-mail; nobody can use your address without this code.
email-exists-subject = Someone tried to create a Lionrock account with your address
email-exists-body = Someone tried to create a Lionrock account with this e-mail address, which already has one. If it was you, sign in instead, or reset your password. If it was not you, you can ignore this e-mail.
