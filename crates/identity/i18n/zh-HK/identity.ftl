# 身分：登記、驗證、登入、帳戶。
register-title = 建立帳戶
register-intro = 一個帳戶即可使用所有公共服務。我們會把驗證碼傳送到你的電郵地址，以確認地址屬於你。
register-submit = 建立帳戶
register-have-account = 已有帳戶？
field-email = 電郵地址
field-new-password = 設定密碼
field-password = 密碼
password-hint = 請使用最少 { $min } 個字元。把幾個互不相關的詞語組合起來，既安全又容易記住。
email-missing = 請輸入電郵地址。
email-invalid = 請以正確格式輸入電郵地址，例如 name@example.com。
email-too-long = 電郵地址不可多於 254 個字元。
password-missing = 請輸入密碼。
password-too-short = 密碼最少要有 { $min } 個字元。
password-too-long = 密碼不可多於 { $max } 個字元。
password-common = 這個密碼太常見，容易被猜中。請另選一個。
password-context = 密碼不可包含你的電郵地址或本服務的名稱。

verify-title = 請查看電郵
verify-intro = 我們已把 6 位數字驗證碼傳送到你的電郵地址，驗證碼 10 分鐘後失效。
verify-sent-again = 我們已傳送新的驗證碼給你。
verify-submit = 繼續
verify-no-code = 收不到驗證碼？
verify-resend = 傳送新的驗證碼
field-code = 驗證碼
code-hint = 電郵中的 6 位數字驗證碼，例如 123456。
code-missing = 請輸入電郵中的驗證碼。
code-invalid = 驗證碼必須是 6 位數字。
code-wrong = 驗證碼不正確。你還有 { $tries } 次機會。
code-no-tries = 你輸入錯誤驗證碼的次數太多。請要求新的驗證碼。
code-expired = 驗證碼已失效。請要求新的驗證碼。
code-resend-too-soon = 請等候一分鐘再要求另一個驗證碼。如你已要求多次，請重新開始。

sign-in-title = 登入
sign-in-submit = 登入
sign-in-no-account = 未有帳戶？
sign-in-failed = 電郵地址或密碼不正確。
sign-in-throttled = 使用此電郵地址登入的嘗試次數過多。請於 { $minutes } 分鐘後再試。
sign-out = 登出

account-title = 你的帳戶
account-level = 身分級別
level-basic = 基本（已驗證電郵）
level-real-name = 實名（已核實身分證明文件）

email-code-subject = 你的獅子山驗證碼
email-code-body = 你的獅子山驗證碼是 { $code }，將於 { $minutes } 分鐘後失效。如你沒有要求驗證碼，可以不理會這封電郵；沒有此驗證碼，任何人都不能使用你的地址。
email-exists-subject = 有人嘗試以你的地址建立獅子山帳戶
email-exists-body = 有人嘗試以此電郵地址建立獅子山帳戶，但此地址已有帳戶。如果是你本人，請直接登入或重設密碼。如果不是你，可以不理會這封電郵。
