# 预约：计划、中心、时段及预约。

booking-period-date = 请以 YYYY-MM-DD 格式输入日期。
booking-period-range = 最后一日不可早于第一日，也不可迟于第一日之后 { $days } 日。
booking-document-kind = 请选择香港身份证或护照。
booking-document-hkid-format = 请按证件所印输入身份证号码，例如 A123456(3)。
booking-document-hkid-check = 此身份证号码无效：请检查括号内的数字。
booking-document-passport = 请输入护照号码（5 至 20 个字母及数字）及签发国家（3 个字母）。

error-booking-full-title = 名额已满
error-booking-full-detail = 此时段的名额已全部预约。请选择其他时间或中心。
error-booking-ineligible-title = 不符合预约资格
error-booking-ineligible-detail = { $reason ->
    [level] 此计划需要已核实身份的账户（实名级别）。
    [not-resident] 此计划只供香港身份证持有人预约。
    [birthdate-unknown] 此计划设有年龄限制，但我们没有此人的出生日期。
    [too-young] 此人于预约当日须年满 { $min } 岁。
    [too-old] 此人于预约当日不可超过 { $max } 岁。
    [course-complete] 此人已完成此计划的所有步骤。
    [too-soon] 下一步骤可由 { $date } 起预约。请选择较后的日子。
    [too-late] 下一步骤须于 { $date } 或之前完成。请致电计划热线。
    [other-product] 下一步骤须使用与上一步骤相同的产品。请选择提供该产品的中心。
    [not-open] 此计划现时不接受预约。
    [slot-past] 此时段已开始或已结束。请选择较后的时段。
    [document-needed] 请输入此人的身份证明文件：以确保每人只预约一次。
    [document-unchecked] 此计划须使用此人账户内已核实的身份证明文件（实名）：在此输入的号码无法核实。
   *[other] 此人不可预约此时段。
}
error-booking-duplicate-title = 已经预约
error-booking-duplicate-detail = 此人已预约此计划的这个步骤。如要改期，请先取消现有预约。
error-booking-unknown-slot-title = 找不到时段
error-booking-unknown-slot-detail = 没有此时段。请从可预约时段中选择。
error-booking-unknown-booking-title = 找不到预约
error-booking-unknown-booking-detail = 你没有此编号的预约。
error-booking-unknown-person-title = 找不到此人
error-booking-unknown-person-detail = 你只可为自己及你照顾的人预约。
error-booking-already-cancelled-title = 已经取消
error-booking-already-cancelled-detail = 此预约已经取消。
error-booking-not-cancellable-title = 不可取消
error-booking-not-cancellable-detail = 此预约已到场、已缺席或时段已开始，因此不可再取消。
error-booking-slot-closed-title = 时段已关闭
error-booking-slot-closed-detail = 此时段已关闭。请选择其他时间或中心。

