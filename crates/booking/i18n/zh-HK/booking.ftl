# 預約：計劃、中心、時段及預約。

booking-period-date = 請以 YYYY-MM-DD 格式輸入日期。
booking-period-range = 最後一日不可早於第一日，亦不可遲於第一日之後 { $days } 日。
booking-document-kind = 請選擇香港身份證或護照。
booking-document-hkid-format = 請按證件所印輸入身份證號碼，例如 A123456(3)。
booking-document-hkid-check = 此身份證號碼無效：請檢查括號內的數字。
booking-document-passport = 請輸入護照號碼（5 至 20 個字母及數字）及簽發國家（3 個字母）。

error-booking-full-title = 名額已滿
error-booking-full-detail = 此時段的名額已全部預約。請選擇其他時間或中心。
error-booking-ineligible-title = 不符合預約資格
error-booking-ineligible-detail = { $reason ->
    [level] 此計劃需要已核實身份的帳戶（實名級別）。
    [not-resident] 此計劃只供香港身份證持有人預約。
    [birthdate-unknown] 此計劃設有年齡限制，但我們沒有此人的出生日期。
    [too-young] 此人於預約當日須年滿 { $min } 歲。
    [too-old] 此人於預約當日不可超過 { $max } 歲。
    [course-complete] 此人已完成此計劃的所有步驟。
    [too-soon] 下一步驟可由 { $date } 起預約。請選擇較後的日子。
    [too-late] 下一步驟須於 { $date } 或之前完成。請致電計劃熱線。
    [other-product] 下一步驟須使用與上一步驟相同的產品。請選擇提供該產品的中心。
    [not-open] 此計劃現時不接受預約。
    [slot-past] 此時段已開始或已結束。請選擇較後的時段。
    [document-needed] 請輸入此人的身份證明文件：以確保每人只預約一次。
    [document-unchecked] 此計劃須使用此人帳戶內已核實的身份證明文件（實名）：在此輸入的號碼無法核實。
   *[other] 此人不可預約此時段。
}
error-booking-duplicate-title = 已經預約
error-booking-duplicate-detail = 此人已預約此計劃的這個步驟。如要改期，請先取消現有預約。
error-booking-unknown-slot-title = 找不到時段
error-booking-unknown-slot-detail = 沒有此時段。請從可預約時段中選擇。
error-booking-unknown-booking-title = 找不到預約
error-booking-unknown-booking-detail = 你沒有此編號的預約。
error-booking-unknown-person-title = 找不到此人
error-booking-unknown-person-detail = 你只可為自己及你照顧的人預約。
error-booking-already-cancelled-title = 已經取消
error-booking-already-cancelled-detail = 此預約已經取消。
error-booking-not-cancellable-title = 不可取消
error-booking-not-cancellable-detail = 此預約已到場、已缺席或時段已開始，因此不可再取消。
error-booking-slot-closed-title = 時段已關閉
error-booking-slot-closed-detail = 此時段已關閉。請選擇其他時間或中心。

