# 开放数据：数据目录的页面。

opendata-nav = 开放数据
opendata-title = 开放数据
opendata-service-summary = 免费搜索及下载政府数据集，提供三种语文。
opendata-intro = 共 { $count } 个数据集，连同文件及应用程序接口，免费使用。
opendata-search-label = 搜索数据集
opendata-search-submit = 搜索
opendata-search-title = 数据集
opendata-categories = 类别
opendata-datasets-count = （{ $count } 个数据集）
opendata-latest = 最新数据集
opendata-none-yet = 尚未发布任何数据集。
opendata-all-datasets = 所有数据集
opendata-organisations-title = 数据提供者
opendata-organisation = 数据提供者
opendata-category = 类别
opendata-modified = 更新于
opendata-sort-label = 排序
opendata-sort-relevance = 最相关
opendata-sort-newest = 最近更新
opendata-sort-name = 标题
opendata-filters = 筛选结果
opendata-facet-groups = 类别
opendata-facet-organization = 数据提供者
opendata-facet-res-format = 格式
opendata-facet-tags = 标签
opendata-facet-language = 语文
opendata-remove-filter = 移除筛选：
opendata-found = { $plural ->
    [zero] 找不到数据集
   *[other] 找到 { $count } 个数据集
}
opendata-paging = 搜索结果分页
opendata-page-of = 第 { $page } 页，共 { $pages } 页
opendata-previous = 上一页
opendata-next = 下一页
opendata-resources = 数据及资源
opendata-no-resources = 这个数据集尚未有文件。
opendata-resource-name = 资源
opendata-resource-format = 格式
opendata-resource-size = 大小
opendata-resource-modified = 最后修改
opendata-resource-checksum = 校验和
opendata-about = 关于这个数据集
opendata-licence = 使用条款
opendata-frequency = 更新频率
opendata-temporal = 涵盖期间
opendata-ongoing = 持续
opendata-spatial = 涵盖地区
opendata-contact = 联系
opendata-languages = 语文
opendata-api-link = 通过 CKAN 应用程序接口取得这个数据集（JSON）
opendata-frequency-real-time = 实时
opendata-frequency-hourly = 每小时
opendata-frequency-daily = 每日
opendata-frequency-weekly = 每星期
opendata-frequency-monthly = 每月
opendata-frequency-quarterly = 每季
opendata-frequency-yearly = 每年
opendata-frequency-irregular = 不定期
opendata-frequency-not-updated = 不再更新

# The catalogue's exports (DCAT-AP, DCAT-US).
opendata-dcat-title = 狮子山开放数据目录
opendata-exports = 机读目录
opendata-export-turtle = DCAT-AP (Turtle)
opendata-export-jsonld = DCAT-AP (JSON-LD)
opendata-export-data-json = DCAT-US (data.json)
## Historical archive API: refused parameters
opendata-archive-day-required = 必须提供日期，格式为 YYYYMMDD（例如 20261201）。
opendata-archive-bad-day = 这不是有效日期，格式应为 YYYYMMDD（例如 20261201）。
opendata-archive-end-before-start = 期间的结束日期早于开始日期。
opendata-archive-bad-time = 这不是有效时间，格式应为 YYYYMMDD-HHMM（香港时间，例如 20261201-0930）。
opendata-archive-bad-order = 排序只可以是 asc 或 desc。
opendata-archive-out-of-range = 这个数字超出允许范围。
opendata-archive-too-long = 这个值太长。
opendata-archive-url-required = 必须提供文件的网址。
