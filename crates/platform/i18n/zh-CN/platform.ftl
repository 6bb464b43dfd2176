# 平台消息：版面、首页、错误。
site-name = 狮子山
site-tagline = 一个身份，通行所有公共服务
skip-to-content = 跳至主要内容
demo-banner-label = 演示网站。
demo-banner-text = 这里的资料全属虚构，任何人都可用公开的演示账户登录。请勿输入真实的个人资料。
nav-label = 主菜单
nav-home = 首页
lang-switcher-label = 语言
footer-text = 狮子山是为公共数字服务而设的开源软件。
footer-status = 服务状态

home-title = 公共服务
home-intro = 登录一次，即可以同一身份使用所有公共服务。
home-services-heading = 现有服务
home-no-services = 暂时没有可用服务，请稍后再查看。
home-help-heading = 需要帮助？
home-help-text = 每个页面均支持键盘及屏幕阅读器操作，并提供英文、繁体中文及简体中文版本。

error-heading = 发生问题
error-request-id = 参考编号
error-request-id-help = 如需联系我们，请提供此参考编号。
error-back-home = 返回首页
error-summary-title = 出现问题
error-retry-after = 请于 { $seconds } 秒后再试。

error-bad-request-title = 无效的请求
error-bad-request-detail = 无法理解这个请求。
error-malformed-json-title = JSON 格式错误
error-malformed-json-detail = 请求内容不是有效的 JSON，或与预期格式不符。
error-invalid-utf8-title = 文字编码无效
error-invalid-utf8-detail = 请求包含无效的 UTF-8 文字。
error-unauthenticated-title = 需要登录
error-unauthenticated-detail = 请先登录以继续。
error-forbidden-title = 拒绝访问
error-forbidden-detail = 你没有权限进行此操作。
error-csrf-rejected-title = 表单已过期
error-csrf-rejected-detail = 为保障你的安全，系统未能接受此表单。请返回上一页，重新加载后再试。
error-not-found-title = 找不到页面
error-not-found-detail = 找不到这个页面。请检查网址，或从首页重新开始。
error-method-not-allowed-title = 不接受此请求方法
error-method-not-allowed-detail = 此网址不接受这类请求。
error-conflict-title = 数据冲突
error-conflict-detail = 请求与记录的现有状态有冲突。
error-duplicate-title = 已被使用
error-duplicate-detail = 已有另一项记录使用这个 { $field }。
error-duplicate-field = 这个 { $field } 已被使用。
error-payload-too-large-title = 请求过大
error-payload-too-large-detail = 请求的大小超出上限。
error-unsupported-media-type-title = 不支持的内容类型
error-unsupported-media-type-detail = 此网址不接受这种内容类型。
error-validation-title = 部分资料需要更正
error-validation-detail = 部分提供的资料无效。
error-rate-limited-title = 请求过于频繁
error-rate-limited-detail = 你的请求次数过多，请稍候再试。
error-timeout-title = 服务响应时间过长
error-timeout-detail = 服务未能及时响应，请再试一次。
error-unavailable-title = 服务暂停
error-unavailable-detail = 服务暂时无法使用，请稍后再试。
error-internal-title = 抱歉，服务出现问题
error-internal-detail = 我们的系统出现问题，请稍后再试。
error-idempotency-key-invalid-title = Idempotency-Key 无效
error-idempotency-key-invalid-detail = Idempotency-Key 标头只可出现一次，并须为 1 至 128 个可见的 ASCII 字符（可加双引号），例如 UUID。
error-idempotency-key-reused-title = Idempotency-Key 已用于另一个请求
error-idempotency-key-reused-detail = 这个 Idempotency-Key 已用于另一个不同的请求（方法、路径、内容类型或内容不同）。新的请求请使用新的键。
error-idempotency-key-in-progress-title = 请求仍在处理中
error-idempotency-key-in-progress-detail = 使用这个 Idempotency-Key 的请求仍在处理中。请稍候，再发送相同的请求以获取结果。
error-idempotency-key-outcome-unknown-title = 首个请求的结果不明
error-idempotency-key-outcome-unknown-detail = 使用这个 Idempotency-Key 的首个请求可能已完成，但结果不明，因此不会以这个键再次执行。请先核实它是否已生效；如未生效，请使用新的键再次发送。

field-required = 必须填写此栏。
field-invalid = 此数值无效。
field-unknown = 无法识别此栏位。
field-wrong-type = 此数值的类型不正确。

admin-outbox-title = 通知发件箱
admin-outbox-intro = 最近的消息，最新的排在最前。只有发往开发用接收端的消息才会显示内容。
admin-outbox-empty = 暂时没有消息。
admin-outbox-created = 创建时间（UTC）
admin-outbox-channel = 渠道
admin-outbox-recipient = 收件人
admin-outbox-status = 状态
admin-outbox-attempts = 尝试次数
admin-outbox-error = 最近错误
admin-outbox-message = 消息
admin-outbox-hidden = 已隐藏（经正式渠道发送）

## Offline (PWA shell)
offline-title = 你已离线
offline-text = 此页面需要网络连接。请检查 Wi-Fi 或移动数据，然后再试。
offline-safe = 你输入的信息没有发送，也不会丢失：表单只会在联网时发送。
offline-retry = 再试一次

## API reference
footer-api = 开发人员 API 参考
api-title = API 参考
api-intro = Lionrock 的 JSON API 位于 /api/v1。错误以问题详情（application/problem+json）返回，每种错误有固定的类型。列表分页提供：请跟随 next 游标或 Link 标头。
api-document-link = OpenAPI 3.1 文档（JSON）
api-contents = 操作
api-auth-session = 需要已登录的会话（会话 cookie）及相应角色。
api-auth-none = 无需会话；如需验证，由操作本身验证调用方。
api-parameters = 参数
api-request-body = 请求正文
api-responses = 响应
api-schemas = 结构定义
api-name = 名称
api-in = 位置
api-type = 类型
api-required = 必填
api-description = 说明
api-status = 状态
api-body = 正文
api-headers = 标头
api-problem-types = 问题类型
api-none = 无。
api-yes = 是
api-no = 否

## Paging
paging-limit-out-of-range = 上限必须介于 1 至 { $max }。
paging-limit-invalid = 上限必须是 1 至 { $max } 之间的整数。
paging-cursor-invalid = 此游标无效。请从第一页重新开始。

## 访问令牌（代居民操作的应用程序）
error-invalid-token-title = 访问令牌无效
error-invalid-token-detail = 访问令牌未知、已过期或已被撤回。应用程序须获取新的令牌，你或须重新登录。
error-insufficient-scope-title = 未获你的许可
error-insufficient-scope-detail = 你并未允许此应用程序代你进行这项操作。应用程序须先征求你的许可。