# 中心職員、化驗所及結果通知。
error-booking-unknown-reference-title = 找不到預約編號
error-booking-unknown-reference-detail = 沒有預約使用這個編號。請與當事人核對後再輸入。
error-booking-wrong-day-title = 不是今天
error-booking-wrong-day-detail = 這個預約是其他日子的。只可在預約時段當天登記到場。
error-booking-already-attended-title = 已登記到場
error-booking-already-attended-detail = 這個預約已經登記到場。
error-booking-too-many-look-ups-title = 無效編號太多
error-booking-too-many-look-ups-detail = 你查詢了太多不存在的預約編號。請等到下一小時再試。
error-booking-unknown-specimen-title = 找不到樣本
error-booking-unknown-specimen-detail = 沒有可記錄或通知結果的樣本使用這個編號。
error-booking-result-recorded-title = 結果已記錄
error-booking-result-recorded-detail = 這個樣本的結果已經記錄。
booking-officer-nav = 到場登記
booking-officer-title = 中心到場登記
booking-officer-look-up-heading = 查找預約
booking-officer-reference-hint = 掃描預約二維碼或輸入預約編號，例如 K7Q2M-9XD3P。
booking-officer-look-up = 查找預約
booking-officer-found = 預約
booking-officer-check-in = 登記到場
booking-officer-cannot-check-in = 這個預約現在不能登記到場。
booking-officer-checked-in = 已登記到場。
booking-officer-free = 尚餘 { $free } 個名額
booking-field-reference = 預約編號
booking-field-programme = 計劃
booking-field-centre = 中心
booking-field-time = 時間
booking-field-document = 身份證明文件
booking-field-status = 狀態
booking-field-specimen = 樣本編號
booking-field-result = 結果
booking-field-collected = 採樣時間
booking-status-confirmed = 已確認
booking-status-cancelled = 已取消
booking-status-attended = 已到場
booking-status-no-show = 未有到場
booking-walk-in-title = 登記即場人士
booking-walk-in-intro = 為沒有預約的人士登記今天其中一個時段。
booking-walk-in-slot = 時段
booking-walk-in-slot-missing = 請選擇時段。
booking-walk-in-hkid = 香港身份證號碼
booking-walk-in-hkid-hint = 按證件所載輸入，例如 A123456(3)。
booking-walk-in-birthdate = 出生日期
booking-walk-in-birthdate-hint = 按身份證所載。計劃設有年齡限制時必須填寫。
booking-walk-in-birthdate-invalid = 請按身份證所載輸入出生日期，例如 1950-03-14。日期不能在將來。
booking-walk-in-submit = 登記並記錄到場
booking-label-title = 樣本標籤
booking-label-print = 請列印這張標籤並貼在樣本管上。
booking-lab-nav = 化驗所
booking-lab-title = 化驗結果
booking-lab-record-heading = 記錄結果
booking-lab-record = 記錄結果
booking-lab-recorded = 已記錄 { $code } 的結果。
booking-lab-pending-heading = 等候結果的樣本
booking-lab-none = 沒有等候結果的樣本。
booking-specimen-code-invalid = 請按標籤所印輸入樣本編號。
booking-result-missing = 請選擇結果。
booking-result-negative = 陰性
booking-result-positive = 陽性
booking-result-invalid = 無效
booking-results-nav = 結果
booking-results-title = 待通知的結果
booking-results-none = 沒有待通知的結果。
booking-results-notify = 通知
error-booking-waiting-room-title = 請耐心輪候
error-booking-waiting-room-detail = { $reason ->
    [admission-expired] 你的預約時段已結束。請重新輪候以取得新的位置。
    [admission-invalid] 此入場許可不適用於你的帳戶。請輪候以取得你自己的位置。
   *[other] 現時很多人正在預約，因此本計劃設有輪候隊伍。請加入輪候；輪到你時便可預約。
}
error-booking-waiting-room-settings-title = 輪候室設定超出範圍
error-booking-waiting-room-settings-detail = 入場速率必須為每分鐘 1 至 { $max_rate } 人，而每次入場許可的有效時間必須為 1 至 { $max_validity } 分鐘。
error-booking-quota-below-taken-title = 配額低於已預約名額
error-booking-quota-below-taken-detail = 當日配額已有 { $taken } 個名額被預約，配額不能低於此數。請先取消預約，或設定較高的配額。
error-booking-unknown-programme-title = 找不到計劃
error-booking-unknown-programme-detail = 沒有這個計劃。
error-booking-unknown-centre-title = 找不到中心
error-booking-unknown-centre-detail = 這個計劃沒有這個中心。
booking-plan-invalid = { $problem }
booking-admin-range = 這個數字超出範圍。
booking-admin-product-unknown = 這項產品不屬於此計劃。
booking-admin-year = 日期必須在 { $year } 年內。
booking-admin-name = 請提供假期的英文名稱。
booking-admin-move-to = 如要改期，請選擇較後的日子。
booking-admin-closure-where = 請選擇要關閉的計劃或中心。
booking-closure-subject = { $reason ->
    [black-rainstorm] 你的預約：因黑色暴雨警告暫停
   *[other] 你的預約：因八號熱帶氣旋警告信號暫停
}
booking-closure-cancelled = { $reason ->
    [black-rainstorm] 由於黑色暴雨警告生效
   *[other] 由於八號熱帶氣旋警告信號生效
}，你的預約 { $reference }（{ $programme }）已取消。請重新預約：{ $link }
booking-closure-moved = { $reason ->
    [black-rainstorm] 由於黑色暴雨警告生效
   *[other] 由於八號熱帶氣旋警告信號生效
}，你的預約 { $reference }（{ $programme }）已改至 { $moved }，地點不變。如要選擇其他時間：{ $link }
error-booking-other-programme-title = 其他計劃
error-booking-other-programme-detail = 預約只可改到同一計劃的其他時段。請在此計劃的列表中選擇。
error-booking-other-centre-title = 其他中心
error-booking-other-centre-detail = 此預約或時段屬於你未獲委派的中心。請引導此人前往其預約的中心，或請管理員委派你。