# 中心职员、化验所及结果通知。
error-booking-unknown-reference-title = 找不到预约编号
error-booking-unknown-reference-detail = 没有预约使用这个编号。请与当事人核对后再输入。
error-booking-wrong-day-title = 不是今天
error-booking-wrong-day-detail = 这个预约是其他日子的。只可在预约时段当天登记到场。
error-booking-already-attended-title = 已登记到场
error-booking-already-attended-detail = 这个预约已经登记到场。
error-booking-too-many-look-ups-title = 无效编号太多
error-booking-too-many-look-ups-detail = 你查询了太多不存在的预约编号。请等到下一小时再试。
error-booking-unknown-specimen-title = 找不到样本
error-booking-unknown-specimen-detail = 没有可记录或通知结果的样本使用这个编号。
error-booking-result-recorded-title = 结果已记录
error-booking-result-recorded-detail = 这个样本的结果已经记录。
booking-officer-nav = 到场登记
booking-officer-title = 中心到场登记
booking-officer-look-up-heading = 查找预约
booking-officer-reference-hint = 扫描预约二维码或输入预约编号，例如 K7Q2M-9XD3P。
booking-officer-look-up = 查找预约
booking-officer-found = 预约
booking-officer-check-in = 登记到场
booking-officer-cannot-check-in = 这个预约现在不能登记到场。
booking-officer-checked-in = 已登记到场。
booking-officer-free = 尚余 { $free } 个名额
booking-field-reference = 预约编号
booking-field-programme = 计划
booking-field-centre = 中心
booking-field-time = 时间
booking-field-document = 身份证明文件
booking-field-status = 状态
booking-field-specimen = 样本编号
booking-field-result = 结果
booking-field-collected = 采样时间
booking-status-confirmed = 已确认
booking-status-cancelled = 已取消
booking-status-attended = 已到场
booking-status-no-show = 未有到场
booking-walk-in-title = 登记现场人士
booking-walk-in-intro = 为没有预约的人士登记今天其中一个时段。
booking-walk-in-slot = 时段
booking-walk-in-slot-missing = 请选择时段。
booking-walk-in-hkid = 香港身份证号码
booking-walk-in-hkid-hint = 按证件所载输入，例如 A123456(3)。
booking-walk-in-birthdate = 出生日期
booking-walk-in-birthdate-hint = 按身份证所载。计划设有年龄限制时必须填写。
booking-walk-in-birthdate-invalid = 请按身份证所载输入出生日期，例如 1950-03-14。日期不能在将来。
booking-walk-in-submit = 登记并记录到场
booking-label-title = 样本标签
booking-label-print = 请打印这张标签并贴在样本管上。
booking-lab-nav = 化验所
booking-lab-title = 化验结果
booking-lab-record-heading = 记录结果
booking-lab-record = 记录结果
booking-lab-recorded = 已记录 { $code } 的结果。
booking-lab-pending-heading = 等候结果的样本
booking-lab-none = 没有等候结果的样本。
booking-specimen-code-invalid = 请按标签所印输入样本编号。
booking-result-missing = 请选择结果。
booking-result-negative = 阴性
booking-result-positive = 阳性
booking-result-invalid = 无效
booking-results-nav = 结果
booking-results-title = 待通知的结果
booking-results-none = 没有待通知的结果。
booking-results-notify = 通知
error-booking-waiting-room-title = 请耐心排队
error-booking-waiting-room-detail = { $reason ->
    [admission-expired] 你的预约时段已结束。请重新排队以取得新的位置。
    [admission-invalid] 此入场许可不适用于你的账户。请排队以取得你自己的位置。
   *[other] 现时很多人正在预约，因此本计划设有排队队伍。请加入排队；轮到你时便可预约。
}
error-booking-waiting-room-settings-title = 排队室设置超出范围
error-booking-waiting-room-settings-detail = 入场速率必须为每分钟 1 至 { $max_rate } 人，而每次入场许可的有效时间必须为 1 至 { $max_validity } 分钟。
error-booking-quota-below-taken-title = 配额低于已预约名额
error-booking-quota-below-taken-detail = 当日配额已有 { $taken } 个名额被预约，配额不能低于此数。请先取消预约，或设定较高的配额。
error-booking-unknown-programme-title = 找不到计划
error-booking-unknown-programme-detail = 没有这个计划。
error-booking-unknown-centre-title = 找不到中心
error-booking-unknown-centre-detail = 这个计划没有这个中心。
booking-plan-invalid = { $problem }
booking-admin-range = 这个数字超出范围。
booking-admin-product-unknown = 这项产品不属于此计划。
booking-admin-year = 日期必须在 { $year } 年内。
booking-admin-name = 请提供假期的英文名称。
booking-admin-move-to = 如要改期，请选择较后的日子。
booking-admin-closure-where = 请选择要关闭的计划或中心。
booking-closure-subject = { $reason ->
    [black-rainstorm] 你的预约：因黑色暴雨警告暂停
   *[other] 你的预约：因八号热带气旋警告信号暂停
}
booking-closure-cancelled = { $reason ->
    [black-rainstorm] 由于黑色暴雨警告生效
   *[other] 由于八号热带气旋警告信号生效
}，你的预约 { $reference }（{ $programme }）已取消。请重新预约：{ $link }
booking-closure-moved = { $reason ->
    [black-rainstorm] 由于黑色暴雨警告生效
   *[other] 由于八号热带气旋警告信号生效
}，你的预约 { $reference }（{ $programme }）已改至 { $moved }，地点不变。如要选择其他时间：{ $link }
error-booking-other-programme-title = 其他计划
error-booking-other-programme-detail = 预约只可改到同一计划的其他时段。请在此计划的列表中选择。
error-booking-other-centre-title = 其他中心
error-booking-other-centre-detail = 此预约或时段属于你未获委派的中心。请引导此人前往其预约的中心，或请管理员委派你。

