# 開放數據：數據目錄的頁面。

opendata-nav = 開放數據
opendata-title = 開放數據
opendata-service-summary = 免費搜尋及下載政府數據集，提供三種語文。
opendata-intro = 共 { $count } 個數據集，連同檔案及應用程式介面，免費使用。
opendata-search-label = 搜尋數據集
opendata-search-submit = 搜尋
opendata-search-title = 數據集
opendata-categories = 類別
opendata-datasets-count = （{ $count } 個數據集）
opendata-latest = 最新數據集
opendata-none-yet = 尚未發布任何數據集。
opendata-all-datasets = 所有數據集
opendata-organisations-title = 數據提供者
opendata-organisation = 數據提供者
opendata-category = 類別
opendata-modified = 更新於
opendata-sort-label = 排序
opendata-sort-relevance = 最相關
opendata-sort-newest = 最近更新
opendata-sort-name = 標題
opendata-filters = 篩選結果
opendata-facet-groups = 類別
opendata-facet-organization = 數據提供者
opendata-facet-res-format = 格式
opendata-facet-tags = 標籤
opendata-facet-language = 語文
opendata-remove-filter = 移除篩選：
opendata-found = { $plural ->
    [zero] 找不到數據集
   *[other] 找到 { $count } 個數據集
}
opendata-paging = 搜尋結果分頁
opendata-page-of = 第 { $page } 頁，共 { $pages } 頁
opendata-previous = 上一頁
opendata-next = 下一頁
opendata-resources = 數據及資源
opendata-no-resources = 這個數據集尚未有檔案。
opendata-resource-name = 資源
opendata-resource-format = 格式
opendata-resource-size = 大小
opendata-resource-modified = 最後修改
opendata-resource-checksum = 校驗和
opendata-about = 關於這個數據集
opendata-licence = 使用條款
opendata-frequency = 更新頻率
opendata-temporal = 涵蓋期間
opendata-ongoing = 持續
opendata-spatial = 涵蓋地區
opendata-contact = 聯絡
opendata-languages = 語文
opendata-api-link = 透過 CKAN 應用程式介面取得這個數據集（JSON）
opendata-frequency-real-time = 實時
opendata-frequency-hourly = 每小時
opendata-frequency-daily = 每日
opendata-frequency-weekly = 每星期
opendata-frequency-monthly = 每月
opendata-frequency-quarterly = 每季
opendata-frequency-yearly = 每年
opendata-frequency-irregular = 不定期
opendata-frequency-not-updated = 不再更新

# The catalogue's exports (DCAT-AP, DCAT-US).
opendata-dcat-title = 獅子山開放數據目錄
opendata-exports = 機讀目錄
opendata-export-turtle = DCAT-AP (Turtle)
opendata-export-jsonld = DCAT-AP (JSON-LD)
opendata-export-data-json = DCAT-US (data.json)
## Historical archive API: refused parameters
opendata-archive-day-required = 必須提供日期，格式為 YYYYMMDD（例如 20261201）。
opendata-archive-bad-day = 這不是有效日期，格式應為 YYYYMMDD（例如 20261201）。
opendata-archive-end-before-start = 期間的結束日期早於開始日期。
opendata-archive-bad-time = 這不是有效時間，格式應為 YYYYMMDD-HHMM（香港時間，例如 20261201-0930）。
opendata-archive-bad-order = 排序只可以是 asc 或 desc。
opendata-archive-out-of-range = 這個數字超出容許範圍。
opendata-archive-too-long = 這個值太長。
opendata-archive-url-required = 必須提供檔案的網址。