# 給市民的訊息（電郵主旨及內容、短訊）。
booking-notice-confirmed-subject = 預約已確認：{ $reference }
booking-notice-confirmed-body =
    你的{ $programme }預約已確認。

    預約編號：{ $reference }
    中心：{ $centre }，{ $address }
    時間：{ $time }

    請在中心出示預約編號，或確認頁上的二維碼：
    { $link }
booking-notice-confirmed-sms = { $programme }：預約 { $reference } 已確認，{ $time }，{ $centre }。詳情：{ $link }
booking-notice-cancelled-subject = 預約已取消：{ $reference }
booking-notice-cancelled-body =
    你於 { $time } 在{ $centre }的{ $programme }預約 { $reference } 已取消，名額已交回。

    如你沒有取消此預約，請致電計劃熱線。
booking-notice-cancelled-sms = { $programme }：{ $time } 在{ $centre }的預約 { $reference } 已取消。
booking-notice-rescheduled-subject = 預約已改期：{ $reference }
booking-notice-rescheduled-body =
    你的{ $programme }預約 { $reference } 已改期。

    新時間：{ $time }
    中心：{ $centre }，{ $address }

    附有二維碼的確認頁：
    { $link }
booking-notice-rescheduled-sms = { $programme }：預約 { $reference } 已改至 { $time }，{ $centre }。詳情：{ $link }
booking-notice-reminder-subject = 提示：明天的{ $programme }
booking-notice-reminder-body =
    提示你明天的{ $programme }預約。

    預約編號：{ $reference }
    時間：{ $time }
    中心：{ $centre }，{ $address }

    請帶備身份證明文件。如要取消或更改時間：
    { $link }
booking-notice-reminder-sms = 提示：明天 { $time } 在{ $centre }的{ $programme }，預約編號 { $reference }。{ $link }