# 给市民的信息（电邮主题及内容、短信）。
booking-notice-confirmed-subject = 预约已确认：{ $reference }
booking-notice-confirmed-body =
    你的{ $programme }预约已确认。

    预约编号：{ $reference }
    中心：{ $centre }，{ $address }
    时间：{ $time }

    请在中心出示预约编号，或确认页上的二维码：
    { $link }
booking-notice-confirmed-sms = { $programme }：预约 { $reference } 已确认，{ $time }，{ $centre }。详情：{ $link }
booking-notice-cancelled-subject = 预约已取消：{ $reference }
booking-notice-cancelled-body =
    你于 { $time } 在{ $centre }的{ $programme }预约 { $reference } 已取消，名额已交回。

    如你没有取消此预约，请致电计划热线。
booking-notice-cancelled-sms = { $programme }：{ $time } 在{ $centre }的预约 { $reference } 已取消。
booking-notice-rescheduled-subject = 预约已改期：{ $reference }
booking-notice-rescheduled-body =
    你的{ $programme }预约 { $reference } 已改期。

    新时间：{ $time }
    中心：{ $centre }，{ $address }

    附有二维码的确认页：
    { $link }
booking-notice-rescheduled-sms = { $programme }：预约 { $reference } 已改至 { $time }，{ $centre }。详情：{ $link }
booking-notice-reminder-subject = 提示：明天的{ $programme }
booking-notice-reminder-body =
    提示你明天的{ $programme }预约。

    预约编号：{ $reference }
    时间：{ $time }
    中心：{ $centre }，{ $address }

    请带备身份证明文件。如要取消或更改时间：
    { $link }
booking-notice-reminder-sms = 提示：明天 { $time } 在{ $centre }的{ $programme }，预约编号 { $reference }。{ $link }

