# Credentials: signed health records, trust lists and the verifier.

## Records: what is wrong with a field
credentials-field-missing = 請填寫此項。
credentials-date-invalid = 請以年-月-日輸入日期，例如 2026-11-30。
credentials-time-invalid = 請輸入連時差的日期及時間，例如 2026-11-30T09:15:00+08:00。
credentials-dose-invalid = 請輸入 1 至 9 的整數。
credentials-name-too-long = 最多 80 個字元。
credentials-name-standardised-needed = 這個名字含有 A 至 Z 以外的字母：請按護照機讀區的寫法輸入（大寫，字與字之間用 <）。
credentials-name-standardised-invalid = 只可使用大寫 A 至 Z 及 <，最多 80 個字元。
credentials-document-kind-invalid = 請選擇香港身份證或護照。
credentials-hkid-invalid = 請輸入香港身份證號碼，例如 A123456(3)。
credentials-hkid-check-digit = 這個香港身份證號碼的核對數字不正確：請核對證件上的號碼。
credentials-passport-invalid = 請輸入護照號碼（5 至 20 個字母及數字）及三個字母的簽發國家代碼，例如 CHN。
credentials-birth-date-out-of-range = 出生日期必須在 1900 年之後，且不可是將來的日子。
credentials-date-in-future = 不可以是將來的日子。
credentials-validity-invalid = 有效期必須在開始當日或之後結束、不超過一年，且不可早於首次陽性檢測。
credentials-kind-invalid = 請選擇疫苗接種、檢測、康復或豁免。
credentials-product-unknown = 請選擇列出的疫苗。
credentials-test-type-unknown = 請選擇核酸（PCR）檢測或快速抗原測試。
credentials-test-result-unknown = 請選擇未檢出或檢出。
credentials-reason-invalid = 請選擇醫學原因或臨床試驗。

## Errors
error-credentials-not-signable-title = 記錄無法簽署
error-credentials-not-signable-detail = 記錄不符合數碼新冠證明書的規則，因此沒有簽發。
error-credentials-revoked-title = 記錄已撤銷
error-credentials-revoked-detail = 這份記錄已被撤銷或取代。
error-credentials-not-real-name-title = 身份尚未核實
error-credentials-not-real-name-detail = 職員或受信任來源核實你的身份證明文件後，你的記錄便會在這裏顯示。