# 市民頁面。
booking-title = 預約服務
booking-nav = 預約
booking-service-summary = 預約疫苗接種、社區檢測及其他服務，並查看各中心的餘額。
booking-intro = 請選擇計劃，尋找中心並預約時間。
booking-none = 目前沒有接受預約的計劃。
booking-not-open = 此計劃現時不接受預約。
booking-find-link = 尋找中心並預約
booking-availability-link = 各中心餘額
booking-find-title = 尋找中心
booking-find-intro = 請在列表或地圖上選擇地區，或按距離排列中心。
booking-find-district = 地區
booking-find-any-district = 所有地區
booking-find-near = 按與此地區的距離排列
booking-find-near-none = 不按距離排列
booking-find-submit = 顯示中心
booking-find-locate = 使用我的位置
booking-find-locating = 正在取得你的位置…
booking-find-locate-failed = 無法取得你的位置。請改為選擇地區。
booking-find-all = 所有中心
booking-find-by-distance = 中心（由近至遠）
booking-find-in-district = { $district }的中心
booking-find-none = 此計劃在這個地區沒有中心。請選擇其他地區。
booking-map-caption = 香港十八區示意地圖。選擇地區以查看該區的中心。
booking-map-district = { $district }：{ $count } 間中心
booking-distance = 相距 { $km } 公里
booking-hours = 開放時間
booking-accessibility = 無障礙設施
booking-free-caption = { $centre }的餘額
booking-day-heading = 日期
booking-free-heading = 餘額
booking-day = { $date }（{ $weekday }）
booking-free-count = 餘額 { $free } 個
booking-free-none = 已滿
booking-back-to-centres = 返回中心列表
booking-centre-title = 選擇時間
booking-choose-day = 選擇日期
booking-choose-time = 選擇時間
booking-times-on = { $day }的時段
booking-no-times = 這一天已沒有時段。請選擇其他日期。
booking-slot-label = { $start } 至 { $end }，{ $places }
booking-continue = 繼續
booking-who-title = 為誰預約？
booking-who-legend = 出席的人士
booking-who-yourself = 自己
booking-who-others = 如要為你照顧的子女或親屬預約，請先把他們加入你的帳戶。
booking-who-dependant = 你照顧的人士
booking-who-dependants-link = 你照顧的人士
booking-document-when = 只有文件未經核實的人士才需要填寫。
booking-who-choose = 請選擇為誰預約。
booking-who-checked = （身份證明文件 { $document } 已核實）
booking-document-legend = 身份證明文件
booking-document-why = 每人在計劃的每個階段只可持有一個預約，文件用以確保這一點。文件會加密儲存。
booking-document-kind-label = 文件類別
booking-document-hkid = 香港身份證
booking-document-passport-option = 護照
booking-document-number-label = 文件號碼（例如 A123456(3)）
booking-document-country-label = 護照簽發國家（三個字母，只適用於護照）
booking-review-submit = 檢查預約
booking-review-title = 請核對你的預約
booking-review-change = 更改這些資料
booking-confirm-submit = 確認預約
booking-change-time = 選擇其他時間
booking-programme = 計劃
booking-centre = 中心
booking-time = 時間
booking-person = 人士
booking-document = 身份證明文件
booking-confirmation-title = 你的預約
booking-reference = 預約編號
booking-qr-label = 預約編號 { $reference } 的二維碼
booking-qr-note = 請在中心出示此二維碼，或讀出預約編號。
booking-print-note = 你可以列印此頁。我們亦已透過電郵或短訊把預約編號發送給你。
booking-status = 狀態
booking-mine-title = 我的預約
booking-mine-none = 你沒有任何預約。
booking-view-link = 查看及列印
booking-reschedule-link = 更改時間
booking-cancel-link = 取消預約
booking-done-cancelled = 預約已取消，名額已交回。
booking-done-rescheduled = 預約已改至新的時間。
booking-cancel-title = 取消此預約？
booking-cancel-intro = 名額會立即交回給其他人。如仍有名額，你稍後可以再預約。
booking-cancel-submit = 是，取消預約
booking-cancel-keep = 否，保留預約
booking-reschedule-title = 更改時間
booking-reschedule-intro = 預約 { $reference } 現時為 { $time }。請選擇新的時間：只有新時段仍有名額，預約才會更改。
booking-reschedule-submit = 更改預約
booking-reschedule-keep = 保留現時的時間
booking-reschedule-choose = 請選擇新的時間。
booking-weekday-mon = 星期一
booking-weekday-tue = 星期二
booking-weekday-wed = 星期三
booking-weekday-thu = 星期四
booking-weekday-fri = 星期五
booking-weekday-sat = 星期六
booking-weekday-sun = 星期日
booking-district-central-western = 中西區
booking-district-wan-chai = 灣仔
booking-district-eastern = 東區
booking-district-southern = 南區
booking-district-yau-tsim-mong = 油尖旺
booking-district-sham-shui-po = 深水埗
booking-district-kowloon-city = 九龍城
booking-district-wong-tai-sin = 黃大仙
booking-district-kwun-tong = 觀塘
booking-district-kwai-tsing = 葵青
booking-district-tsuen-wan = 荃灣
booking-district-tuen-mun = 屯門
booking-district-yuen-long = 元朗
booking-district-north = 北區
booking-district-tai-po = 大埔
booking-district-sha-tin = 沙田
booking-district-sai-kung = 西貢
booking-district-islands = 離島
booking-notice-result-ready-subject = 你的結果已經備妥：{ $reference }
booking-notice-result-ready-body =
    你在{ $programme }的檢測結果（編號 { $reference }，{ $time }，{ $centre }）已經備妥。

    請登入查看，或致電計劃熱線：
    { $link }