# 市民页面。
booking-title = 预约服务
booking-nav = 预约
booking-service-summary = 预约疫苗接种、社区检测及其他服务，并查看各中心的余额。
booking-intro = 请选择计划，寻找中心并预约时间。
booking-none = 目前没有接受预约的计划。
booking-not-open = 此计划现时不接受预约。
booking-find-link = 寻找中心并预约
booking-availability-link = 各中心余额
booking-find-title = 寻找中心
booking-find-intro = 请在列表或地图上选择地区，或按距离排列中心。
booking-find-district = 地区
booking-find-any-district = 所有地区
booking-find-near = 按与此地区的距离排列
booking-find-near-none = 不按距离排列
booking-find-submit = 显示中心
booking-find-locate = 使用我的位置
booking-find-locating = 正在取得你的位置…
booking-find-locate-failed = 无法取得你的位置。请改为选择地区。
booking-find-all = 所有中心
booking-find-by-distance = 中心（由近至远）
booking-find-in-district = { $district }的中心
booking-find-none = 此计划在这个地区没有中心。请选择其他地区。
booking-map-caption = 香港十八区示意地图。选择地区以查看该区的中心。
booking-map-district = { $district }：{ $count } 间中心
booking-distance = 相距 { $km } 公里
booking-hours = 开放时间
booking-accessibility = 无障碍设施
booking-free-caption = { $centre }的余额
booking-day-heading = 日期
booking-free-heading = 余额
booking-day = { $date }（{ $weekday }）
booking-free-count = 余额 { $free } 个
booking-free-none = 已满
booking-back-to-centres = 返回中心列表
booking-centre-title = 选择时间
booking-choose-day = 选择日期
booking-choose-time = 选择时间
booking-times-on = { $day }的时段
booking-no-times = 这一天已没有时段。请选择其他日期。
booking-slot-label = { $start } 至 { $end }，{ $places }
booking-continue = 继续
booking-who-title = 为谁预约？
booking-who-legend = 出席的人士
booking-who-yourself = 自己
booking-who-others = 如要为你照顾的子女或亲属预约，请先把他们加入你的账户。
booking-who-dependant = 你照顾的人士
booking-who-dependants-link = 你照顾的人士
booking-document-when = 只有文件未经核实的人士才需要填写。
booking-who-choose = 请选择为谁预约。
booking-who-checked = （身份证明文件 { $document } 已核实）
booking-document-legend = 身份证明文件
booking-document-why = 每人在计划的每个阶段只可持有一个预约，文件用以确保这一点。文件会加密储存。
booking-document-kind-label = 文件类别
booking-document-hkid = 香港身份证
booking-document-passport-option = 护照
booking-document-number-label = 文件号码（例如 A123456(3)）
booking-document-country-label = 护照签发国家（三个字母，只适用于护照）
booking-review-submit = 检查预约
booking-review-title = 请核对你的预约
booking-review-change = 更改这些资料
booking-confirm-submit = 确认预约
booking-change-time = 选择其他时间
booking-programme = 计划
booking-centre = 中心
booking-time = 时间
booking-person = 人士
booking-document = 身份证明文件
booking-confirmation-title = 你的预约
booking-reference = 预约编号
booking-qr-label = 预约编号 { $reference } 的二维码
booking-qr-note = 请在中心出示此二维码，或读出预约编号。
booking-print-note = 你可以打印此页。我们亦已通过电邮或短信把预约编号发送给你。
booking-status = 状态
booking-mine-title = 我的预约
booking-mine-none = 你没有任何预约。
booking-view-link = 查看及打印
booking-reschedule-link = 更改时间
booking-cancel-link = 取消预约
booking-done-cancelled = 预约已取消，名额已交回。
booking-done-rescheduled = 预约已改至新的时间。
booking-cancel-title = 取消此预约？
booking-cancel-intro = 名额会立即交回给其他人。如仍有名额，你稍后可以再预约。
booking-cancel-submit = 是，取消预约
booking-cancel-keep = 否，保留预约
booking-reschedule-title = 更改时间
booking-reschedule-intro = 预约 { $reference } 现时为 { $time }。请选择新的时间：只有新时段仍有名额，预约才会更改。
booking-reschedule-submit = 更改预约
booking-reschedule-keep = 保留现时的时间
booking-reschedule-choose = 请选择新的时间。
booking-weekday-mon = 星期一
booking-weekday-tue = 星期二
booking-weekday-wed = 星期三
booking-weekday-thu = 星期四
booking-weekday-fri = 星期五
booking-weekday-sat = 星期六
booking-weekday-sun = 星期日
booking-district-central-western = 中西区
booking-district-wan-chai = 湾仔
booking-district-eastern = 东区
booking-district-southern = 南区
booking-district-yau-tsim-mong = 油尖旺
booking-district-sham-shui-po = 深水埗
booking-district-kowloon-city = 九龙城
booking-district-wong-tai-sin = 黄大仙
booking-district-kwun-tong = 观塘
booking-district-kwai-tsing = 葵青
booking-district-tsuen-wan = 荃湾
booking-district-tuen-mun = 屯门
booking-district-yuen-long = 元朗
booking-district-north = 北区
booking-district-tai-po = 大埔
booking-district-sha-tin = 沙田
booking-district-sai-kung = 西贡
booking-district-islands = 离岛
booking-notice-result-ready-subject = 你的结果已经备妥：{ $reference }
booking-notice-result-ready-body =
    你在{ $programme }的检测结果（编号 { $reference }，{ $time }，{ $centre }）已经备妥。

    请登录查看，或致电计划热线：
    { $link }
