# Credentials: signed health records, trust lists and the verifier.

## Records: what is wrong with a field
credentials-field-missing = Enter this.
credentials-date-invalid = Enter a date as year-month-day, for example 2026-11-30.
credentials-time-invalid = Enter a date and time with its offset, for example 2026-11-30T09:15:00+08:00.
credentials-dose-invalid = Enter a whole number from 1 to 9.
credentials-name-too-long = Use at most 80 characters.
credentials-name-standardised-needed = This name has letters other than A to Z: enter it as in the machine-readable zone of a passport (capitals, with < between words).
credentials-name-standardised-invalid = Use only capitals A to Z and <, at most 80.
credentials-document-kind-invalid = Choose HKID or passport.
credentials-hkid-invalid = Enter an HKID number like A123456(3).
credentials-hkid-check-digit = This HKID number's check digit is wrong: check the number on the card.
credentials-passport-invalid = Enter the passport number (5 to 20 letters and digits) and the issuing country as three letters, like CHN.
credentials-birth-date-out-of-range = The birth date must be after 1900 and not in the future.
credentials-date-in-future = This cannot be in the future.
credentials-validity-invalid = The validity must end on or after it starts, within a year, and not start before the first positive test.
credentials-kind-invalid = Choose vaccination, test, recovery or exemption.
credentials-product-unknown = Choose one of the listed vaccines.
credentials-test-type-unknown = Choose a PCR test or a rapid antigen test.
credentials-test-result-unknown = Choose not detected or detected.
credentials-reason-invalid = Choose medical or clinical trial.

## Errors
error-credentials-not-signable-title = Record cannot be signed
error-credentials-not-signable-detail = The record does not meet the Digital COVID Certificate's rules, so it was not issued.
error-credentials-revoked-title = Record revoked
error-credentials-revoked-detail = This record was revoked or replaced already.
error-credentials-not-real-name-title = Identity not yet checked
error-credentials-not-real-name-detail = Your records are shown once an officer or a trusted source has checked your identity document.