booking-notice-result-ready-sms = { $programme }：檢測 { $reference } 的結果已經備妥。請登入查看：{ $link }
booking-live-title = 餘額
booking-live-intro = 各中心今天及未來數天的餘額。
booking-live-caption = 各中心每日餘額
booking-live-updated = 截至 { $time }。
booking-live-updated-live = 即時更新。最後更新：
booking-live-refresh = 重新載入
booking-queue-title = 輪候室
booking-queue-heading = 輪候預約：{ $programme }
booking-queue-intro = 現時很多人正在預約，因此本計劃設有輪候隊伍。請加入輪候以取得你的位置，先到先得。請保持此頁開啟：它會顯示你的輪候位置，並在輪到你時通知你。
booking-queue-join = 加入輪候
booking-queue-expired = 你的預約時段已結束。請再次加入輪候以取得新位置。
booking-queue-off = 本計劃現時無須輪候，你可以立即預約。
booking-queue-book = 立即預約
booking-queue-place = 你的輪候號碼：{ $place }
booking-queue-position = 你在隊伍中的位置：{ $position }
booking-queue-wait-soon = 預計輪候時間：少於一分鐘
booking-queue-wait-one-minute = 預計輪候時間：約一分鐘
booking-queue-wait-minutes = 預計輪候時間：約 { $minutes } 分鐘
booking-queue-keep-open = 請保持此頁開啟。此頁會自動更新，並在輪到你時通知你。
booking-queue-refreshes = 此頁每 { $seconds } 秒重新載入一次。
booking-queue-refresh-now = 立即重新載入
booking-queue-admitted = 已輪到你預約。
booking-queue-admitted-live = 已輪到你預約。請使用下方的「立即預約」連結。
booking-queue-admitted-until = 你的預約時段直至 { $until }。
booking-queue-ready = 已輪到你預約。按下按鈕後，你有 { $minutes } 分鐘預約。
booking-queue-start = 開始預約
booking-rooms-title = 輪候室
booking-rooms-intro = 輪候室開啟時，市民須先輪候才可預約，並按你設定的速率先到先得地進入。
booking-rooms-none = 暫時未有任何計劃。
booking-rooms-caption = 各計劃的輪候室
booking-rooms-back = 返回所有輪候室
booking-room-title = 輪候室設定
booking-room-heading = 輪候室：{ $programme }
booking-room-intro = 每項更改均會記錄於審計日誌。
booking-room-state = 輪候室
booking-room-on = 開啟
booking-room-off = 關閉
booking-room-enabled = 開啟輪候室（市民須先輪候才可預約）
booking-room-rate = 每分鐘准許進入人數
booking-room-rate-hint = 1 至 { $max } 的整數。
booking-room-rate-invalid = 請以 1 至 { $max } 的整數輸入每分鐘准許進入人數。
booking-room-validity = 入場許可有效分鐘數
booking-room-validity-hint = 1 至 { $max } 的整數分鐘。
booking-room-validity-invalid = 請以 1 至 { $max } 的整數輸入入場許可的有效分鐘數。
booking-room-joined = 已發出號碼
booking-room-admitted = 已准許進入
booking-room-actions = 操作
booking-room-edit = 更改「{ $programme }」的輪候室
booking-room-save = 儲存
booking-room-saved = 已儲存「{ $programme }」的輪候室設定。
booking-oauth-scope = 為你及你照顧的人預約、更改及取消預約，並查看你的預約