booking-notice-result-ready-sms = { $programme }：检测 { $reference } 的结果已经备妥。请登录查看：{ $link }
booking-live-title = 余额
booking-live-intro = 各中心今天及未来数天的余额。
booking-live-caption = 各中心每日余额
booking-live-updated = 截至 { $time }。
booking-live-updated-live = 实时更新。最后更新：
booking-live-refresh = 重新加载
booking-queue-title = 排队室
booking-queue-heading = 排队预约：{ $programme }
booking-queue-intro = 现时很多人正在预约，因此本计划设有排队队伍。请加入排队以取得你的位置，先到先得。请保持此页开启：它会显示你的排队位置，并在轮到你时通知你。
booking-queue-join = 加入排队
booking-queue-expired = 你的预约时段已结束。请再次加入排队以取得新位置。
booking-queue-off = 本计划现时无须排队，你可以立即预约。
booking-queue-book = 立即预约
booking-queue-place = 你的排队号码：{ $place }
booking-queue-position = 你在队伍中的位置：{ $position }
booking-queue-wait-soon = 预计等候时间：少于一分钟
booking-queue-wait-one-minute = 预计等候时间：约一分钟
booking-queue-wait-minutes = 预计等候时间：约 { $minutes } 分钟
booking-queue-keep-open = 请保持此页开启。此页会自动更新，并在轮到你时通知你。
booking-queue-refreshes = 此页每 { $seconds } 秒重新加载一次。
booking-queue-refresh-now = 立即重新加载
booking-queue-admitted = 已轮到你预约。
booking-queue-admitted-live = 已轮到你预约。请使用下方的“立即预约”链接。
booking-queue-admitted-until = 你的预约时段直至 { $until }。
booking-queue-ready = 已轮到你预约。按下按钮后，你有 { $minutes } 分钟预约。
booking-queue-start = 开始预约
booking-rooms-title = 排队室
booking-rooms-intro = 排队室开启时，市民须先排队才可预约，并按你设定的速率先到先得地进入。
booking-rooms-none = 暂时没有任何计划。
booking-rooms-caption = 各计划的排队室
booking-rooms-back = 返回所有排队室
booking-room-title = 排队室设置
booking-room-heading = 排队室：{ $programme }
booking-room-intro = 每项更改均会记录于审计日志。
booking-room-state = 排队室
booking-room-on = 开启
booking-room-off = 关闭
booking-room-enabled = 开启排队室（市民须先排队才可预约）
booking-room-rate = 每分钟准许进入人数
booking-room-rate-hint = 1 至 { $max } 的整数。
booking-room-rate-invalid = 请以 1 至 { $max } 的整数输入每分钟准许进入人数。
booking-room-validity = 入场许可有效分钟数
booking-room-validity-hint = 1 至 { $max } 的整数分钟。
booking-room-validity-invalid = 请以 1 至 { $max } 的整数输入入场许可的有效分钟数。
booking-room-joined = 已发出号码
booking-room-admitted = 已准许进入
booking-room-actions = 操作
booking-room-edit = 更改“{ $programme }”的排队室
booking-room-save = 保存
booking-room-saved = 已保存“{ $programme }”的排队室设置。
booking-oauth-scope = 为你及你照顾的人预约、更改及取消预约，并查看你的预约

