# 平台訊息：版面、首頁、錯誤。
site-name = 獅子山
site-tagline = 一個身分，通行所有公共服務
skip-to-content = 跳至主要內容
demo-banner-label = 示範網站。
demo-banner-text = 這裏的資料全屬虛構，任何人都可用公開的示範帳戶登入。請勿輸入真實的個人資料。
nav-label = 主選單
nav-home = 首頁
lang-switcher-label = 語言
footer-text = 獅子山是為公共數碼服務而設的開源軟件。
footer-status = 服務狀態

home-title = 公共服務
home-intro = 登入一次，即可以同一身分使用所有公共服務。
home-services-heading = 現有服務
home-no-services = 暫時未有可用服務，請稍後再查看。
home-help-heading = 需要協助？
home-help-text = 每個頁面均支援鍵盤及屏幕閱讀器操作，並提供英文、繁體中文及簡體中文版本。

error-heading = 發生問題
error-request-id = 參考編號
error-request-id-help = 如需聯絡我們，請提供此參考編號。
error-back-home = 返回首頁
error-summary-title = 出現問題
error-retry-after = 請於 { $seconds } 秒後再試。

error-bad-request-title = 無效的請求
error-bad-request-detail = 無法理解這個請求。
error-malformed-json-title = JSON 格式錯誤
error-malformed-json-detail = 請求內容不是有效的 JSON，或與預期格式不符。
error-invalid-utf8-title = 文字編碼無效
error-invalid-utf8-detail = 請求包含無效的 UTF-8 文字。
error-unauthenticated-title = 需要登入
error-unauthenticated-detail = 請先登入以繼續。
error-forbidden-title = 拒絕存取
error-forbidden-detail = 你沒有權限進行此操作。
error-csrf-rejected-title = 表格已逾時
error-csrf-rejected-detail = 為保障你的安全，系統未能接受此表格。請返回上一頁，重新載入後再試。
error-not-found-title = 找不到頁面
error-not-found-detail = 找不到這個頁面。請檢查網址，或由首頁重新開始。
error-method-not-allowed-title = 不接受此請求方法
error-method-not-allowed-detail = 此網址不接受這類請求。
error-conflict-title = 資料衝突
error-conflict-detail = 請求與記錄的現有狀態有衝突。
error-duplicate-title = 已被使用
error-duplicate-detail = 已有另一項紀錄使用這個 { $field }。
error-duplicate-field = 這個 { $field } 已被使用。
error-payload-too-large-title = 請求過大
error-payload-too-large-detail = 請求的大小超出上限。
error-unsupported-media-type-title = 不支援的內容類型
error-unsupported-media-type-detail = 此網址不接受這種內容類型。
error-validation-title = 部分資料需要更正
error-validation-detail = 部分提供的資料無效。
error-rate-limited-title = 請求過於頻繁
error-rate-limited-detail = 你的請求次數過多，請稍候再試。
error-timeout-title = 服務回應時間過長
error-timeout-detail = 服務未能及時回應，請再試一次。
error-unavailable-title = 服務暫停
error-unavailable-detail = 服務暫時未能使用，請稍後再試。
error-internal-title = 抱歉，服務出現問題
error-internal-detail = 我們的系統出現問題，請稍後再試。
error-idempotency-key-invalid-title = Idempotency-Key 無效
error-idempotency-key-invalid-detail = Idempotency-Key 標頭只可出現一次，並須為 1 至 128 個可見的 ASCII 字元（可加雙引號），例如 UUID。
error-idempotency-key-reused-title = Idempotency-Key 已用於另一個請求
error-idempotency-key-reused-detail = 這個 Idempotency-Key 已用於另一個不同的請求（方法、路徑、內容類型或內容不同）。新的請求請使用新的鍵。
error-idempotency-key-in-progress-title = 請求仍在處理中
error-idempotency-key-in-progress-detail = 使用這個 Idempotency-Key 的請求仍在處理中。請稍候，再傳送相同的請求以取得結果。
error-idempotency-key-outcome-unknown-title = 首個請求的結果不明
error-idempotency-key-outcome-unknown-detail = 使用這個 Idempotency-Key 的首個請求可能已完成，但結果不明，因此不會以這個鍵再次執行。請先查核它是否已生效；如未生效，請以新的鍵再次傳送。

field-required = 必須填寫此欄。
field-invalid = 此數值無效。
field-unknown = 無法識別此欄位。
field-wrong-type = 此數值的類型不正確。

admin-outbox-title = 通知寄件匣
admin-outbox-intro = 最近的訊息，最新的排在最前。只有送往開發用接收端的訊息才會顯示內容。
admin-outbox-empty = 暫時沒有訊息。
admin-outbox-created = 建立時間（UTC）
admin-outbox-channel = 渠道
admin-outbox-recipient = 收件人
admin-outbox-status = 狀態
admin-outbox-attempts = 嘗試次數
admin-outbox-error = 最近錯誤
admin-outbox-message = 訊息
admin-outbox-hidden = 已隱藏（經正式渠道發送）

## Offline (PWA shell)
offline-title = 你已離線
offline-text = 此頁面需要網絡連線。請檢查 Wi-Fi 或流動數據，然後再試。
offline-safe = 你輸入的資料未有傳送，也不會遺失：表格只會在連線時傳送。
offline-retry = 再試一次

## API reference
footer-api = 開發人員 API 參考
api-title = API 參考
api-intro = Lionrock 的 JSON API 位於 /api/v1。錯誤以問題詳情（application/problem+json）回覆，每種錯誤有固定的類型。清單分頁提供：請跟隨 next 游標或 Link 標頭。
api-document-link = OpenAPI 3.1 文件（JSON）
api-contents = 操作
api-auth-session = 需要已登入的工作階段（工作階段 cookie）及相應角色。
api-auth-none = 無需工作階段；如需驗證，由操作本身驗證呼叫者。
api-parameters = 參數
api-request-body = 請求內容
api-responses = 回應
api-schemas = 結構定義
api-name = 名稱
api-in = 位置
api-type = 類型
api-required = 必填
api-description = 說明
api-status = 狀態
api-body = 內容
api-headers = 標頭
api-problem-types = 問題類型
api-none = 沒有。
api-yes = 是
api-no = 否

## Paging
paging-limit-out-of-range = 上限必須介乎 1 至 { $max }。
paging-limit-invalid = 上限必須是 1 至 { $max } 之間的整數。
paging-cursor-invalid = 此游標無效。請由第一頁重新開始。

## 存取權杖（代居民操作的應用程式）
error-invalid-token-title = 存取權杖無效
error-invalid-token-detail = 存取權杖不明、已過期或已被撤回。應用程式須取得新的權杖，你或須重新登入。
error-insufficient-scope-title = 未獲你的許可
error-insufficient-scope-detail = 你並未允許此應用程式代你進行這項操作。應用程式須先徵求你的許可。