# Administrators' pages.
booking-admin-nav = 預約管理
booking-admin-title = 預約管理
booking-admin-intro = 計劃、配額、時段、公眾假期、暫停服務及統計。每項更改均記錄於審計紀錄。
booking-admin-caption = 計劃
booking-admin-kind = 類別
booking-admin-kind-vaccination = 疫苗接種
booking-admin-kind-testing = 檢測
booking-admin-kind-border = 口岸配額
booking-admin-kind-other = 其他
booking-admin-centres = 中心
booking-admin-statistics-of = { $programme }的統計
booking-admin-across = 適用於所有計劃
booking-admin-back = 返回預約管理
booking-admin-back-to = 返回{ $programme }
booking-admin-none = 無
booking-admin-yes = 是
booking-admin-no = 否
booking-admin-choose = 請選擇…
booking-admin-programme-title = 計劃
booking-admin-public-availability = 公開名額頁面
booking-admin-settings = 設定
booking-admin-products = 產品
booking-admin-product = 產品
booking-admin-centres-caption = { $programme }的中心
booking-admin-district = 地區
booking-admin-address = 地址
booking-admin-hours = 開放時間
booking-admin-slug = 簡稱
booking-admin-level = 所需身份級別
booking-admin-level-basic = 基本
booking-admin-level-real-name = 實名
booking-admin-residents-only = 只限香港居民
booking-admin-min-age = 最低年齡
booking-admin-max-age = 最高年齡
booking-admin-steps = 步驟（劑數）
booking-admin-repeatable = 每次到訪後可再預約
booking-admin-min-interval = 與上一步驟最少相隔日數
booking-admin-max-interval = 與上一步驟最多相隔日數
booking-admin-opens = 開始預約
booking-admin-closes = 截止預約
booking-admin-day = 日期
booking-admin-day-hint = 格式為 YYYY-MM-DD，例如 2026-12-01。
booking-admin-day-invalid = 請以 YYYY-MM-DD 格式輸入日期，例如 2026-12-01。
booking-admin-from = 首日
booking-admin-to = 末日
booking-admin-number-invalid = 請輸入 { $min } 至 { $max } 之間的整數。
booking-admin-centre-choose = 請選擇本計劃的一個中心。
booking-admin-product-choose = 請選擇本計劃的一項產品。
booking-admin-quota-title = 每日配額
booking-admin-quota-heading = 每日配額：{ $programme }
booking-admin-quota-intro = 中心某日某產品的預約達到配額即停止，即使時段仍有名額。配額不可低於已預約的名額。
booking-admin-quota-capacity = 當日名額
booking-admin-quota-capacity-hint = 0 至 1,000,000 之間的整數。
booking-admin-quota-save = 設定配額
booking-admin-quota-saved = 已設定配額。
booking-admin-quota-taken = 已預約名額
booking-admin-quotas-of-day = { $day }的配額
booking-admin-quotas-none = 當日未設定配額。
booking-admin-slots-title = 產生時段
booking-admin-slots-heading = 產生時段：{ $programme }
booking-admin-slots-intro = 時段會在各中心的開放時間內連續產生，並略過公眾假期、已過去的時間及已有的時段，因此重複執行不會重複產生。
booking-admin-slots-made = 已產生 { $count } 個時段。
booking-admin-all-when-none = 不選任何一項即表示全部。
booking-admin-slot-minutes = 每個時段的分鐘數
booking-admin-slot-minutes-hint = 5 至 1,440。
booking-admin-slot-capacity = 每個時段的名額
booking-admin-slot-capacity-hint = 1 至 100,000。
booking-admin-slot-quota = 每個中心及產品的每日配額（選填）
booking-admin-slot-quota-hint = 1 至 1,000,000；留空即不設配額。
booking-admin-slots-generate = 產生時段
booking-admin-holidays-title = 公眾假期
booking-admin-holidays-heading = { $year } 年公眾假期
booking-admin-holidays-intro = 產生時段時會略過這些日子。儲存會取代全年的列表。
booking-admin-holidays-none = 本年未載入公眾假期。
booking-admin-holidays-saved = 已儲存本年的公眾假期。
booking-admin-holiday-name-column = 假期
booking-admin-holidays-label = 假期，每行一個
booking-admin-holidays-hint = 每行先寫日期，再寫英文、繁體中文及簡體中文名稱，以「|」分隔，例如：2026-12-25 | Christmas Day | 聖誕節 | 圣诞节。中文名稱可以省略。
booking-admin-holidays-save = 儲存 { $year } 年的假期
booking-admin-holidays-year = { $year } 年公眾假期
booking-admin-holiday-date = 第 { $line } 行：請以 YYYY-MM-DD 格式的日期開始。
booking-admin-holiday-year = 第 { $line } 行：日期必須在 { $year } 年內。
booking-admin-holiday-name = 第 { $line } 行：請在日期後填寫假期的英文名稱。
booking-admin-closure-title = 暫停一日服務
booking-admin-closure-intro = 適用於八號或以上熱帶氣旋警告信號或黑色暴雨警告信號：所選中心當日的時段會關閉，預約會被取消或改期，並通知所有受影響人士及提供重新預約。確認前你會先看到受影響的情況。
booking-admin-closure-centres = 要暫停服務的中心
booking-admin-centres-choose = 請最少選擇一個中心。
booking-admin-closure-reason = 原因
booking-admin-reason-typhoon-8 = 八號或以上熱帶氣旋警告信號
booking-admin-reason-black-rainstorm = 黑色暴雨警告信號
booking-admin-reason-choose = 請選擇原因。
booking-admin-closure-action = 預約的處理方式
booking-admin-action-cancel = 取消預約（並提供重新預約）
booking-admin-action-move = 改期至較後日子的同一時間（該時間已滿則取消）
booking-admin-action-choose = 請選擇預約的處理方式。
booking-admin-move-to-label = 較後的日子（改期用）
booking-admin-move-to-hint = 只在改期時填寫，格式為 YYYY-MM-DD。
booking-admin-closure-check-button = 查看受影響情況
booking-admin-closure-check = 暫停服務前查看
booking-admin-closure-check-intro = 暫停 { $day } 的服務會影響以下各項。目前尚未作出任何更改。
booking-admin-closure-affected = 暫停服務會影響的項目
booking-admin-closure-open-slots = 開放中的時段
booking-admin-closure-confirmed = 已確認的預約
booking-admin-closure-closed-already = 已暫停
booking-admin-closure-confirm = 暫停當日服務並通知所有受影響人士
booking-admin-closure-change = 更改暫停服務的設定
booking-admin-closure-done = 已暫停當日服務。
booking-admin-closure-slots = 已關閉的時段
booking-admin-closure-cancelled = 已取消的預約
booking-admin-closure-moved = 已改期的預約
booking-admin-closure-notified = 已通知人數
booking-stat-title = 預約統計
booking-stat-heading = 統計：{ $programme }
booking-stat-all-centres = 所有中心
booking-stat-all-products = 所有產品
booking-stat-show = 顯示
booking-stat-csv = 下載本期統計的 CSV 檔案（所有中心及產品）
booking-stat-meaning = 預約數目包括當日所有預約；每個預約為未到期、已出席、缺席或已取消。
booking-stat-legend = 圖例
booking-stat-bookings = 預約
booking-stat-confirmed = 未到期
booking-stat-attended = 已出席
booking-stat-no-shows = 缺席
booking-stat-cancelled = 已取消
booking-stat-by-day = 按日
booking-stat-by-centre = 按中心
booking-stat-day = 日期
booking-stat-chart-desc = 堆疊棒形圖：未到期、已出席、缺席及已取消；共 { $bookings } 個預約。下表列出數字。
booking-stat-table-caption = { $chart }：數字
booking-stat-rows = 按日、中心及產品
booking-stat-rows-caption = 有預約的每日、中心及產品
booking-stat-none = 本期沒有預約。
booking-officer-camera-start = 用鏡頭掃描
booking-officer-camera-stop = 關閉鏡頭
booking-officer-camera-label = 鏡頭畫面：請將預約的二維碼放在鏡頭前
booking-officer-camera-looking = 正在尋找二維碼…
booking-officer-camera-found = 已讀取二維碼：正在尋找預約。
booking-officer-camera-not-reference = 這個二維碼不是預約編號。
booking-officer-camera-unavailable = 此處無法使用鏡頭：請輸入預約編號。
booking-centre-officers-too-many = 名單上的人員超過 500 名。
booking-centre-officer-invalid = 這不是帳戶編號（UUID）。