# Administrators' pages.
booking-admin-nav = 预约管理
booking-admin-title = 预约管理
booking-admin-intro = 计划、配额、时段、公众假期、暂停服务及统计。每项更改均记录于审计记录。
booking-admin-caption = 计划
booking-admin-kind = 类别
booking-admin-kind-vaccination = 疫苗接种
booking-admin-kind-testing = 检测
booking-admin-kind-border = 口岸配额
booking-admin-kind-other = 其他
booking-admin-centres = 中心
booking-admin-statistics-of = { $programme }的统计
booking-admin-across = 适用于所有计划
booking-admin-back = 返回预约管理
booking-admin-back-to = 返回{ $programme }
booking-admin-none = 无
booking-admin-yes = 是
booking-admin-no = 否
booking-admin-choose = 请选择…
booking-admin-programme-title = 计划
booking-admin-public-availability = 公开名额页面
booking-admin-settings = 设置
booking-admin-products = 产品
booking-admin-product = 产品
booking-admin-centres-caption = { $programme }的中心
booking-admin-district = 地区
booking-admin-address = 地址
booking-admin-hours = 开放时间
booking-admin-slug = 简称
booking-admin-level = 所需身份级别
booking-admin-level-basic = 基本
booking-admin-level-real-name = 实名
booking-admin-residents-only = 只限香港居民
booking-admin-min-age = 最低年龄
booking-admin-max-age = 最高年龄
booking-admin-steps = 步骤（剂数）
booking-admin-repeatable = 每次到访后可再预约
booking-admin-min-interval = 与上一步骤最少相隔日数
booking-admin-max-interval = 与上一步骤最多相隔日数
booking-admin-opens = 开始预约
booking-admin-closes = 截止预约
booking-admin-day = 日期
booking-admin-day-hint = 格式为 YYYY-MM-DD，例如 2026-12-01。
booking-admin-day-invalid = 请以 YYYY-MM-DD 格式输入日期，例如 2026-12-01。
booking-admin-from = 首日
booking-admin-to = 末日
booking-admin-number-invalid = 请输入 { $min } 至 { $max } 之间的整数。
booking-admin-centre-choose = 请选择本计划的一个中心。
booking-admin-product-choose = 请选择本计划的一项产品。
booking-admin-quota-title = 每日配额
booking-admin-quota-heading = 每日配额：{ $programme }
booking-admin-quota-intro = 中心某日某产品的预约达到配额即停止，即使时段仍有名额。配额不可低于已预约的名额。
booking-admin-quota-capacity = 当日名额
booking-admin-quota-capacity-hint = 0 至 1,000,000 之间的整数。
booking-admin-quota-save = 设定配额
booking-admin-quota-saved = 已设定配额。
booking-admin-quota-taken = 已预约名额
booking-admin-quotas-of-day = { $day }的配额
booking-admin-quotas-none = 当日未设定配额。
booking-admin-slots-title = 生成时段
booking-admin-slots-heading = 生成时段：{ $programme }
booking-admin-slots-intro = 时段会在各中心的开放时间内连续生成，并跳过公众假期、已过去的时间及已有的时段，因此重复执行不会重复生成。
booking-admin-slots-made = 已生成 { $count } 个时段。
booking-admin-all-when-none = 不选任何一项即表示全部。
booking-admin-slot-minutes = 每个时段的分钟数
booking-admin-slot-minutes-hint = 5 至 1,440。
booking-admin-slot-capacity = 每个时段的名额
booking-admin-slot-capacity-hint = 1 至 100,000。
booking-admin-slot-quota = 每个中心及产品的每日配额（选填）
booking-admin-slot-quota-hint = 1 至 1,000,000；留空即不设配额。
booking-admin-slots-generate = 生成时段
booking-admin-holidays-title = 公众假期
booking-admin-holidays-heading = { $year } 年公众假期
booking-admin-holidays-intro = 生成时段时会跳过这些日子。保存会取代全年的列表。
booking-admin-holidays-none = 本年未载入公众假期。
booking-admin-holidays-saved = 已保存本年的公众假期。
booking-admin-holiday-name-column = 假期
booking-admin-holidays-label = 假期，每行一个
booking-admin-holidays-hint = 每行先写日期，再写英文、繁体中文及简体中文名称，以“|”分隔，例如：2026-12-25 | Christmas Day | 聖誕節 | 圣诞节。中文名称可以省略。
booking-admin-holidays-save = 保存 { $year } 年的假期
booking-admin-holidays-year = { $year } 年公众假期
booking-admin-holiday-date = 第 { $line } 行：请以 YYYY-MM-DD 格式的日期开始。
booking-admin-holiday-year = 第 { $line } 行：日期必须在 { $year } 年内。
booking-admin-holiday-name = 第 { $line } 行：请在日期后填写假期的英文名称。
booking-admin-closure-title = 暂停一日服务
booking-admin-closure-intro = 适用于八号或以上热带气旋警告信号或黑色暴雨警告信号：所选中心当日的时段会关闭，预约会被取消或改期，并通知所有受影响人士及提供重新预约。确认前你会先看到受影响的情况。
booking-admin-closure-centres = 要暂停服务的中心
booking-admin-centres-choose = 请最少选择一个中心。
booking-admin-closure-reason = 原因
booking-admin-reason-typhoon-8 = 八号或以上热带气旋警告信号
booking-admin-reason-black-rainstorm = 黑色暴雨警告信号
booking-admin-reason-choose = 请选择原因。
booking-admin-closure-action = 预约的处理方式
booking-admin-action-cancel = 取消预约（并提供重新预约）
booking-admin-action-move = 改期至较后日子的同一时间（该时间已满则取消）
booking-admin-action-choose = 请选择预约的处理方式。
booking-admin-move-to-label = 较后的日子（改期用）
booking-admin-move-to-hint = 只在改期时填写，格式为 YYYY-MM-DD。
booking-admin-closure-check-button = 查看受影响情况
booking-admin-closure-check = 暂停服务前查看
booking-admin-closure-check-intro = 暂停 { $day } 的服务会影响以下各项。目前尚未作出任何更改。
booking-admin-closure-affected = 暂停服务会影响的项目
booking-admin-closure-open-slots = 开放中的时段
booking-admin-closure-confirmed = 已确认的预约
booking-admin-closure-closed-already = 已暂停
booking-admin-closure-confirm = 暂停当日服务并通知所有受影响人士
booking-admin-closure-change = 更改暂停服务的设置
booking-admin-closure-done = 已暂停当日服务。
booking-admin-closure-slots = 已关闭的时段
booking-admin-closure-cancelled = 已取消的预约
booking-admin-closure-moved = 已改期的预约
booking-admin-closure-notified = 已通知人数
booking-stat-title = 预约统计
booking-stat-heading = 统计：{ $programme }
booking-stat-all-centres = 所有中心
booking-stat-all-products = 所有产品
booking-stat-show = 显示
booking-stat-csv = 下载本期统计的 CSV 文件（所有中心及产品）
booking-stat-meaning = 预约数目包括当日所有预约；每个预约为未到期、已出席、缺席或已取消。
booking-stat-legend = 图例
booking-stat-bookings = 预约
booking-stat-confirmed = 未到期
booking-stat-attended = 已出席
booking-stat-no-shows = 缺席
booking-stat-cancelled = 已取消
booking-stat-by-day = 按日
booking-stat-by-centre = 按中心
booking-stat-day = 日期
booking-stat-chart-desc = 堆叠柱形图：未到期、已出席、缺席及已取消；共 { $bookings } 个预约。下表列出数字。
booking-stat-table-caption = { $chart }：数字
booking-stat-rows = 按日、中心及产品
booking-stat-rows-caption = 有预约的每日、中心及产品
booking-stat-none = 本期没有预约。
booking-officer-camera-start = 用摄像头扫描
booking-officer-camera-stop = 关闭摄像头
booking-officer-camera-label = 摄像头画面：请将预约的二维码放在摄像头前
booking-officer-camera-looking = 正在寻找二维码…
booking-officer-camera-found = 已读取二维码：正在查找预约。
booking-officer-camera-not-reference = 这个二维码不是预约编号。
booking-officer-camera-unavailable = 此处无法使用摄像头：请输入预约编号。
booking-centre-officers-too-many = 名单上的人员超过 500 名。
booking-centre-officer-invalid = 这不是账户编号（UUID）。
